package reports

import (
	"time"

	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// Run is one invocation of `escalator run` as every report format sees
// it: what ran, with which command, and what came out. The formats render
// it; the run history stores it.
type Run struct {
	ID      string    // a UUID
	Started time.Time // wall clock
	Wall    time.Duration
	Command string // the command line, for reruns
	Version string // escalator's version
	Results []*judge.Result
	// Walls are each result's wall time, in Results order.
	Walls []time.Duration
}

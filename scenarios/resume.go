package scenarios

import (
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/sim"
)

// Resume is what a real-time testbed needs to carry on an earlier run of
// the same scenario whose process died (`escalator vim --state`): the
// simulated world lived in that process, so it is rebuilt from the run's
// trace, and the VNFMs that subscribed to it are still out there, waiting.
// The Manager's sessions come back through its own store
// (BuildOptions.StateStore and Manager.Recover).
type Resume struct {
	// Events are the earlier run's trace, as recorded. The new testbed's
	// trace starts with them, and its own events follow them, numbered
	// and timed on.
	Events []escalator.Event
	// Origin is the instant the earlier run's clock started (Testbed.Origin):
	// the new trace times its events from it, so the trace reads as one
	// run with a gap where the VIM was down.
	Origin time.Time
	// Subscriptions are the subscriptions the earlier process held.
	Subscriptions []*vimhttp.Subscription
}

// Origin is the instant the run's clock started: the loop's start, or
// the earlier run's for a resumed testbed. Times in the trace count from
// it.
func (tb *Testbed) Origin() time.Time { return tb.Loop.Now().Add(-tb.Elapsed()) }

// Elapsed is the run's scenario time: the loop's, after the earlier run's
// for a resumed testbed.
func (tb *Testbed) Elapsed() time.Duration { return tb.offset + tb.Loop.Elapsed() }

// resumeOffset is where a resumed run's clock stands when its loop
// starts: the time since the earlier run's origin, on the scaled clock
// both processes share (sim.NewRealLoop), and never before the last event
// on record, so that the trace's times only move forward.
func resumeOffset(loop *sim.Loop, r *Resume) time.Duration {
	offset := loop.Now().Sub(r.Origin)
	if n := len(r.Events); n > 0 {
		offset = max(offset, r.Events[n-1].At)
	}
	return offset
}

// resume puts the earlier run back: its trace first, then the world in
// the state that trace ends in (sim.World.Restore, whose own events follow
// it), and its subscriptions. The world was built with the trace muted:
// what its making says is in the earlier trace already.
func (tb *Testbed) resume(r *Resume) error {
	if tb.Trace.Len() > 0 {
		return escalator.Errorf(escalator.EINTERNAL, "a resumed testbed's trace must start with the earlier run's; %d events came first", tb.Trace.Len())
	}
	tb.Trace.Continue(r.Events)
	tb.emit.mute = false
	if err := tb.World.Restore(r.Events); err != nil {
		return escalator.Errorf(escalator.EINVALID, "cannot resume the run of %s from its trace: %v", tb.Scenario.Name, err)
	}
	tb.Store.Restore(r.Subscriptions)
	return nil
}

// resumeSeed seeds the IDs a resumed testbed draws: the scenario's seed
// moved on by where the trace stood, so each restart of a run draws its
// own, and the same restart of the same trace the same ones.
func resumeSeed(seed int64, r *Resume) int64 {
	return seed ^ int64(len(r.Events)+1)*0x5DEECE66D
}

package judge

import (
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Verdicts.
const (
	VerdictPass  = "pass"
	VerdictFail  = "fail"
	VerdictXFail = "xfail" // a negative control failed exactly the checks it expected to
	VerdictError = "error" // the harness could not run the scenario
)

// Result is everything a run produced.
type Result struct {
	Scenario *spec.Scenario
	Seed     int64
	Verdict  string
	Session  Session
	Checks   []CheckResult
	// Events is the whole trace, unless the run discarded it
	// (scenarios.Options.Discard): then only EventCount says how long it was.
	Events []escalator.Event
	// EventCount is the number of events the run emitted.
	EventCount int
	// Metrics are the trace's metrics, computed as it was judged; nil for a
	// result that was not judged from a live trace (read them with Metrics).
	Metrics map[string]float64
	// Lost is the total of requests lost over all services.
	Lost float64
	// Elapsed is the run's length in scenario (virtual) time, including
	// the settling after the session ended.
	Elapsed time.Duration
	// UpgradeDuration is the session's length, from creation to its final
	// state (the Escalator "total upgrade duration").
	UpgradeDuration time.Duration
	// Err is set when the verdict is error.
	Err error
}

// Failed returns the checks that failed.
func (r *Result) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Status == CheckFailed {
			out = append(out, c)
		}
	}
	return out
}

// SessionRefused is the state a result reports when the orchestrator
// refused to start the session.
const SessionRefused = "REFUSED"

// Session is the upgrade session's status at the end of a run, as the
// orchestrator reported it (orchestrator.SessionStatus, with the same JSON,
// which reports/history stores): the judge and the reports read it without
// importing the orchestrator. The testbed copies it over.
type Session struct {
	ID            string       `json:"id"`
	State         string       `json:"state"`
	Flow          string       `json:"flow"`
	TargetVersion string       `json:"targetVersion"`
	Reason        string       `json:"reason,omitempty"`
	Nodes         []NodeStatus `json:"nodes"`
}

// NodeStatus is one row of the session's status table
// (orchestrator.NodeStatus).
type NodeStatus struct {
	Node        string `json:"node"`
	Status      string `json:"status"`
	FromVersion string `json:"fromVersion"`
	ToVersion   string `json:"toVersion"`
	Reason      string `json:"reason,omitempty"`
}

// Verdict: a normal scenario passes when no check fails; a negative control
// is an expected failure when exactly the checks it names fail.
func Verdict(s *spec.Scenario, checks []CheckResult) string {
	if s.Conformance != nil && len(s.Expect.Violations) == 0 {
		return conformanceVerdict(s, checks)
	}
	failed := map[string]bool{}
	for _, c := range checks {
		if c.Status == CheckFailed {
			failed[c.Name] = true
		}
	}
	if len(s.Expect.Violations) == 0 {
		if len(failed) == 0 {
			return VerdictPass
		}
		return VerdictFail
	}
	if len(failed) != len(s.Expect.Violations) {
		return VerdictFail
	}
	for _, v := range s.Expect.Violations {
		if !failed[v] {
			return VerdictFail
		}
	}
	return VerdictXFail
}

package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/sim"
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
	Scenario *Scenario
	Seed     int64
	Verdict  string
	Session  orchestrator.SessionStatus
	Checks   []CheckResult
	Events   []escalator.Event
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

// Options adjust a run.
type Options struct {
	// Seed overrides the scenario's seed when non-zero.
	Seed int64
	// Limit is the longest scenario time a run may take; default 72h.
	Limit time.Duration
}

// SessionRefused is the state a result reports when the orchestrator
// refused to start the session.
const SessionRefused = "REFUSED"

// settleTime lets the world finish what the session's end set off (VNFMs
// restoring redundancy, failovers) before the books close.
const settleTime = 5 * time.Minute

// nodeConfigs lists the scenario's nodes, in topology order (the order of
// Scenario.NodeNames).
func nodeConfigs(s *Scenario) []sim.NodeConfig {
	ns := s.Nodes
	if len(ns.List) > 0 {
		out := make([]sim.NodeConfig, len(ns.List))
		for i, n := range ns.List {
			out[i] = sim.NodeConfig{ID: n.Name, Zone: n.Zone, VCPUs: n.VCPUs, MemoryGiB: n.MemoryGiB, Version: n.Version}
		}
		return out
	}
	out := make([]sim.NodeConfig, ns.Count)
	for i := range out {
		zone := "az1"
		if len(ns.Zones) > 0 {
			zone = ns.Zones[i%len(ns.Zones)]
		}
		out[i] = sim.NodeConfig{ID: fmt.Sprintf("%s-%d", ns.Prefix, i+1), Zone: zone, VCPUs: ns.VCPUs, MemoryGiB: ns.MemoryGiB, Version: ns.Version}
	}
	return out
}

// Run runs one scenario in virtual time and judges it.
func Run(ctx context.Context, s *Scenario, opt Options) (res *Result) {
	res = &Result{Scenario: s, Seed: s.Seed}
	if opt.Seed != 0 {
		res.Seed = opt.Seed
	}
	// A bug in the harness must cost one scenario, not the whole suite,
	// and must reach the user as an error, not a stack dump.
	defer func() {
		if p := recover(); p != nil {
			res.Verdict = VerdictError
			res.Err = escalator.Errorf(escalator.EINTERNAL, "internal error while running the scenario: %v (please report this with the scenario file)", p)
		}
	}()
	if opt.Limit == 0 {
		opt.Limit = 72 * time.Hour
	}
	if s.Clock.Mode == "real" {
		res.Verdict = VerdictError
		res.Err = escalator.Errorf(escalator.EINVALID, "%s asks for the real clock: run it with `escalator vim --scenario %s` and a VNFM (`escalator vnfm`); `escalator run` runs virtual time", s.Name, s.Path)
		return res
	}
	tb, err := Build(s, BuildOptions{Seed: res.Seed})
	if err != nil {
		res.Verdict, res.Err = VerdictError, err
		return res
	}
	loop := tb.Loop
	fail := func(err error) *Result {
		res.Verdict, res.Err, res.Events = VerdictError, err, tb.Trace.Events
		return res
	}
	ended := false
	tb.Manager.OnEnd(func(st orchestrator.SessionStatus) {
		ended = true
		res.Session = st
		res.UpgradeDuration = loop.Elapsed()
		loop.AfterFunc(settleTime, loop.Stop)
	})
	tb.BeginCase()
	st, err := tb.Manager.CreateSession(tb.Config)
	if err != nil {
		// A refusal is an outcome the scenario may expect (the capacity
		// pre-check); anything else it did not ask for still gets judged,
		// and the outcome check says what happened.
		res.Session = orchestrator.SessionStatus{State: SessionRefused, Reason: err.Error(), Flow: tb.Config.Flow, TargetVersion: tb.Config.TargetVersion}
		tb.Conclude(res)
		return res
	}
	res.Session = st
	if err := loop.Run(ctx, opt.Limit); err != nil {
		return fail(escalator.Errorf(escalator.EINTERNAL, "run interrupted: %v", err))
	}
	if !ended {
		tb.World.Finish()
		return fail(escalator.Errorf(escalator.EINTERNAL, "the upgrade session was still %s after %s of scenario time", st.State, opt.Limit))
	}
	tb.Conclude(res)
	return res
}

// Verdict: a normal scenario passes when no check fails; a negative control
// is an expected failure when exactly the checks it names fail.
func Verdict(s *Scenario, checks []CheckResult) string {
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

package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
)

// Options adjust a run.
type Options struct {
	// Seed overrides the scenario's seed when non-zero.
	Seed int64
	// Limit is the longest scenario time a run may take; default 72h.
	Limit time.Duration
	// Build adjusts the testbed options (a crash test's store).
	Build BuildOptions
	// Ready, when set, sees the testbed before the session starts (a
	// crash test arms its kill point).
	Ready func(tb *Testbed)
	// Discard keeps no event in Result.Events; the judge and Sinks see
	// each as it is emitted (BuildOptions.Discard). Result.EventCount and
	// Result.Metrics are set either way.
	Discard bool
	// Sinks see every event as it is emitted (an NDJSON file, a live view).
	Sinks []func(escalator.Event)
}

// settleTime lets the world finish what the session's end set off (VNFMs
// restoring redundancy, failovers) before the books close.
const settleTime = 5 * time.Minute

// nodeConfigs lists the scenario's nodes, in topology order (the order of
// Scenario.NodeNames).
func nodeConfigs(s *spec.Scenario) []sim.NodeConfig {
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
func Run(ctx context.Context, s *spec.Scenario, opt Options) (res *judge.Result) {
	res = &judge.Result{Scenario: s, Seed: s.Seed}
	if opt.Seed != 0 {
		res.Seed = opt.Seed
	}
	// A bug in the harness must cost one scenario, not the whole suite,
	// and must reach the user as an error, not a stack dump.
	defer func() {
		if p := recover(); p != nil {
			res.Verdict = judge.VerdictError
			res.Err = escalator.Errorf(escalator.EINTERNAL, "internal error while running the scenario: %v (please report this with the scenario file)", p)
		}
	}()
	if opt.Limit == 0 {
		opt.Limit = spec.RunLimit.D()
	}
	if s.Clock.Mode == "real" {
		res.Verdict = judge.VerdictError
		res.Err = escalator.Errorf(escalator.EINVALID, "%s asks for the real clock: run it with `escalator vim --scenario %s` and a VNFM (`escalator vnfm`); `escalator run` runs virtual time", s.Name, s.Path)
		return res
	}
	bo := opt.Build
	bo.Seed, bo.Discard, bo.Sinks = res.Seed, opt.Discard, opt.Sinks
	tb, err := Build(s, bo)
	if err != nil {
		res.Verdict, res.Err = judge.VerdictError, err
		return res
	}
	loop := tb.Loop
	fail := func(err error) *judge.Result {
		res.Verdict, res.Err, res.Events, res.EventCount = judge.VerdictError, err, tb.Trace.Events, int(tb.Trace.Len())
		return res
	}
	ended := false
	tb.OnEnd(func(st orchestrator.SessionStatus) {
		ended = true
		res.Session = SessionOf(st)
		res.UpgradeDuration = loop.Elapsed()
		loop.AfterFunc(settleTime, loop.Stop)
	})
	if opt.Ready != nil {
		opt.Ready(tb)
	}
	tb.BeginCase()
	st, err := tb.Manager.CreateSession(tb.Config)
	if err != nil {
		// A refusal is an outcome the scenario may expect (the capacity
		// pre-check); anything else it did not ask for still gets judged,
		// and the outcome check says what happened.
		res.Session = judge.Session{State: judge.SessionRefused, Reason: err.Error(), Flow: tb.Config.Flow, TargetVersion: tb.Config.TargetVersion}
		tb.Conclude(res)
		return res
	}
	res.Session = SessionOf(st)
	if err := loop.Run(ctx, opt.Limit); err != nil {
		return fail(escalator.Errorf(escalator.EINTERNAL, "run interrupted: %v", err))
	}
	if err := tb.RecoverErr(); err != nil {
		return fail(escalator.Errorf(escalator.EINTERNAL, "the restarted orchestrator refused its store: %v", err))
	}
	if !ended {
		tb.World.Finish()
		return fail(escalator.Errorf(escalator.EINTERNAL, "the upgrade session was still %s after %s of scenario time", st.State, opt.Limit))
	}
	tb.Conclude(res)
	return res
}

// SessionOf copies the orchestrator's session status into the judge's
// Session, which has the same fields and JSON (TestSessionOfCopiesEveryField).
func SessionOf(st orchestrator.SessionStatus) judge.Session {
	out := judge.Session{ID: st.ID, State: st.State, Flow: st.Flow, TargetVersion: st.TargetVersion, Reason: st.Reason}
	for _, n := range st.Nodes {
		out.Nodes = append(out.Nodes, judge.NodeStatus(n))
	}
	return out
}

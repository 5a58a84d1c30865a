package scenarios

import (
	"context"
	"fmt"
	"math"
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

// settleTime lets the world finish what the session's end set off (VNFMs
// restoring redundancy, failovers) before the books close.
const settleTime = 5 * time.Minute

// NodeNames returns the scenario's node names in topology order.
func (s *Scenario) NodeNames() []string {
	var out []string
	for _, n := range s.nodeConfigs() {
		out = append(out, n.ID)
	}
	return out
}

func (s *Scenario) nodeConfigs() []sim.NodeConfig {
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
	// A bug in the harness must cost one scenario, not the whole suite,
	// and must reach the user as an error, not a stack dump.
	defer func() {
		if p := recover(); p != nil {
			res.Verdict = VerdictError
			res.Err = escalator.Errorf(escalator.EINTERNAL, "internal error while running the scenario: %v (please report this with the scenario file)", p)
		}
	}()
	if opt.Seed != 0 {
		res.Seed = opt.Seed
	}
	if opt.Limit == 0 {
		opt.Limit = 72 * time.Hour
	}
	loop := sim.NewVirtualLoop()
	rnd := sim.NewRand(res.Seed)
	tr := escalator.NewTrace(loop.Elapsed)
	fail := func(err error) *Result {
		res.Verdict, res.Err, res.Events = VerdictError, err, tr.Events
		return res
	}

	u := s.Upgrade
	world := sim.NewWorld(loop, tr, sim.Timings{
		NodeUpgrade: u.NodeUpgradeTime.D(), Verify: u.VerifyTime.D(),
		LiveMigration: s.NFVI.LiveMigration.Duration.D(), Blackout: s.NFVI.LiveMigration.Blackout.D(),
		ColdMigration: s.NFVI.ColdMigrationTime.D(),
	}, s.nodeConfigs())
	groupLimits := map[string]int{}
	for _, v := range s.VNFs {
		cfg := sim.VNFConfig{Name: v.Name, Mode: v.Mode, Load: float64(v.Load), CapacityPerInstance: float64(v.CapacityPerInstance),
			ServiceTime: v.ServiceTime.D(), SwitchoverGap: v.SwitchoverGap.D(), FailoverTime: v.FailoverTime.D(), HealthCheckWindow: v.HealthCheckWindow.D()}
		anti := v.AntiAffinity == nil || *v.AntiAffinity
		if err := world.AddVNF(cfg, s.VNFM.Name, v.Instances, v.Flavor.VCPUs, v.Flavor.MemoryGiB, anti, v.Placement); err != nil {
			return fail(escalator.Errorf(escalator.EINVALID, "deploying VNF %s: %v", v.Name, err))
		}
		groupLimits[v.Name] = maxImpacted(v)
	}
	for i, f := range s.Faults {
		switch f.Do {
		case FaultUpgradeFails, FaultUpgradeHangs, FaultVerifyFails:
			world.NFVI.SetFault(f.Node, sim.NodeFault(f.Do))
		case FaultBootVM:
			id, ignore := fmt.Sprintf("boot-%d", i+1), f.IgnoreMaintenance
			loop.AfterFunc(f.At.D(), func() {
				tr.Emit("fault", "fault.boot-vm", id, escalator.Fields{"ignoreMaintenance": ignore})
				if err := world.BootVM(id, 1, 1, ignore); err != nil {
					tr.Emit("fault", "fault.boot-vm-failed", id, escalator.Fields{"error": err.Error()})
				}
			})
		}
	}

	transport := sim.NewInProcess(loop, tr)
	mgr := orchestrator.New(orchestrator.Ports{Clock: loop, Cloud: world.NFVI, System: world.NFVI, Notify: transport}, tr, rnd.UUID)
	vnfm := sim.NewVNFM(sim.VNFMConfig{Name: s.VNFM.Name, Behavior: s.VNFM.Behavior, ReplyAfter: s.VNFM.ReplyAfter.D(),
		LateBy: s.VNFM.LateBy.D(), RestoreTime: s.VNFM.RestoreTime.D()}, loop, tr, world, sim.ReplyTo(mgr))
	transport.Attach(vnfm)

	ended := false
	mgr.OnEnd(func(st orchestrator.SessionStatus) {
		ended = true
		res.Session = st
		res.UpgradeDuration = loop.Elapsed()
		loop.AfterFunc(settleTime, loop.Stop)
	})
	rollback := u.Rollback == nil || *u.Rollback
	st, err := mgr.CreateSession(orchestrator.Config{
		Flow: u.Flow, TargetVersion: u.TargetVersion, Nodes: u.Nodes, MaxParallel: u.MaxParallel,
		ReplyTimeout: u.ReplyTimeout.D(), UpgradeTimeout: u.UpgradeTimeout.D(), OnNack: u.OnNack,
		Rollback: rollback, GroupLimits: groupLimits, Defects: u.Defects,
	})
	if err != nil {
		return fail(err)
	}
	res.Session = st
	if err := loop.Run(ctx, opt.Limit); err != nil {
		return fail(escalator.Errorf(escalator.EINTERNAL, "run interrupted: %v", err))
	}
	world.Finish()
	res.Events = tr.Events
	res.Elapsed = loop.Elapsed()
	res.Lost = world.LostRequests()
	if !ended {
		return fail(escalator.Errorf(escalator.EINTERNAL, "the upgrade session was still %s after %s of scenario time", st.State, opt.Limit))
	}
	res.Checks = Judge(s, res.Events)
	res.Verdict = verdict(s, res.Checks)
	return res
}

// maxImpacted is how many instances of a VNF may be out of service at once:
// one for an active-standby VNF (never both of a pair), and for a
// load-balanced pool as many as leave enough capacity for the load.
func maxImpacted(v VNFSpec) int {
	if v.Mode != ModeLoadBalanced || v.CapacityPerInstance <= 0 {
		return 1
	}
	needed := int(math.Ceil(float64(v.Load) / float64(v.CapacityPerInstance)))
	return max(1, v.Instances-needed)
}

// verdict: a normal scenario passes when no check fails; a negative control
// is an expected failure when exactly the checks it names fail.
func verdict(s *Scenario, checks []CheckResult) string {
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

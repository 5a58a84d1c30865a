package load

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The checks of this file refuse what the language can say but a run
// cannot honour: a name that is no safe file name, a world too large for
// the machine, timings whose sums overflow the clock.

var loadNamePattern = regexp.MustCompile(spec.NamePattern)

// validateName keeps a scenario's name a single, visible path element:
// escalator run --trace writes <name>.ndjson into the trace folder, and a
// name such as "../../x" or one with a NUL would write elsewhere or fail
// half-way.
func (d *loadDecoder) validateName(name string) {
	d.identifier("name", "scenario name", "the name becomes the trace's file name", name)
}

// identifier holds a name that goes into a file name, a URL path or a
// host name to spec.NamePattern. A VNF's name is a path segment of the
// VNF control API ("a/b" broke the spec-conformance check) and the VNFM's
// is a host name of the in-process transport ("a/b?c" could not subscribe,
// a harness error).
func (d *loadDecoder) identifier(path, what, why, name string) bool {
	if !d.nonEmpty(path, name) {
		return false
	}
	if len(name) > spec.MaxNameLen {
		d.problem(path, "shorten it; "+why,
			"the %s is %d bytes long, more than %d", what, len(name), spec.MaxNameLen)
		return false
	}
	if !loadNamePattern.MatchString(name) {
		d.problem(path, "use letters, digits, '.', '_' and '-', not starting with '.', e.g. f1-rolling-upgrade; "+why,
			"invalid %s %s", what, loadQuoteText(name))
		return false
	}
	return true
}

// loadQuoteText quotes text the way loadQuoteValue quotes a scalar, long
// text cut short.
func loadQuoteText(v string) string {
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "..."
	}
	return fmt.Sprintf("%q", v)
}

// validateWorld caps the nodes and VMs a scenario builds. Every one is a
// set of objects the run keeps for its whole length, and the time of a run
// grows with them; the caps are Limits, raised with --max-world.
func (d *loadDecoder) validateWorld(s *spec.Scenario, topo *loadTopology) {
	hint := fmt.Sprintf("the large scenarios live in scenarios/scale/; to go past the cap run with %s NODES/VMS, e.g. %s %d/%d",
		flagMaxWorld, flagMaxWorld, 2*d.limits.MaxNodes, 2*d.limits.MaxVMs)
	if topo != nil && topo.size() > d.limits.MaxNodes {
		path := "nodes.count"
		if topo.count == 0 {
			path = "nodes.list"
		}
		d.problem(path, hint, "%d nodes are more than the %d a scenario may have", topo.size(), d.limits.MaxNodes)
	}
	// In float64: instances × replicas of absurd sizes must not overflow.
	var vms, most float64
	mostAt := "vnfs"
	for i, v := range s.VNFs {
		n := float64(v.Instances) * float64(max(1, v.Replicas))
		vms += n
		if n > most {
			most, mostAt = n, loadIndex("vnfs", i)+".instances"
			if v.Replicas > 1 {
				mostAt = loadIndex("vnfs", i) + ".replicas"
			}
		}
	}
	if vms > float64(d.limits.MaxVMs) {
		d.problem(mostAt, hint, "the VNFs have %s VMs in all (instances × replicas), more than the %d a scenario may have",
			spec.FormatNumber(vms), d.limits.MaxVMs)
	}
}

// validateHorizon bounds the worst case of how far the run's clock can go:
// each node's turn at its slowest (every reply deadline, the VNFM's delays,
// lead and recovery times, a migration of each of its VMs, a hung upgrade
// and its verification), times the turns, plus the faults' times. Each
// duration is at most spec.MaxDuration, but a thousand nodes of them would
// still run the clock past what an int64 of nanoseconds holds. The sum is
// an over-estimate in float64 seconds, which cannot overflow.
func (d *loadDecoder) validateHorizon(s *spec.Scenario, topo *loadTopology) {
	if topo == nil {
		return
	}
	sec := func(x spec.Duration) float64 { return time.Duration(x).Seconds() }
	u, m, n := s.Upgrade, s.VNFM, s.NFVI

	reply := sec(u.ReplyTimeout)
	for _, x := range u.ReplyDeadlines {
		reply = max(reply, sec(x))
	}
	var vnfMost, vms float64
	for _, v := range s.VNFs {
		most := max(sec(v.ServiceTime), sec(v.SwitchoverGap), sec(v.FailoverTime), sec(v.HealthCheckWindow))
		if l := v.Maintenance; l != nil {
			most += sec(l.LeadTime) + sec(l.MinRecoveryTime)
		}
		vnfMost = max(vnfMost, most)
		vms += float64(v.Instances) * float64(max(1, v.Replicas))
	}
	factor := 1.0
	var faults float64
	for _, f := range s.Faults {
		factor = max(factor, f.Factor)
		faults += sec(f.At) + sec(f.For)
	}
	migration := (sec(n.LiveMigration.Duration)+sec(n.LiveMigration.Blackout))*factor + sec(n.ColdMigrationTime)*factor
	// A node hosts at most every VM, and every VM may move off it in turn.
	perNodeVMs := math.Min(vms, math.Ceil(vms/float64(max(1, topo.size())))+1)
	turn := 3*reply + sec(m.ReplyAfter) + sec(m.LateBy) + sec(m.RestoreTime) + vnfMost +
		perNodeVMs*migration + sec(u.NodeUpgradeTime) + sec(u.VerifyTime) + sec(u.UpgradeTimeout)
	turns := float64(topo.size())
	if len(u.Nodes) > 0 {
		turns = float64(len(u.Nodes))
	}
	// Two turns more for the session-wide phases (SCALE_IN, MAINTENANCE_COMPLETE).
	total := (turns+2)*turn + faults
	if limit := sec(spec.MaxHorizon); total > limit {
		d.problem("upgrade", "shorten the timings (replyTimeout, nodeUpgradeTime, upgradeTimeout, migrations) or upgrade fewer nodes",
			"at its slowest the run could last %s of scenario time, more than the %s the clock can safely count",
			loadHours(total), loadHours(limit))
		return
	}

	// And the other way round: a run in virtual time stops at
	// spec.RunLimit, so a session that must complete cannot take longer.
	// At the quickest every node is upgraded and verified, maxParallel at
	// a time. Only a session that must complete is bound to that (a
	// refused, failed or rolled back one ends early, a skip leaves nodes
	// out), and only in virtual time (escalator vim has no such limit).
	completes := s.Expect.Outcome == spec.OutcomeCompleted && !slices.Contains(s.Expect.Violations, "outcome")
	if !completes || u.OnNack != spec.OnNackFail || s.Clock.Mode == "real" {
		return
	}
	batches := math.Ceil(turns / float64(max(1, u.MaxParallel)))
	if least := batches * (sec(u.NodeUpgradeTime) + sec(u.VerifyTime)); least > sec(spec.RunLimit) {
		d.problem("upgrade", "raise maxParallel, shorten nodeUpgradeTime or verifyTime, or run it in real time with escalator vim (clock: {mode: real})",
			"the upgrade takes at least %s of scenario time (%s batches of nodeUpgradeTime + verifyTime), more than the %s a run in virtual time may last",
			loadShortDuration(time.Duration(least*float64(time.Second))), spec.FormatNumber(batches), loadShortDuration(spec.RunLimit.D()))
	}
}

// loadHours writes a number of seconds as whole hours: 1000000h.
func loadHours(sec float64) string {
	return spec.FormatNumber(math.Ceil(sec/3600)) + "h"
}

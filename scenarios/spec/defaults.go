package spec

import (
	"strconv"
	"strings"
	"time"
)

// ApplyDefaults fills every zero field that has a default (see the field
// comments in spec.go). It is idempotent. Fields where zero is a meaningful
// value are left alone: SwitchoverGap, RestoreTime, LiveMigration.Blackout,
// FaultSpec.At and CheckSpec; the loader gives Blackout its 500ms only when
// the key is absent. Where an explicit zero makes no sense (maxParallel: 0,
// verifyTime: 0s) the loader rejects it, so that this never silently
// overrides what a file says; an empty string or "seed: 0" means the default.
func (s *Scenario) ApplyDefaults() {
	if s.Seed == 0 {
		s.Seed = 1
	}

	n := &s.Nodes
	setDefault(&n.Prefix, "compute")
	if len(n.Zones) == 0 {
		n.Zones = []string{"az1"}
	}
	setDefault(&n.VCPUs, 32)
	setDefault(&n.MemoryGiB, 128)
	setDefault(&n.Version, "1.0")
	for i := range n.List {
		e := &n.List[i]
		setDefault(&e.Zone, n.Zones[i%len(n.Zones)])
		setDefault(&e.VCPUs, n.VCPUs)
		setDefault(&e.MemoryGiB, n.MemoryGiB)
		setDefault(&e.Version, n.Version)
	}

	for i := range s.VNFs {
		v := &s.VNFs[i]
		setDefault(&v.Instances, 2)
		setDefault(&v.Flavor.VCPUs, 2)
		setDefault(&v.Flavor.MemoryGiB, 4)
		setDefault(&v.CapacityPerInstance, v.Load)
		if v.AntiAffinity == nil {
			v.AntiAffinity = ptrTrue()
		}
		setDefault(&v.ServiceTime, Duration(50*time.Millisecond))
		setDefault(&v.FailoverTime, Duration(3*time.Second))
		setDefault(&v.HealthCheckWindow, Duration(5*time.Second))
	}

	m := &s.VNFM
	setDefault(&m.Name, "vnfm-1")
	setDefault(&m.Behavior, BehaviorReference)
	setDefault(&m.ReplyAfter, Duration(time.Second))
	setDefault(&m.LateBy, Duration(30*time.Second))

	f := &s.NFVI
	setDefault(&f.LiveMigration.Duration, Duration(20*time.Second))
	setDefault(&f.ColdMigrationTime, Duration(60*time.Second))

	u := &s.Upgrade
	setDefault(&u.Flow, FlowF1)
	setDefault(&u.MaxParallel, 1)
	setDefault(&u.ReplyTimeout, Duration(60*time.Second))
	setDefault(&u.NodeUpgradeTime, Duration(10*time.Minute))
	setDefault(&u.VerifyTime, Duration(30*time.Second))
	setDefault(&u.UpgradeTimeout, times3(u.NodeUpgradeTime, u.VerifyTime))
	setDefault(&u.OnNack, "fail")
	if u.Rollback == nil {
		u.Rollback = ptrTrue()
	}

	setDefault(&s.Expect.Outcome, OutcomeCompleted)
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

func ptrTrue() *bool {
	t := true
	return &t
}

// times3 is 3×(a+b), saturated: absurd but valid durations must not
// wrap around to a negative timeout.
func times3(a, b Duration) Duration {
	const maxD = Duration(1<<63 - 1)
	if a > maxD-b {
		return maxD
	}
	sum := a + b
	if sum > maxD/3 {
		return maxD
	}
	return 3 * sum
}

// FormatNumber prints rates and sizes the way a person wrote them:
// 1000, 1.5, 0.017 (no exponent, at most three decimals).
func FormatNumber(x float64) string {
	s := strconv.FormatFloat(x, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

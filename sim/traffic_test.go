package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// rig is a small world for hand-computed traffic cases.
type rig struct {
	loop  *Loop
	trace *escalator.Trace
	w     *World
}

func newRig(t *testing.T, timings Timings, nodes int) *rig {
	t.Helper()
	loop := NewVirtualLoop()
	tr := escalator.NewTrace(loop.Elapsed)
	var cfgs []NodeConfig
	for i := range nodes {
		cfgs = append(cfgs, NodeConfig{ID: "n" + string(rune('1'+i)), Zone: "az1", VCPUs: 32, MemoryGiB: 128, Version: "1.0"})
	}
	return &rig{loop: loop, trace: tr, w: NewWorld(loop, tr, timings, cfgs)}
}

func (r *rig) vnf(t *testing.T, c VNFConfig, instances int) *VNF {
	t.Helper()
	require.NoError(t, r.w.AddVNF(c, "vnfm-1", instances, 2, 4, true, nil))
	return r.w.VNF(c.Name)
}

// at runs fn at scenario time d.
func (r *rig) at(d time.Duration, fn func()) { r.loop.AfterFunc(d-r.loop.Elapsed(), fn) }

func (r *rig) run(t *testing.T, until time.Duration) {
	t.Helper()
	require.NoError(t, r.loop.Run(context.Background(), until))
	r.w.Finish()
}

func TestTrafficHandComputed(t *testing.T) {
	as := VNFConfig{Name: "mme", Mode: ModeActiveStandby, Load: 1000, CapacityPerInstance: 1000,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}
	lb := VNFConfig{Name: "web", Mode: ModeLoadBalanced, Load: 1000, CapacityPerInstance: 400,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}
	tests := []struct {
		name      string
		cfg       VNFConfig
		instances int
		timings   Timings
		act       func(r *rig, v *VNF)
		lost      float64
		intervals []time.Duration // the interruptions' durations, in order
	}{
		{
			name: "500ms live-migration blackout of the active at 1000/s loses 500",
			cfg:  as, instances: 2,
			timings: Timings{LiveMigration: 20 * time.Second, Blackout: 500 * time.Millisecond},
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { r.w.NFVI.Migrate("mme-1", nil, true, func(string, error) {}) })
			},
			lost: 500, intervals: []time.Duration{500 * time.Millisecond},
		},
		{
			name: "cold migration of the active: in flight, then 3s failover to the standby",
			cfg:  as, instances: 2,
			timings: Timings{ColdMigration: time.Minute},
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { r.w.NFVI.Migrate("mme-1", nil, false, func(string, error) {}) })
			},
			lost: 50 + 3000, intervals: []time.Duration{3 * time.Second},
		},
		{
			name: "live migration of the standby loses nothing",
			cfg:  as, instances: 2,
			timings: Timings{LiveMigration: 20 * time.Second, Blackout: 500 * time.Millisecond},
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { r.w.NFVI.Migrate("mme-2", nil, true, func(string, error) {}) })
			},
			lost: 0,
		},
		{
			name: "planned switch-over with no gap loses nothing",
			cfg:  as, instances: 2,
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { _ = r.w.SwitchOver("mme", "mme-2") })
			},
			lost: 0,
		},
		{
			name: "planned switch-over with a 200ms gap at 1000/s loses 200",
			cfg: func() VNFConfig {
				c := as
				c.SwitchoverGap = 200 * time.Millisecond
				return c
			}(), instances: 2,
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { _ = r.w.SwitchOver("mme", "mme-2") })
			},
			lost: 200, intervals: []time.Duration{200 * time.Millisecond},
		},
		{
			name: "active lost abruptly: 50 in flight plus 3s failover at 1000/s",
			cfg:  as, instances: 2,
			timings: Timings{NodeUpgrade: 10 * time.Minute},
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { r.w.NFVI.Upgrade(v.Instances[0].VM.Host.ID, "2.0", func(error) {}) })
			},
			lost: 50 + 3000, intervals: []time.Duration{3 * time.Second},
		},
		{
			name: "draining one of three 400/s members under 1000/s leaves 200/s unserved",
			cfg:  lb, instances: 3,
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { _ = r.w.Drain("web", "web-1", func() {}) })
				r.at(time.Minute+10*time.Second, func() { _ = r.w.Undrain("web", "web-1") })
			},
			lost: 2000, intervals: []time.Duration{10 * time.Second},
		},
		{
			name: "a member of four lost abruptly: its in-flight share plus the health-check window",
			cfg: func() VNFConfig {
				c := lb
				c.CapacityPerInstance = 500
				return c
			}(), instances: 4,
			timings: Timings{NodeUpgrade: 10 * time.Minute},
			act: func(r *rig, v *VNF) {
				r.at(time.Minute, func() { r.w.NFVI.Upgrade(v.Instances[0].VM.Host.ID, "2.0", func(error) {}) })
			},
			// 250/s share: 250 × 50ms in flight, then 250/s for the 5s window.
			lost: 12.5 + 1250, intervals: []time.Duration{5 * time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.timings, 4)
			v := r.vnf(t, tc.cfg, tc.instances)
			tc.act(r, v)
			r.run(t, time.Hour)
			require.InDelta(t, tc.lost, v.Lost, 1e-6)
			var got []time.Duration
			for _, it := range v.Interruptions {
				got = append(got, it.Duration)
			}
			require.Equal(t, tc.intervals, got)
		})
	}
}

func TestLoopOrdersByTimeThenSequence(t *testing.T) {
	loop := NewVirtualLoop()
	var got []string
	loop.AfterFunc(2*time.Second, func() { got = append(got, "b1") })
	loop.AfterFunc(time.Second, func() { got = append(got, "a") })
	loop.AfterFunc(2*time.Second, func() { got = append(got, "b2") })
	cancel := loop.AfterFunc(1500*time.Millisecond, func() { got = append(got, "canceled") })
	cancel()
	loop.AfterFunc(2*time.Second, func() {
		loop.AfterFunc(0, func() { got = append(got, "b3-same-instant") })
	})
	require.NoError(t, loop.Run(context.Background(), 0))
	require.Equal(t, []string{"a", "b1", "b2", "b3-same-instant"}, got)
	require.Equal(t, 2*time.Second, loop.Elapsed())
}

func TestLoopStopsAtLimit(t *testing.T) {
	loop := NewVirtualLoop()
	ran := false
	loop.AfterFunc(time.Hour, func() { ran = true })
	require.NoError(t, loop.Run(context.Background(), time.Minute))
	require.False(t, ran)
	require.Equal(t, time.Minute, loop.Elapsed())
}

// Work posted from another goroutine runs on the loop, and the clock runs
// at the loop's speed. The order "posted, then timer" must not depend on
// how soon the posting goroutine gets a CPU: the loop starts paused, so its
// clock stands at zero (and the timer cannot fall due) until the posted
// work itself resumes it. Racing a real 2 ms deadline instead failed about
// one run in ten under load ([timer posted]).
func TestRealLoopHonoursSpeedAndPost(t *testing.T) {
	loop := NewRealLoop(1000) // one virtual second per wall millisecond
	loop.Pause()
	var order []string
	var resumed time.Time
	loop.AfterFunc(2*time.Second, func() { order = append(order, "timer"); loop.Stop() })
	go loop.Post(func() {
		order = append(order, "posted")
		require.Zero(t, loop.Elapsed(), "a paused loop's clock stands still for posted work")
		resumed = time.Now()
		loop.Resume()
	})
	require.NoError(t, loop.Run(context.Background(), 0))
	took := time.Since(resumed)
	require.Equal(t, []string{"posted", "timer"}, order)
	require.Equal(t, 2*time.Second, loop.Elapsed())
	// 2 s of virtual time at speed 1000 is 2 ms of wall time: never less
	// (the timer cannot fire early), and far from a second unless the
	// speed were ignored (generous: the machine may be loaded).
	require.GreaterOrEqual(t, took, 2*time.Millisecond, "the timer fired before its time at speed 1000")
	require.Less(t, took, time.Second, "2s of virtual time at speed 1000 takes about 2ms")
}

func TestRandIsSeeded(t *testing.T) {
	a, b := NewRand(7), NewRand(7)
	require.Equal(t, a.UUID(), b.UUID())
	require.NotEqual(t, NewRand(8).UUID(), NewRand(7).UUID())
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a.UUID())
}

// Two real-time loops made at different moments with the same speed read
// the same clock: a deadline one process writes means the same to another.
func TestRealLoopsShareAScaledClock(t *testing.T) {
	noon := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := newRealLoop(20, noon)
	b := newRealLoop(20, noon.Add(30*time.Second))
	// b starts 30 s of wall time (10 min scaled) after a; a's clock at
	// that wall moment reads the same as b's at its start.
	require.Equal(t, a.Now().Add(10*time.Minute), b.Now())
	require.Equal(t, noon.Truncate(24*time.Hour).Add(240*time.Hour), a.Now(), "12h of wall time since midnight, ×20")
	require.Equal(t, noon, newRealLoop(1, noon).Now(), "at speed 1 the loop reads the wall clock")
}

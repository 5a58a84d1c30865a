package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/orchestrator"
)

func TestPlacement(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *rig)
		vm      *VM
		prefer  []string
		ignore  bool
		want    string
		wantErr bool
	}{
		{name: "spreads to the emptiest node, first in topology order on a tie",
			vm: &VM{ID: "x", VCPUs: 1, MemoryGiB: 1}, want: "n1"},
		{name: "never a node in maintenance",
			setup: func(r *rig) { require.NoError(t, r.w.NFVI.SetMaintenance("n1", true)) },
			vm:    &VM{ID: "x", VCPUs: 1, MemoryGiB: 1}, want: "n2"},
		{name: "a broken scheduler may use a node in maintenance",
			setup: func(r *rig) { require.NoError(t, r.w.NFVI.SetMaintenance("n1", true)) },
			vm:    &VM{ID: "x", VCPUs: 1, MemoryGiB: 1}, ignore: true, want: "n1"},
		{name: "anti-affinity keeps group members apart",
			setup: func(r *rig) {
				require.NoError(t, r.w.NFVI.PlaceVM(&VM{ID: "a", Group: "g", VCPUs: 1, MemoryGiB: 1}, "n1", false))
				require.NoError(t, r.w.NFVI.PlaceVM(&VM{ID: "b", Group: "g", VCPUs: 1, MemoryGiB: 1}, "n2", false))
			},
			vm: &VM{ID: "x", Group: "g", VCPUs: 1, MemoryGiB: 1}, want: "n3"},
		{name: "no room anywhere is an error",
			vm: &VM{ID: "x", VCPUs: 64, MemoryGiB: 1}, wantErr: true},
		{name: "anti-affinity with every node taken is an error",
			setup: func(r *rig) {
				for _, n := range []string{"n1", "n2", "n3"} {
					require.NoError(t, r.w.NFVI.PlaceVM(&VM{ID: "g-" + n, Group: "g", VCPUs: 1, MemoryGiB: 1}, n, false))
				}
			},
			vm: &VM{ID: "x", Group: "g", VCPUs: 1, MemoryGiB: 1}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Timings{}, 3)
			if tc.setup != nil {
				tc.setup(r)
			}
			err := r.w.NFVI.PlaceVM(tc.vm, "", tc.ignore)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, tc.vm.Host.ID)
		})
	}
}

func TestMigrationPrefersListedNodesAndReservesRoom(t *testing.T) {
	r := newRig(t, Timings{LiveMigration: 10 * time.Second, Blackout: 500 * time.Millisecond}, 3)
	vm := &VM{ID: "x", VCPUs: 20, MemoryGiB: 1}
	require.NoError(t, r.w.NFVI.PlaceVM(vm, "n1", false))
	var got string
	r.w.NFVI.Migrate("x", []string{"n3", "n2"}, true, func(to string, err error) {
		require.NoError(t, err)
		got = to
	})
	// While the move runs, n3's room is reserved: a second VM that needs it
	// must go elsewhere.
	require.Equal(t, 20, r.w.NFVI.Node("n3").UsedVCPUs)
	require.NoError(t, r.loop.Run(context.Background(), 0))
	require.Equal(t, "n3", got)
	require.Equal(t, "n3", vm.Host.ID)
	require.Equal(t, 0, r.w.NFVI.Node("n1").UsedVCPUs)
	require.Equal(t, 20, r.w.NFVI.Node("n3").UsedVCPUs)
	require.Equal(t, 10500*time.Millisecond, r.loop.Elapsed())
}

func TestNodeAgent(t *testing.T) {
	tests := []struct {
		name      string
		fault     NodeFault
		wantErr   string
		wantState string
		version   string
		called    bool
	}{
		{name: "upgrade and verify", wantState: orchestrator.NodeMaintenance, version: "2.0", called: true},
		{name: "upgrade fails", fault: FaultUpgradeFails, wantErr: "installing 2.0 on n1 failed", wantState: orchestrator.NodeFailed, version: "1.0", called: true},
		{name: "verify fails", fault: FaultVerifyFails, wantErr: "health test failed on n1", wantState: orchestrator.NodeFailed, version: "2.0", called: true},
		{name: "upgrade hangs", fault: FaultUpgradeHangs, wantState: orchestrator.NodeUpgrading, version: "1.0", called: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Timings{NodeUpgrade: 10 * time.Minute, Verify: 30 * time.Second}, 2)
			require.NoError(t, r.w.NFVI.SetMaintenance("n1", true))
			r.w.NFVI.SetFault("n1", tc.fault)
			called := false
			var gotErr error
			r.w.NFVI.Upgrade("n1", "2.0", func(err error) {
				called = true
				if err != nil {
					gotErr = err
					return
				}
				r.w.NFVI.Verify("n1", "2.0", func(err error) { gotErr = err })
			})
			require.NoError(t, r.loop.Run(context.Background(), 0))
			n := r.w.NFVI.Node("n1")
			require.Equal(t, tc.called, called)
			require.Equal(t, tc.wantState, n.State)
			require.Equal(t, tc.version, n.Version)
			if tc.wantErr == "" {
				require.NoError(t, gotErr)
			} else {
				require.EqualError(t, gotErr, tc.wantErr)
			}
			// The fault hits the first attempt only: a reinstall works.
			r.w.NFVI.Upgrade("n1", "1.0", func(err error) { require.NoError(t, err) })
			require.NoError(t, r.loop.Run(context.Background(), 0))
			require.Equal(t, "1.0", n.Version)
			require.Equal(t, orchestrator.NodeMaintenance, n.State)
		})
	}
}

// A message from another goroutine that arrives after a timer fell due
// must not overtake it: the drained-before-reply check depends on it.
func TestRealLoopFiresDueTimersBeforeMessages(t *testing.T) {
	for range 20 {
		l := NewRealLoop(1)
		var order []string
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = l.Run(ctx, 0); close(done) }()
		sent := make(chan struct{})
		l.Post(func() {
			l.AfterFunc(time.Millisecond, func() { order = append(order, "timer") })
			// Keep the loop busy past the timer's due time while a
			// message arrives.
			go func() { l.Exec(func() { order = append(order, "message") }); close(sent) }()
			time.Sleep(5 * time.Millisecond)
		})
		<-sent
		l.Exec(func() {})
		cancel()
		<-done
		require.Equal(t, []string{"timer", "message"}, order)
	}
}

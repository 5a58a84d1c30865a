package sim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/orchestrator"
)

type worldView struct {
	Nodes []orchestrator.NodeInfo
	VMs   [][]orchestrator.VMInfo
	VNFs  []VNFView
	Lost  float64
}

func viewOf(t *testing.T, w *World) worldView {
	t.Helper()
	v := worldView{Nodes: w.NFVI.Nodes(), Lost: w.LostRequests()}
	for _, n := range v.Nodes {
		vms := w.NFVI.VMsOn(n.ID)
		slices.SortFunc(vms, func(a, b orchestrator.VMInfo) int { return strings.Compare(a.ID, b.ID) })
		v.VMs = append(v.VMs, vms)
	}
	for _, f := range w.VNFs {
		view, err := w.GetVNF(f.Name)
		require.NoError(t, err)
		v.VNFs = append(v.VNFs, view)
	}
	return v
}

// restoreRig builds the world of TestRestore: three nodes, an
// active-standby pair and a pool of three.
func restoreRig(t *testing.T) *rig {
	r := newRig(t, Timings{NodeUpgrade: time.Minute, Verify: 10 * time.Second, LiveMigration: 5 * time.Second, Blackout: 100 * time.Millisecond}, 3)
	r.vnf(t, VNFConfig{Name: "mme", Mode: ModeActiveStandby, Load: 1000, CapacityPerInstance: 1000,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}, 2)
	r.vnf(t, VNFConfig{Name: "web", Mode: ModeLoadBalanced, Load: 1000, CapacityPerInstance: 600,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}, 3)
	return r
}

// TestRestore drives a world through one node's maintenance (switch-over,
// drain, live migration, upgrade), cuts it at a point, and restores a
// fresh world of the same making from the trace up to that point: it
// must be the same world, and one cut mid-upgrade must finish the upgrade.
func TestRestore(t *testing.T) {
	noop := func(string, error) {}
	script := func(t *testing.T, r *rig) {
		w := r.w
		r.at(time.Second, func() {
			require.NoError(t, w.NFVI.SetMaintenance("n1", true))
			mme := w.VNF("mme")
			for _, i := range mme.Instances {
				if i.VM.Host.ID != "n1" && mme.active.VM.Host.ID == "n1" {
					require.NoError(t, w.SwitchOver("mme", i.VM.ID))
				}
			}
			for _, i := range w.VNF("web").Instances {
				if i.VM.Host.ID == "n1" {
					require.NoError(t, w.Drain("web", i.VM.ID, func() {}))
				}
			}
		})
		r.at(10*time.Second, func() {
			for _, vm := range slices.Clone(w.NFVI.Node("n1").VMs) {
				w.NFVI.Migrate(vm.ID, nil, true, noop)
			}
		})
		r.at(100*time.Second, func() { w.NFVI.Upgrade("n1", "2.0", func(error) {}) })
	}
	for _, tc := range []struct {
		name string
		cut  time.Duration
		// settle: how long the restored world runs before it is compared
		// with the original run on to the same time.
		settle time.Duration
	}{
		{"between steps", 50 * time.Second, 0},
		{"mid live migration", 12 * time.Second, 0},
		{"mid upgrade", 130 * time.Second, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := restoreRig(t)
			script(t, orig)
			require.NoError(t, orig.loop.Run(context.Background(), tc.cut))
			cut := slices.Clone(orig.trace.Events)
			before := viewOf(t, orig.w)

			fresh := restoreRig(t)
			fresh.trace.Events = nil
			require.NoError(t, fresh.w.Restore(cut))
			after := viewOf(t, fresh.w)
			if tc.name == "mid live migration" {
				// The migration broke off: its VMs run where they were.
				for _, vms := range after.VMs {
					for _, vm := range vms {
						require.Equal(t, vmRunning, vm.State, vm.ID)
					}
				}
				require.Equal(t, before.Nodes[0].ID, "n1")
				require.Len(t, after.VMs[0], len(before.VMs[0]), "still on n1")
				return
			}
			require.Equal(t, before, after)
			if tc.settle == 0 {
				require.Empty(t, fresh.trace.Events, "a world restored between steps says nothing")
				return
			}
			require.NoError(t, fresh.loop.Run(context.Background(), tc.settle))
			n1 := fresh.w.NFVI.Node("n1")
			require.Equal(t, "2.0", n1.Version, "the agent finished the upgrade")
			require.Equal(t, orchestrator.NodeMaintenance, n1.State)
			for _, vm := range n1.VMs {
				require.Equal(t, vmRunning, vm.State)
			}
			var kinds []string
			for _, e := range fresh.trace.Events {
				kinds = append(kinds, e.Kind)
			}
			require.Contains(t, kinds, "node.version")
		})
	}
}

func TestRestoreRefusesAScaledWorld(t *testing.T) {
	orig := restoreRig(t)
	require.NoError(t, orig.w.Scale("web", 2))
	fresh := restoreRig(t)
	err := fresh.w.Restore(orig.trace.Events)
	require.Error(t, err)
	require.Contains(t, err.Error(), "scaled")
}

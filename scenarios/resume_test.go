package scenarios

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// TestResumeAtEveryPoint cuts a virtual F1 run after every few events and
// builds a real-time testbed that resumes it: the trace must open with the
// cut, untouched, the world must be the cut world (every node's version
// and state, every VM on its host), and the resumed testbed's own events
// must follow on, numbered and timed after it.
func TestResumeAtEveryPoint(t *testing.T) {
	s, err := load.File("../cmd/escalator/testdata/e2e-f1.yaml")
	require.NoError(t, err)
	full := Run(context.Background(), s, Options{})
	require.NoError(t, full.Err)
	n := len(full.Events)
	for k := 1; k < n; k += max(1, n/60) {
		orig, err := Build(s, BuildOptions{})
		require.NoError(t, err)
		orig.Watch(func(e escalator.Event) {
			if e.Seq >= int64(k) {
				orig.Loop.Stop()
			}
		})
		_, err = orig.Manager.CreateSession(orig.Config)
		require.NoError(t, err)
		require.NoError(t, orig.Loop.Run(context.Background(), 0))
		cut := slices.Clone(orig.Trace.Events)

		tb, err := Build(s, BuildOptions{Real: true, Speed: 1000, Resume: &Resume{Events: cut, Origin: orig.Loop.Now().Add(-orig.Loop.Elapsed())}})
		require.NoError(t, err, "cut after event %d", k)
		require.Equal(t, cut, tb.Trace.Events[:len(cut)], "cut after event %d: the trace opens with it", k)
		for i, e := range tb.Trace.Events[len(cut):] {
			require.Equal(t, int64(len(cut)+i+1), e.Seq)
			require.GreaterOrEqual(t, e.At, cut[len(cut)-1].At)
		}
		want, got := orig.World.NFVI.Nodes(), tb.World.NFVI.Nodes()
		for i := range want {
			require.Equal(t, want[i].Version, got[i].Version, "cut after event %d: node %s", k, want[i].ID)
			require.Equal(t, want[i].State, got[i].State, "cut after event %d: node %s", k, want[i].ID)
			var wantVMs, gotVMs []string
			for _, vm := range orig.World.NFVI.VMsOn(want[i].ID) {
				wantVMs = append(wantVMs, vm.ID)
			}
			for _, vm := range tb.World.NFVI.VMsOn(got[i].ID) {
				gotVMs = append(gotVMs, vm.ID)
			}
			slices.Sort(wantVMs)
			slices.Sort(gotVMs)
			require.Equal(t, wantVMs, gotVMs, "cut after event %d: the VMs on %s", k, want[i].ID)
		}
		for _, v := range orig.World.VNFs {
			w, err := orig.World.GetVNF(v.Name)
			require.NoError(t, err)
			g, err := tb.World.GetVNF(v.Name)
			require.NoError(t, err)
			for i := range w.Instances {
				require.Equal(t, w.Instances[i].Role, g.Instances[i].Role, "cut after event %d: %s", k, w.Instances[i].InstanceID)
				require.Equal(t, w.Instances[i].Drained, g.Instances[i].Drained, "cut after event %d: %s", k, w.Instances[i].InstanceID)
				require.Equal(t, w.Instances[i].InRotation, g.Instances[i].InRotation, "cut after event %d: %s", k, w.Instances[i].InstanceID)
			}
		}
	}
}

package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/sim"
)

func buildDemo(t *testing.T, path string) *scenarios.Testbed {
	t.Helper()
	s, err := load.File(filepath.Join("..", "..", "scenarios", path))
	require.NoError(t, err)
	tb, err := scenarios.Build(s, scenarios.BuildOptions{})
	require.NoError(t, err)
	_, err = tb.Manager.CreateSession(tb.Config)
	require.NoError(t, err)
	return tb
}

// The snapshot shows the world as it is: every node with its state,
// version and VMs, each VM with its VNF's colour and its role.
func TestSnapshotShowsTheWorld(t *testing.T) {
	tb := buildDemo(t, "demo/f1-showcase.yaml")
	target := tb.Config.TargetVersion
	for _, at := range []time.Duration{0, 2 * time.Second, 10 * time.Minute, 30 * time.Minute, 72 * time.Hour} {
		require.NoError(t, tb.Loop.Run(context.Background(), at))
		s := snapshotOf(tb.World, target, tb.Loop.Elapsed())
		require.Equal(t, tb.Loop.Elapsed().Milliseconds(), s.At)
		nodes := tb.World.NFVI.Nodes()
		require.Len(t, s.Nodes, len(nodes))
		actives := map[string]int{}
		for i, n := range s.Nodes {
			require.Equal(t, nodes[i].ID, n.ID)
			require.Equal(t, nodes[i].State, n.State)
			require.Equal(t, nodes[i].Version, n.Version)
			require.Equal(t, n.Version == target, n.Upgraded)
			var want []string
			for _, vm := range tb.World.NFVI.VMsOn(n.ID) {
				want = append(want, vm.ID)
			}
			var got []string
			for _, vm := range n.VMs {
				got = append(got, vm.ID)
				v := tb.World.VNF(vm.VNF)
				require.NotNil(t, v, vm.ID)
				require.Equal(t, slices.Index(tb.World.VNFs, v), vm.Color, "%s: the colour is its VNF's", vm.ID)
				require.Equal(t, tb.World.NFVI.CarriesBusiness(vm.ID), vm.Carrying, vm.ID)
				if vm.Role == sim.RoleActive {
					actives[vm.VNF]++
				}
				if v.Mode == sim.ModeLoadBalanced {
					require.Equal(t, sim.RoleMember, vm.Role, vm.ID)
				}
			}
			require.Equal(t, want, got, "%s at %s", n.ID, at)
		}
		require.Equal(t, map[string]int{"mme": 1, "sgw": 1}, actives, "one active per pair at %s", at)
		require.Len(t, s.VNFs, 3)
	}
	s := snapshotOf(tb.World, target, tb.Loop.Elapsed())
	for _, n := range s.Nodes {
		require.True(t, n.Upgraded, "%s ends upgraded", n.ID)
	}
}

// The services' figures add up to the trace's books: the loss the
// snapshot counts live is what service.summary records at the end, and
// availability is the share of the offered requests served.
func TestSnapshotCountsLossLive(t *testing.T) {
	tb := buildDemo(t, "negative/neg-zero-loss.yaml")
	require.NoError(t, tb.Loop.Run(context.Background(), 72*time.Hour))
	s := snapshotOf(tb.World, tb.Config.TargetVersion, tb.Loop.Elapsed())
	tb.World.Finish()
	var summary map[string]float64
	for _, e := range tb.Trace.Events {
		if e.Kind == "service.summary" {
			summary = map[string]float64{"lost": e.Num("lost"), "offered": e.Num("offered")}
		}
	}
	require.NotNil(t, summary)
	require.Len(t, s.VNFs, 1)
	v := s.VNFs[0]
	require.Positive(t, v.Lost, "the negative control loses requests")
	require.InDelta(t, summary["lost"], v.Lost, 0.001)
	require.InDelta(t, 1-summary["lost"]/summary["offered"], v.Availability, 1e-9)
	require.Less(t, v.Availability, 1.0)
	require.Zero(t, v.Rate, "nothing is lost after the run")
	require.Equal(t, 1.0, v.Serving)
	require.Equal(t, 2, v.Up)
}

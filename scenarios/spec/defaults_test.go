package spec

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestApplyDefaultsInCode: a scenario built in code gets the defaults a
// loaded one gets (the loader's tests check those through files), and a
// second ApplyDefaults changes nothing.
func TestApplyDefaultsInCode(t *testing.T) {
	s := &Scenario{
		Name:  "code",
		Nodes: NodesSpec{Zones: []string{"a", "b"}, List: []NodeSpec{{Name: "x"}, {Name: "y", VCPUs: 8}, {Name: "z"}}},
		VNFs:  []VNFSpec{{Name: "web", Mode: ModeLoadBalanced, Load: 500}},
	}
	s.ApplyDefaults()
	require.Equal(t, []NodeSpec{
		{Name: "x", Zone: "a", VCPUs: 32, MemoryGiB: 128, Version: "1.0"},
		{Name: "y", Zone: "b", VCPUs: 8, MemoryGiB: 128, Version: "1.0"},
		{Name: "z", Zone: "a", VCPUs: 32, MemoryGiB: 128, Version: "1.0"},
	}, s.Nodes.List)
	require.Equal(t, Rate(500), s.VNFs[0].CapacityPerInstance)
	require.Equal(t, Duration(3*630*time.Second), s.Upgrade.UpgradeTimeout)
	// Zero is a real blackout; only the loader knows when the key was absent.
	require.Equal(t, Duration(0), s.NFVI.LiveMigration.Blackout)

	once := *s
	once.VNFs = append([]VNFSpec(nil), s.VNFs...)
	once.Nodes.List = append([]NodeSpec(nil), s.Nodes.List...)
	s.ApplyDefaults()
	require.Equal(t, &once, s)
}

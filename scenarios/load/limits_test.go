package load

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	escalator "github.com/escalator-testbed/escalator"
)

// TestLimits holds the caps of Limits at their edges: a zero field takes
// the default, a raised one lets through what the default refuses.
func TestLimits(t *testing.T) {
	world := func(nodes, replicas int) string {
		return "name: w\nnodes: {count: " + strconv.Itoa(nodes) + ", vcpus: 64}\nvnfs: [{name: a, mode: active-standby, instances: 4, replicas: " + strconv.Itoa(replicas) + "}]\nupgrade: {targetVersion: \"2.0\", maxParallel: 100}\n"
	}
	tests := []struct {
		name   string
		limits Limits
		in     string
		want   string // "" when it loads
	}{
		{"nodes at the default cap", Limits{}, world(DefaultMaxNodes, 1), ""},
		{"nodes past the default cap", Limits{}, world(DefaultMaxNodes+1, 1),
			"w.yaml:2:16: nodes.count: 10001 nodes are more than the 10000 a scenario may have (hint: the large scenarios live in scenarios/scale/; to go past the cap run with --max-world NODES/VMS, e.g. --max-world 20000/400000)"},
		{"nodes under a raised cap", Limits{MaxNodes: 20_000}, world(DefaultMaxNodes+1, 1), ""},
		{"VMs at the default cap", Limits{}, world(10000, DefaultMaxVMs/4), ""},
		{"VMs past the default cap", Limits{}, world(10000, DefaultMaxVMs/4+1),
			"w.yaml:3:64: vnfs[0].replicas: the VNFs have 200004 VMs in all (instances × replicas), more than the 200000 a scenario may have (hint: the large scenarios live in scenarios/scale/; to go past the cap run with --max-world NODES/VMS, e.g. --max-world 20000/400000)"},
		{"VMs under a raised cap", Limits{MaxVMs: 400_000}, world(10000, DefaultMaxVMs/4+1), ""},
		{"a name of 128 bytes", Limits{}, "name: " + strings.Repeat("n", 128) + "\nnodes: {count: 1}\nupgrade: {targetVersion: \"2.0\"}\n", ""},
		{"a name of 129 bytes", Limits{}, "name: " + strings.Repeat("n", 129) + "\nnodes: {count: 1}\nupgrade: {targetVersion: \"2.0\"}\n",
			"w.yaml:1:7: name: the scenario name is 129 bytes long, more than 128 (hint: shorten it; the name becomes the trace's file name)"},
		{"a duration of 1000h", Limits{}, "name: d\nnodes: {count: 1}\nupgrade: {targetVersion: \"2.0\", replyTimeout: 1000h}\n", ""},
		{"bytes over the cap", Limits{MaxInputSize: 10}, loadMinimal,
			"w.yaml: the file is 120B, more than the 10B a scenario may be (hint: a scenario is a few KiB: generate nodes with nodes.count and VNFs with replicas instead of listing them, or raise the cap with --max-input-size, e.g. --max-input-size 1MiB)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.limits.Bytes("w.yaml", []byte(tc.in))
			if tc.want == "" {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.EqualError(t, err, tc.want)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		})
	}
}

// TestReadInputRefusesBeforeReading: what is no regular file, or is too
// large, is refused from a stat, with a cause errors.Is can tell.
func TestReadInputRefusesBeforeReading(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte(loadMinimal), 0o644))

	_, err := Limits{MaxInputSize: 16}.File(big)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = Limits{}.File(dir)
	require.True(t, errors.Is(err, errNotRegular), err)
	require.ErrorContains(t, err, "not a regular file: a folder")
	_, err = File(big)
	require.NoError(t, err)
	_, err = File(filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

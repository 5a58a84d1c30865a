package scenarios

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/stretchr/testify/require"
)

// The embedded showcases are exactly the files under scenarios/demo/, the
// default first, each asking for a real-time speed that makes the demo
// last minutes rather than hours.
func TestDemosAreTheDemoFolder(t *testing.T) {
	list, err := Demos()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("demo", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, list, len(files))
	require.Equal(t, DemoDefault, list[0].Name)
	for _, s := range list {
		require.FileExists(t, filepath.Join("..", s.Path))
		disk, err := os.ReadFile(filepath.Join("..", s.Path))
		require.NoError(t, err)
		fromDisk, err := load.Bytes(s.Path, disk)
		require.NoError(t, err)
		require.Equal(t, fromDisk.Name, s.Name)
		require.Positive(t, s.Clock.Speed, "%s: clock.speed sets the demo's pace", s.Name)
		require.Equal(t, "demo", s.Labels["suite"], s.Name)
	}
}

package sqlitestore

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the store on the orchestrator's side of the design:
// it may use the orchestrator, the root package and the shared SQLite
// discipline, and never the simulated world, the testbed or the reports
// (which would also put them into every VIM that keeps state).
func TestImports(t *testing.T) {
	const module = "github.com/escalator-testbed/escalator"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/sim", "/scenarios", "/reports", "/cmd", "/openapi"} {
			require.False(t, dep == module+banned || strings.HasPrefix(dep, module+banned+"/"), "the store depends on %s", dep)
		}
	}
}

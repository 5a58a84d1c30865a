package judge

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckRegistryWellFormed: every check says what the schema and the
// docs need, judges one way, and is registered once; outcome runs first.
func TestCheckRegistryWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range builtinChecks {
		require.False(t, seen[c.Name], "check %s is registered twice", c.Name)
		seen[c.Name] = true
		require.NotEmpty(t, c.Doc, c.Name)
		require.True(t, (c.Run == nil) != (c.Walk == nil), "check %s needs one of Run and Walk", c.Name)
	}
	require.Equal(t, CheckOutcome, builtinChecks[0].Name, "outcome runs first")
}

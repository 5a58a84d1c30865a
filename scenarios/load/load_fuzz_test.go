package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	escalator "github.com/escalator-testbed/escalator"
)

// FuzzLoadBytes holds the loader to its promises on any input: no panic,
// either a scenario or an *Error, one sorted, positioned line per
// problem, and a loaded scenario that ApplyDefaults no longer changes.
func FuzzLoadBytes(f *testing.F) {
	full, err := os.ReadFile("testdata/load/full.yaml")
	require.NoError(f, err)
	f.Add(full)
	f.Add([]byte(loadMinimal))
	for _, c := range loadBadCases {
		f.Add([]byte(c.in))
	}
	hostile, err := filepath.Glob("testdata/hostile/*.yaml")
	require.NoError(f, err)
	for _, p := range hostile {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Bytes("fuzz.yaml", data)
		if err == nil {
			require.NotNil(t, s)
			again, err := Bytes("fuzz.yaml", data)
			require.NoError(t, err)
			again.ApplyDefaults()
			require.Equal(t, s, again)
			return
		}
		require.Nil(t, s)
		require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		var le *Error
		require.ErrorAs(t, err, &le)
		require.NotEmpty(t, le.Problems)
		lines := strings.Split(err.Error(), "\n")
		require.Len(t, lines, len(le.Problems))
		for i, p := range le.Problems {
			require.True(t, strings.HasPrefix(lines[i], "fuzz.yaml:"), lines[i])
			require.GreaterOrEqual(t, p.Line, 1, lines[i])
			require.GreaterOrEqual(t, p.Col, 1, lines[i])
			require.NotEmpty(t, p.Message, lines[i])
			if i > 0 {
				prev := le.Problems[i-1]
				require.True(t, prev.Line < p.Line || prev.Line == p.Line && prev.Col <= p.Col, "problems out of order")
			}
		}
	})
}

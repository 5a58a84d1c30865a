package datadriven

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAndRewrite(t *testing.T) {
	src := `# a comment
world zone=z1 byZone
a
  # a comment in the input
b
----
ok

run
----
old line 1
old line 2
`
	lines, cases := Parse(t, "x.txt", src)
	require.Len(t, cases, 2)
	require.Equal(t, 2, cases[0].Line)
	require.Equal(t, "world", cases[0].Cmd)
	require.Equal(t, map[string]string{"zone": "z1", "byZone": ""}, cases[0].Args)
	require.Equal(t, []string{"a", "b"}, cases[0].Input)
	require.Equal(t, "ok", cases[0].Want)
	require.Equal(t, "run", cases[1].Cmd)
	require.Empty(t, cases[1].Input)
	require.Equal(t, "old line 1\nold line 2", cases[1].Want)

	cases[0].got, cases[1].got = "ok", "new"
	require.Equal(t, `# a comment
world zone=z1 byZone
a
  # a comment in the input
b
----
ok

run
----
new
`, rewrite(lines, cases))
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReportsAndHistory drives the report flags and the history commands
// end to end through the CLI.
func TestReportsAndHistory(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	db := filepath.Join(dir, "h.db")
	out := filepath.Join(dir, "out")
	cli := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(context.Background(), args, &o, &e)
		return code, o.String(), e.String()
	}

	code, _, errs := cli("run", "--db", db, "--junit", out+"/j.xml", "--json", out+"/r.json", "--markdown", out+"/s.md", "--html", out+"/r.html", ok)
	require.Equal(t, exitPass, code, errs)
	for _, f := range []string{"j.xml", "r.json", "s.md", "r.html"} {
		info, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
		require.NotZero(t, info.Size(), f)
		require.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "%s is readable by CI tools", f)
	}
	var doc map[string]any
	body, _ := os.ReadFile(filepath.Join(out, "r.json"))
	require.NoError(t, json.Unmarshal(body, &doc))
	code, _, errs = cli("run", "--db", db, "--seed", "9", ok)
	require.Equal(t, exitPass, code, errs)

	code, list, errs := cli("history", "--db", db)
	require.Equal(t, exitPass, code, errs)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	require.Len(t, lines, 3, list) // header and two runs
	newest, older := strings.Fields(lines[1])[0], strings.Fields(lines[2])[0]

	code, _, errs = cli("report", newest, "--db", db, "--html", out+"/again.html")
	require.Equal(t, exitPass, code, errs)
	require.FileExists(t, out+"/again.html")

	code, diff, errs := cli("compare", older, newest, "--db", db)
	require.Equal(t, exitPass, code, errs)
	require.Contains(t, diff, "seed")

	code, _, errs = cli("report", "ffffffff", "--db", db)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "ffffffff")

	code, _, errs = cli("history", "--db", filepath.Join(dir, "none.db"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "no run history")

	code, _, _ = cli("run", "--no-db", "--db", filepath.Join(dir, "unused.db"), ok)
	require.Equal(t, exitPass, code)
	require.NoFileExists(t, filepath.Join(dir, "unused.db"))
}

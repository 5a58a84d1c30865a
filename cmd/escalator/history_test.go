package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/reports/history"
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

// TestHistorySharedByProcesses runs escalator as separate processes that
// all record into one history file, as CI jobs sharing a --db do: rounds of
// processes started together, the first round on a file that does not
// exist yet, the later ones on the file the earlier rounds wrote. Every
// process must record its run (none may fail on a lock), and the file
// must hold every run, intact.
func TestHistorySharedByProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs 40 processes")
	}
	const procs, rounds = 8, 5
	bin := testBinary(t)
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	db := filepath.Join(dir, "shared", "history.db")

	for round := range rounds {
		type outcome struct {
			seed int
			err  error
			out  []byte
		}
		outcomes := make([]outcome, procs)
		var wg sync.WaitGroup
		for i := range procs {
			// Each process's run is told apart by its seed.
			seed := round*procs + i + 1
			wg.Go(func() {
				cmd := exec.Command(bin, "run", "--db", db, "--seed", fmt.Sprint(seed), ok)
				cmd.Env = append(os.Environ(), "NO_COLOR=1", "ESCALATOR_DB=")
				out, err := cmd.CombinedOutput()
				outcomes[i] = outcome{seed, err, out}
			})
		}
		wg.Wait()
		for _, o := range outcomes {
			require.NoError(t, o.err, "round %d, seed %d:\n%s", round, o.seed, o.out)
			require.NotContains(t, strings.ToLower(string(o.out)), "locked", "round %d, seed %d", round, o.seed)
		}
	}

	conn, err := sql.Open("sqlite3", history.DSN(db))
	require.NoError(t, err)
	defer conn.Close()
	var integrity string
	require.NoError(t, conn.QueryRow(`PRAGMA integrity_check`).Scan(&integrity))
	require.Equal(t, "ok", integrity)
	var runs int
	require.NoError(t, conn.QueryRow(`SELECT count(*) FROM runs`).Scan(&runs))
	require.Equal(t, procs*rounds, runs)
	rows, err := conn.Query(`SELECT seed FROM scenario_results`)
	require.NoError(t, err)
	defer rows.Close()
	var seeds []int
	for rows.Next() {
		var s int
		require.NoError(t, rows.Scan(&s))
		seeds = append(seeds, s)
	}
	require.NoError(t, rows.Err())
	sort.Ints(seeds)
	want := make([]int, procs*rounds)
	for i := range want {
		want[i] = i + 1
	}
	require.Equal(t, want, seeds, "every process's run, once")
}

package history

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/stretchr/testify/require"
)

// The environment of one opener process of TestOpenFromProcesses: the
// history file, the instant to open it at, and the run to record.
const (
	envOpenerPath = "ESCALATOR_TEST_OPENER_PATH"
	envOpenerAt   = "ESCALATOR_TEST_OPENER_AT"
	envOpenerRun  = "ESCALATOR_TEST_OPENER_RUN"
)

// TestOpenFromProcesses opens brand-new history files from separate
// processes that all call Open at the same instant, so that they race on
// switching the file to WAL and on the first migrations, as CI jobs
// sharing one --db do; the processes of cmd/escalator's
// TestHistorySharedByProcesses finish their runs too far apart to meet in
// that window often. Every process must record its run, and the file must
// be intact and hold every run.
func TestOpenFromProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 40 processes")
	}
	const procs, rounds = 8, 5
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "history.db")
		// Late enough for every process to have started on a busy
		// machine, so that they all wait for the same instant.
		at := time.Now().Add(time.Second).Format(time.RFC3339Nano)
		outs := make([][]byte, procs)
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i := range procs {
			wg.Go(func() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestOpenerProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), envOpenerPath+"="+path, envOpenerAt+"="+at,
					fmt.Sprintf("%s=run-%d-%d", envOpenerRun, round, i))
				outs[i], errs[i] = cmd.CombinedOutput()
			})
		}
		wg.Wait()
		for i := range procs {
			require.NoError(t, errs[i], "round %d, process %d:\n%s", round, i, outs[i])
			require.NotContains(t, strings.ToLower(string(outs[i])), "locked", "round %d, process %d", round, i)
		}

		db, err := sql.Open("sqlite3", DSN(path))
		require.NoError(t, err)
		var integrity string
		require.NoError(t, db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity))
		require.Equal(t, "ok", integrity, "round %d", round)
		var runs int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM runs`).Scan(&runs))
		require.Equal(t, procs, runs, "round %d: every process's run", round)
		var migrations int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&migrations))
		require.Equal(t, SchemaVersion, migrations, "round %d: each migration once", round)
		require.NoError(t, db.Close())
	}
}

// TestOpenerProcess is one opener of TestOpenFromProcesses, in a process
// of its own; run alone it does nothing.
func TestOpenerProcess(t *testing.T) {
	path := os.Getenv(envOpenerPath)
	if path == "" {
		t.Skip("an opener process of TestOpenFromProcesses")
	}
	at, err := time.Parse(time.RFC3339Nano, os.Getenv(envOpenerAt))
	require.NoError(t, err)
	time.Sleep(time.Until(at))
	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	require.NoError(t, s.Save(runOf(t, os.Getenv(envOpenerRun), time.Now(), [2]string{"x", judge.VerdictPass})))
	require.NoError(t, s.Close())
}

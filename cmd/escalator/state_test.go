package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/orchestrator/sqlitestore"
)

// What `escalator vim --state` refuses, and how: a state file it cannot
// use is the user's input (exit 2) and stays as it was; one another VIM
// holds is a harness that cannot run (exit 3). Without --state the VIM
// says a crash loses the session.
func TestVIMStateFile(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	// made writes a state file through the store, then closes it.
	made := func(t *testing.T, name string, fn func(st *sqlitestore.Store)) string {
		p := filepath.Join(dir, name)
		st, err := sqlitestore.Open(p)
		require.NoError(t, err)
		fn(st)
		require.NoError(t, st.Close())
		return p
	}
	notSQLite := write(t, dir, "garbage.db", fmt.Sprintf("%4096s", "not a database"))
	newer := made(t, "newer.db", func(*sqlitestore.Store) {})
	db, err := sql.Open("sqlite3", "file:"+newer)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	otherRun := made(t, "other.db", func(st *sqlitestore.Store) {
		require.NoError(t, st.Put(stateRunDoc, stateRun{Scenario: "other", Seed: 1, Speed: 1}))
	})
	concluded := made(t, "done.db", func(st *sqlitestore.Store) {
		require.NoError(t, st.Put(stateRunDoc, stateRun{Scenario: "ok", Seed: 1, Speed: 1, Concluded: true}))
	})
	otherSpeed := made(t, "speed.db", func(st *sqlitestore.Store) {
		require.NoError(t, st.Put(stateRunDoc, stateRun{Scenario: "ok", Seed: 1, Speed: 20}))
	})
	held := filepath.Join(dir, "held.db")
	holder, err := sqlitestore.Open(held)
	require.NoError(t, err)
	defer holder.Close()

	vim := func(extra ...string) []string {
		return append([]string{"vim", "--listen", "127.0.0.1:0", "--scenario", ok, "--wait", "1ms"}, extra...)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
		file   string // left byte for byte
	}{
		{"no --state", vim(), exitHarness, "no --state FILE: the upgrade session lives in this process only, and a crash loses it", ""},
		{"not SQLite", vim("--state", notSQLite), exitUsage, "is not a usable state file: it is not SQLite, or it is damaged; it was left as it is", notSQLite},
		{"newer schema", vim("--state", newer), exitUsage, "has schema version 99, newer than this escalator knows", newer},
		{"missing folder", vim("--state", filepath.Join(dir, "nope", "state.db")), exitUsage, "does not exist", ""},
		{"another scenario's run", vim("--state", otherRun), exitUsage, "holds a run of scenario other (seed 1), not of ok (seed 1)", otherRun},
		{"a judged run", vim("--state", concluded), exitUsage, "holds a run that has ended and been judged", concluded},
		{"another speed", vim("--state", otherSpeed, "--speed", "1"), exitUsage, "holds a run at --speed 20, not 1", otherSpeed},
		{"held by another VIM", vim("--state", held), exitHarness, "is in use by another escalator process", ""},
		{"a real cloud", vim("--state", filepath.Join(dir, "cloud.db"), "--cloud", "openstack", "--fake-upgrade", "1s", "--speed", "1"), exitUsage, "--state works with the simulated NFVI only for now", ""},
		{"a new file", vim("--state", filepath.Join(dir, "new.db")), exitHarness, "no VNFM subscribed within", ""},
		{"the same file again, no session begun", vim("--state", filepath.Join(dir, "new.db")), exitHarness, "no VNFM subscribed within", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sum [32]byte
			if tc.file != "" {
				b, err := os.ReadFile(tc.file)
				require.NoError(t, err)
				sum = sha256.Sum256(b)
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
			require.Contains(t, errb.String(), tc.stderr)
			if tc.name != "no --state" {
				require.NotContains(t, errb.String(), "a crash loses it")
			}
			if tc.file != "" {
				b, err := os.ReadFile(tc.file)
				require.NoError(t, err)
				require.Equal(t, sum, sha256.Sum256(b), "the state file is left as it was")
			}
		})
	}
}

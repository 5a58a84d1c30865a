package sqlitestore

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/storetest"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) orchestrator.Store {
		s, _ := openTemp(t)
		return s
	})
}

// first is a session's first commit with a typical step in it.
func first(id string) orchestrator.Commit {
	c := storetest.Typical(id, 1)
	c.Spec = storetest.Spec(id, "node-a", "node-b", "node-c").Spec
	return c
}

func load(t *testing.T, s orchestrator.Store) []orchestrator.SessionRecord {
	t.Helper()
	got, err := s.Load()
	require.NoError(t, err)
	return got
}

func TestReopenSeesTheData(t *testing.T) {
	s, path := openTemp(t)
	ref := orchestrator.NewMemoryStore()
	commit := func(s orchestrator.Store, c orchestrator.Commit) {
		require.NoError(t, s.Commit(c))
		require.NoError(t, ref.Commit(c))
	}
	commit(s, first("s1"))
	commit(s, storetest.Typical("s1", 2, "node-b", "node-c"))
	commit(s, storetest.Answer("s1", "s1-note-2", orchestrator.SessionRunning))
	require.NoError(t, s.Close())

	s2, err := Open(path)
	require.NoError(t, err)
	defer s2.Close()
	require.Equal(t, load(t, ref), load(t, s2))
	// The order of first writes outlives the process: node-c stays last.
	commit(s2, storetest.Typical("s1", 3, "node-c", "node-a"))
	commit(s2, first("s2"))
	got := load(t, s2)
	require.Equal(t, load(t, ref), got)
	var nodes []string
	for _, n := range got[0].Nodes {
		nodes = append(nodes, n.Node)
	}
	require.Equal(t, []string{"node-a", "node-b", "node-c"}, nodes)
}

// TestCommitIsOneTransaction fails a commit after each stage of its
// transaction; the store must hold what it held before, and go on.
func TestCommitIsOneTransaction(t *testing.T) {
	for _, stage := range []string{"header", "nodes", "notes", "replies"} {
		t.Run(stage, func(t *testing.T) {
			s, path := openTemp(t)
			require.NoError(t, s.Commit(first("s1")))
			before := load(t, s)
			boom := errors.New("injected")
			failAt = func(at string) error {
				if at == stage {
					return boom
				}
				return nil
			}
			t.Cleanup(func() { failAt = nil })

			// A step of a running session, with a row of each kind.
			c := storetest.Typical("s1", 2, "node-b", "node-c")
			c.Replies = storetest.Answer("s1", "s1-note-1", "").Replies
			c.Session.State = orchestrator.SessionCompleted
			err := s.Commit(c)
			require.ErrorIs(t, err, boom)
			require.Equal(t, before, load(t, s), "a failed commit leaves nothing")

			// A new session's first commit, failed, leaves no session.
			fresh := first("s2")
			fresh.Replies = c.Replies
			require.ErrorIs(t, s.Commit(fresh), boom)
			require.Equal(t, before, load(t, s), "a failed first commit leaves no session")

			failAt = nil
			require.NoError(t, s.Commit(c), "the store goes on after a failed commit")
			after := load(t, s)
			require.Equal(t, orchestrator.SessionCompleted, after[0].Session.State)
			require.Len(t, after[0].Nodes, 3)

			require.NoError(t, s.Close())
			s2, err := Open(path)
			require.NoError(t, err)
			defer s2.Close()
			require.Equal(t, after, load(t, s2), "and so does the file")
		})
	}
}

func TestClosedStoreRefuses(t *testing.T) {
	s, _ := openTemp(t)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is harmless")
	err := s.Commit(first("s1"))
	require.Error(t, err)
	require.Equal(t, escalator.EINTERNAL, escalator.ErrorCode(err))
	_, err = s.Load()
	require.Error(t, err)
}

func TestOpenSettings(t *testing.T) {
	s, path := openTemp(t)
	for _, q := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"application_id", fmt.Sprint(ApplicationID)},
	} {
		var got string
		require.NoError(t, s.db.QueryRow("PRAGMA "+q.pragma).Scan(&got), q.pragma)
		require.Equal(t, q.want, got, q.pragma)
	}
	require.NoError(t, s.Close())

	// Each migration recorded once, however often the file is opened.
	for range 2 {
		s, err := Open(path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
	db, err := sql.Open("sqlite3", DSN(path))
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT version, name FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var v int
		var name string
		require.NoError(t, rows.Scan(&v, &name))
		got = append(got, fmt.Sprintf("%d %s", v, name))
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, SchemaVersion)
	require.Equal(t, "1 init", got[0])
}

func TestConcurrentCommits(t *testing.T) {
	s, _ := openTemp(t)
	const sessions, steps = 4, 25
	var wg sync.WaitGroup
	errs := make([]error, sessions)
	for i := range sessions {
		wg.Go(func() {
			id := fmt.Sprintf("s%d", i)
			if errs[i] = s.Commit(first(id)); errs[i] != nil {
				return
			}
			for k := 2; k <= steps; k++ {
				if errs[i] = s.Commit(storetest.Typical(id, k)); errs[i] != nil {
					return
				}
				if _, errs[i] = s.Load(); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got := load(t, s)
	require.Len(t, got, sessions)
	for _, r := range got {
		require.Len(t, r.Notes, steps)
		require.Equal(t, steps, r.Session.Upgrades)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	s, path := openTemp(t)
	require.NoError(t, s.Commit(first("s1")))
	_, err := Open(path)
	require.Error(t, err)
	require.Equal(t, escalator.EUNAVAILABLE, escalator.ErrorCode(err))
	require.Contains(t, err.Error(), "in use by another escalator process")
	require.Len(t, load(t, s), 1, "the refused opener disturbed nothing")
	require.NoError(t, s.Close())

	s2, err := Open(path)
	require.NoError(t, err, "the lock goes with Close")
	defer s2.Close()
	require.Len(t, load(t, s2), 1)
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return sha256.Sum256(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// written makes a real state file at path holding a few sessions, closed.
func written(t *testing.T, path string, sessions int) {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	for i := range sessions {
		id := fmt.Sprintf("session-%03d", i)
		require.NoError(t, s.Commit(first(id)))
		require.NoError(t, s.Commit(storetest.Typical(id, 2)))
	}
	require.NoError(t, s.Close())
}

// tamper runs statements on a closed state file through a raw connection
// that ignores the CHECK constraints, as damage would.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", DSN(path)+"&_ignore_check_constraints=1")
	require.NoError(t, err)
	defer db.Close()
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
}

func TestOpenRefuses(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want string // in the message
	}{
		{"not SQLite", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf("%4096s", "escalator session: not a database")), 0o644))
		}, "is not a usable state file: it is not SQLite, or it is damaged; it was left as it is"},
		{"truncated", func(t *testing.T, path string) {
			written(t, path, 60)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.Greater(t, fi.Size(), int64(8*4096), "a file of many pages")
			require.NoError(t, os.Truncate(path, fi.Size()/2))
		}, "not a usable state file"},
		{"a page overwritten", func(t *testing.T, path string) {
			written(t, path, 60)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			require.NoError(t, err)
			_, err = f.WriteAt(make([]byte, 4096), 3*4096)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "not a usable state file"},
		{"a node row that is not JSON", func(t *testing.T, path string) {
			written(t, path, 2)
			tamper(t, path, `UPDATE nodes SET doc = '{"node": "node-a", "sta' WHERE node = 'node-a'`)
			// The CHECK (json_valid) constraints make SQLite's own
			// check find it, before any document is decoded.
		}, `it is damaged (SQLite's quick check says "CHECK constraint failed in nodes")`},
		{"a header of the wrong shape", func(t *testing.T, path string) {
			written(t, path, 2)
			tamper(t, path, `UPDATE sessions SET header = '{"state": 5}' WHERE id = 'session-001'`)
		}, "store: session session-001 does not decode"},
		{"a node row for a node the session does not list", func(t *testing.T, path string) {
			written(t, path, 1)
			tamper(t, path, `UPDATE nodes SET doc = json_set(doc, '$.node', 'node-z') WHERE node = 'node-a'`)
		}, `has a row for node "node-z"`},
		{"an event that does not decode", func(t *testing.T, path string) {
			written(t, path, 1)
			tamper(t, path, `INSERT INTO events (seq, doc) VALUES (1, '{"seq": "one"}')`)
		}, "its event 1 does not decode or is out of place"},
		{"a document that does not decode", func(t *testing.T, path string) {
			written(t, path, 1)
			tamper(t, path, `INSERT INTO documents (name, doc) VALUES ('x', 'nope')`)
		}, "CHECK constraint failed in documents"},
		{"a newer schema", func(t *testing.T, path string) {
			written(t, path, 1)
			tamper(t, path, fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'future', '2999-01-01T00:00:00.000000000Z')`, SchemaVersion+1))
		}, fmt.Sprintf("has schema version %d, newer than this escalator knows (%d)", SchemaVersion+1, SchemaVersion)},
		{"another application's SQLite file", func(t *testing.T, path string) {
			tamper(t, path, `CREATE TABLE runs (id TEXT PRIMARY KEY)`, `INSERT INTO runs VALUES ('r1')`)
		}, "is a SQLite database but not an escalator state file"},
		{"a history database", func(t *testing.T, path string) {
			// What reports/history makes: a schema_migrations table of
			// its own, with versions this store would take for its own.
			tamper(t, path, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
				`INSERT INTO schema_migrations VALUES (1, 'init', 'x'), (2, 'conformance', 'x')`, `CREATE TABLE runs (id TEXT PRIMARY KEY)`)
		}, "not an escalator state file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			tc.make(t, path)
			names, sum := dirNames(t, dir), fileHash(t, path)

			s, err := Open(path)
			if err == nil {
				_ = s.Close()
			}
			require.Error(t, err)
			t.Log(err)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err), "%v", err)
			require.Contains(t, err.Error(), path)
			require.Contains(t, err.Error(), tc.want)
			require.Equal(t, sum, fileHash(t, path), "the file is left byte for byte")
			require.Equal(t, names, dirNames(t, dir), "and nothing is left beside it")

			// Refused again, the same way: nothing was reset.
			_, again := Open(path)
			require.Error(t, again)
			require.Equal(t, err.Error(), again.Error())
			require.Equal(t, sum, fileHash(t, path))
		})
	}
}

func TestOpenBadPaths(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-folder", "state.db")
	_, err := Open(missing)
	require.Error(t, err)
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.Contains(t, err.Error(), "does not exist")
	require.NoDirExists(t, filepath.Dir(missing), "the folder is not created")

	_, err = Open(dir)
	require.Error(t, err)
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.Contains(t, err.Error(), "is a folder")

	_, err = Open("")
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))

	file := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Open(filepath.Join(file, "state.db"))
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.Contains(t, err.Error(), "is not a folder")
}

// TestEmptyFileIsNew: an empty file (touch state.db) is a new store.
func TestNewFileIsTheOwners(t *testing.T) {
	_, path := openTemp(t)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "it may hold subscribers' credentials")
}

func TestEmptyFileIsNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.Empty(t, load(t, s))
	require.NoError(t, s.Commit(first("s1")))
}

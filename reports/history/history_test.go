package history

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Real results, run once per test binary: the F1 active-standby flow at
// its own seed and another, a negative control, and an error.
var (
	realOnce    sync.Once
	realResults []*judge.Result
	realErr     error
)

var realFiles = []string{
	"../../scenarios/flows/f1-active-standby.yaml",
	"../../scenarios/flows/f1-mixed.yaml",
	"../../scenarios/negative/naive-upgrade.yaml",
}

func results(t testing.TB) []*judge.Result {
	t.Helper()
	realOnce.Do(func() {
		var out []*judge.Result
		for _, f := range realFiles {
			s, err := load.File(f)
			if err != nil {
				realErr = err
				return
			}
			out = append(out, scenarios.Run(context.Background(), s, scenarios.Options{}))
		}
		// The same scenario at another seed shares its *Scenario.
		out = append(out, scenarios.Run(context.Background(), out[0].Scenario, scenarios.Options{Seed: 7}))
		// A scenario built in code that the harness could not run.
		out = append(out, &judge.Result{
			Scenario: &spec.Scenario{Name: "broken", Description: "built in code", Seed: 3,
				Labels: map[string]string{"suite": "unit"}, Upgrade: spec.UpgradeSpec{Flow: spec.FlowF2, TargetVersion: "9"}},
			Seed:    3,
			Verdict: judge.VerdictError,
			Err:     escalator.Errorf(escalator.EINTERNAL, "the harness broke:\nsecond line"),
		})
		realResults = out
	})
	require.NoError(t, realErr)
	require.Len(t, realResults, len(realFiles)+2)
	return realResults
}

// realRun is a run of the real results.
func realRun(t testing.TB, id string, started time.Time) reports.Run {
	rs := results(t)
	walls := make([]time.Duration, len(rs))
	for i := range walls {
		walls[i] = time.Duration(i+1)*123456789*time.Nanosecond + 7
	}
	return reports.Run{
		ID: id, Started: started, Wall: 4*time.Second + 321*time.Microsecond + 1,
		Command: "escalator run scenarios/", Version: "v0.9.0-test", Results: rs, Walls: walls,
	}
}

// runOf is a cheap run: each result a copy of a real one renamed, with the
// given verdicts.
func runOf(t testing.TB, id string, started time.Time, named ...[2]string) reports.Run {
	base := results(t)[0]
	run := reports.Run{ID: id, Started: started, Command: "escalator run", Version: "test"}
	for _, nv := range named {
		sc := *base.Scenario
		sc.Name, sc.Path = nv[0], ""
		r := *base
		r.Scenario, r.Verdict = &sc, nv[1]
		run.Results = append(run.Results, &r)
		run.Walls = append(run.Walls, time.Second)
	}
	return run
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "dir", "history.db")
	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s, path
}

func ndjson(t testing.TB, events []escalator.Event) []byte {
	var b bytes.Buffer
	require.NoError(t, escalator.WriteNDJSON(&b, events))
	return b.Bytes()
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	assert.Equal(t, "init", ms[0].Name)
	assert.Equal(t, len(ms), SchemaVersion)

	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []string // names in order; nil for an error
	}{
		{"sorted by number", fstest.MapFS{"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A"), "migrations/0010_c.sql.txt": file("x")}, []string{"a", "b"}},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/001_b.sql": file("B")}, nil},
		{"no number", fstest.MapFS{"migrations/init.sql": file("A")}, nil},
		{"no name", fstest.MapFS{"migrations/0001_.sql": file("A")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.files)
			if tc.want == nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, m := range ms {
				names = append(names, m.Name)
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

type appliedMigration struct {
	Version int
	Name    string
	At      string
}

func applied(t *testing.T, db *sql.DB) []appliedMigration {
	t.Helper()
	rows, err := db.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		require.NoError(t, rows.Scan(&m.Version, &m.Name, &m.At))
		out = append(out, m)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestOpenMigratesOnceAndRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "history.db")
	before := time.Now().Add(-time.Second)
	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	first := applied(t, s.w)
	require.Len(t, first, SchemaVersion)
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	for i, m := range first {
		assert.Equal(t, ms[i].Version, m.Version)
		assert.Equal(t, ms[i].Name, m.Name)
		at, err := time.Parse(timeLayout, m.At)
		require.NoError(t, err)
		assert.True(t, at.After(before), "applied_at %s", m.At)
	}
	require.NoError(t, s.Save(realRun(t, "run-1", time.Now())))
	require.NoError(t, s.Close())

	// Reopening applies nothing again and keeps the data.
	for range 3 {
		s, err = Open(path, load.Bytes)
		require.NoError(t, err)
		assert.Equal(t, first, applied(t, s.w))
		runs, err := s.Runs(Filter{})
		require.NoError(t, err)
		assert.Len(t, runs, 1)
		require.NoError(t, s.Close())
	}
}

func TestOpenSettings(t *testing.T) {
	s, _ := openTemp(t)
	for _, tc := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds())},
		{s.w, "synchronous", "1"}, // NORMAL, safe in WAL mode
		{s.r, "journal_mode", "wal"},
		{s.r, "foreign_keys", "1"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds())},
	} {
		var got string
		require.NoError(t, tc.db.QueryRow("PRAGMA "+tc.pragma).Scan(&got))
		assert.Equal(t, tc.want, got, tc.pragma)
	}
	assert.Equal(t, 1, s.w.Stats().MaxOpenConnections)
	// The readers cannot write.
	_, err := s.r.Exec(`DELETE FROM runs`)
	assert.Error(t, err)
}

func TestDSN(t *testing.T) {
	assert.Equal(t, "file:/x/history.db?_busy_timeout=10000&_foreign_keys=on&_txlock=immediate", DSN("/x/history.db"))
	assert.Equal(t, "file:/a%3fb%23c%25d?_busy_timeout=10000&_foreign_keys=on&_txlock=immediate", DSN("/a?b#c%d"))

	// A path with URI syntax in it still names that file.
	dir := filepath.Join(t.TempDir(), "odd?name#1%20")
	s, err := Open(filepath.Join(dir, "h.db"), load.Bytes)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.FileExists(t, filepath.Join(dir, "h.db"))
}

// saveTogether has openers goroutines each open the history at path and
// save a run (run-0, run-1, ...) at once, and returns what each met.
func saveTogether(t *testing.T, path string, openers int) []error {
	var wg sync.WaitGroup
	errs := make([]error, openers)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(path, load.Bytes)
			if err == nil {
				err = errors.Join(s.Save(runOf(t, fmt.Sprintf("run-%d", i), time.Now(), [2]string{"x", judge.VerdictPass})), s.Close())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// TestOpenConcurrently opens brand-new history files from many openers at
// once, round after round: each opener must get the file, migrated once,
// and save its run.
func TestOpenConcurrently(t *testing.T) {
	const openers, rounds = 8, 25
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "history.db")
		for i, err := range saveTogether(t, path, openers) {
			require.NoError(t, err, "round %d, opener %d", round, i)
		}
		s, err := Open(path, load.Bytes)
		require.NoError(t, err)
		assert.Len(t, applied(t, s.w), SchemaVersion)
		runs, err := s.Runs(Filter{})
		require.NoError(t, err)
		assert.Len(t, runs, openers)
		require.NoError(t, s.Close())
	}
}

// rawConn is a plain connection to a history file, outside any Store, as
// another process would hold one.
func rawConn(t *testing.T, path string) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite3", uri(path)+"?_txlock=deferred")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// holdThenRelease runs the statements on conn (the first of which begins
// a transaction), then ends that transaction after hold.
func holdThenRelease(t *testing.T, conn *sql.Conn, hold time.Duration, stmts ...string) <-chan error {
	t.Helper()
	for _, q := range stmts {
		_, err := conn.ExecContext(context.Background(), q)
		require.NoError(t, err, q)
	}
	done := make(chan error, 1)
	time.AfterFunc(hold, func() {
		_, err := conn.ExecContext(context.Background(), "COMMIT")
		done <- err
	})
	return done
}

// TestOpenWaitsForAWriter is the cause of "database is locked" at once
// despite the busy timeout. Switching a file to WAL reads its header under
// a read lock, then upgrades to a write lock to mark the header; SQLite
// never waits for such an upgrade (if two connections did, each holding
// the lock the other wants, they would wait for ever), so an opener failed
// at once whenever another process was writing a file still in rollback
// mode: the winner of the race switching a brand-new file to WAL. Open
// must wait for the other to finish instead.
func TestOpenWaitsForAWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	other := rawConn(t, path)
	released := holdThenRelease(t, other, 300*time.Millisecond, "BEGIN IMMEDIATE")
	start := time.Now()
	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, <-released)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "Open went on while the other held its lock")
	var mode string
	require.NoError(t, s.w.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	assert.Len(t, applied(t, s.w), SchemaVersion)
}

// TestOpenDuringAMigration opens an older history from many openers while
// another process is part-way through migrating it: they wait for its
// migration, find it recorded, and neither apply it again nor fail.
func TestOpenDuringAMigration(t *testing.T) {
	require.GreaterOrEqual(t, SchemaVersion, 2, "needs a schema with two migrations")
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "history.db")
	// A history at the first schema, as an older escalator left it.
	old, err := sql.Open("sqlite3", DSN(path))
	require.NoError(t, err)
	require.NoError(t, useWAL(context.Background(), old, path))
	require.NoError(t, migrate(context.Background(), old, path, ms[:1]))
	require.NoError(t, old.Close())

	// A newer escalator part-way through migration 2: its transaction has
	// changed the tables and recorded the migration, not yet committed.
	migrator := rawConn(t, path)
	released := holdThenRelease(t, migrator, 300*time.Millisecond,
		"BEGIN IMMEDIATE", ms[1].SQL,
		fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', '%s')`,
			ms[1].Version, ms[1].Name, formatTime(time.Now())))

	const openers = 8
	errs := saveTogether(t, path, openers)
	require.NoError(t, <-released)
	for i, err := range errs {
		require.NoError(t, err, "opener %d", i)
	}
	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	defer s.Close()
	got := applied(t, s.w)
	require.Len(t, got, SchemaVersion, "each migration recorded once")
	runs, err := s.Runs(Filter{})
	require.NoError(t, err)
	assert.Len(t, runs, openers)
}

func TestOpenRefuses(t *testing.T) {
	t.Run("newer schema", func(t *testing.T) {
		s, path := openTemp(t)
		_, err := s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', '2999-01-01T00:00:00.000000000Z')`, SchemaVersion+1)
		require.NoError(t, err)
		_, err = Open(path, load.Bytes)
		require.Error(t, err)
		assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		assert.Contains(t, err.Error(), "newer escalator")
		assert.Contains(t, err.Error(), path)
	})
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "history.db")
		require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("not sqlite at all\n"), 100), 0o644))
		_, err := Open(path, load.Bytes)
		require.Error(t, err)
		assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		assert.Contains(t, err.Error(), "not a usable history database")
	})
	t.Run("no path", func(t *testing.T) {
		_, err := Open("", load.Bytes)
		assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	})
	t.Run("parent is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(file, nil, 0o644))
		_, err := Open(filepath.Join(file, "history.db"), load.Bytes)
		assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	started := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("CET", 3600))
	want := realRun(t, "0b9f3c52-7a9e-4c1e-9a43-1f6f3c3f0e11", started)
	require.NoError(t, s.Save(want))

	got, err := s.Load("0b9f3c52")
	require.NoError(t, err)
	assert.Equal(t, want.ID, got.ID)
	assert.True(t, want.Started.Equal(got.Started), "%s != %s", want.Started, got.Started)
	assert.Equal(t, want.Wall, got.Wall)
	assert.Equal(t, want.Command, got.Command)
	assert.Equal(t, want.Version, got.Version)
	assert.Equal(t, want.Walls, got.Walls)
	require.Len(t, got.Results, len(want.Results))
	for i, w := range want.Results {
		g := got.Results[i]
		t.Run(w.Scenario.Name, func(t *testing.T) {
			ws, gs := w.Scenario, g.Scenario
			require.NotNil(t, gs)
			if ws.Path != "" {
				// The whole scenario comes back from its stored file.
				assert.Equal(t, ws, gs)
			}
			assert.Equal(t, ws.Name, gs.Name)
			assert.Equal(t, ws.Description, gs.Description)
			assert.Equal(t, ws.Path, gs.Path)
			assert.Equal(t, ws.Labels, gs.Labels)
			assert.Equal(t, ws.Seed, gs.Seed)
			assert.Equal(t, ws.Upgrade.Flow, gs.Upgrade.Flow)
			assert.Equal(t, ws.Upgrade.TargetVersion, gs.Upgrade.TargetVersion)
			assert.Equal(t, ws.Expect.Violations, gs.Expect.Violations)
			assert.Equal(t, ws.Expect.Thresholds, gs.Expect.Thresholds)

			assert.Equal(t, w.Seed, g.Seed)
			assert.Equal(t, w.Verdict, g.Verdict)
			assert.Equal(t, w.Session, g.Session)
			assert.Equal(t, w.Lost, g.Lost)
			assert.Equal(t, w.Elapsed, g.Elapsed)
			assert.Equal(t, w.UpgradeDuration, g.UpgradeDuration)
			if w.Err == nil {
				assert.NoError(t, g.Err)
			} else {
				require.Error(t, g.Err)
				assert.Equal(t, w.Err.Error(), g.Err.Error())
				assert.Equal(t, escalator.ErrorCode(w.Err), escalator.ErrorCode(g.Err))
			}

			// The trace, written again, is byte for byte the one saved.
			assert.Len(t, g.Events, len(w.Events))
			assert.Equal(t, string(ndjson(t, w.Events)), string(ndjson(t, g.Events)))

			require.Len(t, g.Checks, len(w.Checks))
			for k, wc := range w.Checks {
				gc := g.Checks[k]
				assert.Equal(t, wc.Name, gc.Name)
				assert.Equal(t, wc.Status, gc.Status)
				assert.Equal(t, wc.Reason, gc.Reason)
				wj, err := json.Marshal(wc.Violations)
				require.NoError(t, err)
				gj, err := json.Marshal(gc.Violations)
				require.NoError(t, err)
				assert.JSONEq(t, string(wj), string(gj), wc.Name)
			}
			assert.Equal(t, judge.Metrics(w.Events), judge.Metrics(g.Events))
		})
	}
	// The negative control failed checks, so the round trip covered
	// violations with events.
	assert.NotEmpty(t, want.Results[2].Failed())

	// Two results of one scenario share one stored file.
	var files int
	require.NoError(t, s.r.QueryRow(`SELECT count(*) FROM scenario_files`).Scan(&files))
	assert.Equal(t, len(realFiles), files)

	// The metrics are stored for queries.
	var upgrade float64
	require.NoError(t, s.r.QueryRow(`SELECT value FROM metrics WHERE run_id = ? AND ordinal = 0 AND name = ?`,
		want.ID, judge.MetricUpgradeDuration).Scan(&upgrade))
	assert.Equal(t, judge.Metrics(want.Results[0].Events)[judge.MetricUpgradeDuration], upgrade)

	// The summary counts the verdicts.
	runs, err := s.Runs(Filter{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, RunSummary{
		ID: want.ID, Started: runs[0].Started, Wall: want.Wall, Command: want.Command, Version: want.Version,
		Scenarios: 5, Passed: 3, XFailed: 1, Errors: 1,
	}, runs[0])
	assert.True(t, runs[0].Started.Equal(started))
}

func TestLoadWithoutScenarioFile(t *testing.T) {
	// A file edited since it ran, or gone, is not stored: the columns
	// rebuild the scenario.
	dir := t.TempDir()
	src, err := os.ReadFile(realFiles[0])
	require.NoError(t, err)
	path := filepath.Join(dir, "f1.yaml")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	sc, err := load.File(path)
	require.NoError(t, err)
	res := scenarios.Run(context.Background(), sc, scenarios.Options{})
	require.NoError(t, os.Remove(path))

	s, _ := openTemp(t)
	require.NoError(t, s.Save(reports.Run{ID: "gone", Results: []*judge.Result{res}}))
	got, err := s.Load("gone")
	require.NoError(t, err)
	g := got.Results[0].Scenario
	assert.Equal(t, sc.Name, g.Name)
	assert.Equal(t, path, g.Path)
	assert.Equal(t, sc.Labels, g.Labels)
	assert.Equal(t, sc.VNFM.Behavior, g.VNFM.Behavior)
	assert.Empty(t, g.VNFs, "nothing but the columns")
	assert.Equal(t, []time.Duration{0}, got.Walls)
}

func TestSaveRefuses(t *testing.T) {
	s, _ := openTemp(t)
	run := runOf(t, "dup", time.Now(), [2]string{"a", judge.VerdictPass})
	require.NoError(t, s.Save(run))

	other := runOf(t, "dup", time.Now(), [2]string{"b", judge.VerdictFail}, [2]string{"c", judge.VerdictFail})
	err := s.Save(other)
	assert.Equal(t, escalator.ECONFLICT, escalator.ErrorCode(err), "%v", err)
	got, err := s.Load("dup")
	require.NoError(t, err)
	require.Len(t, got.Results, 1, "the first run stays as it was")
	assert.Equal(t, "a", got.Results[0].Scenario.Name)

	assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(s.Save(reports.Run{})))
	bad := runOf(t, "walls", time.Now(), [2]string{"a", judge.VerdictPass})
	bad.Walls = append(bad.Walls, time.Second)
	assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(s.Save(bad)))
}

func TestRunsFilter(t *testing.T) {
	s, _ := openTemp(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, run := range []reports.Run{
		runOf(t, "r1", t0, [2]string{"f1-mixed", "pass"}, [2]string{"f2-late", "pass"}),
		runOf(t, "r2", t0.Add(time.Hour), [2]string{"f1-mixed", "fail"}, [2]string{"f2-late", "pass"}),
		runOf(t, "r3", t0.Add(2*time.Hour), [2]string{"naive-upgrade", "xfail"}, [2]string{"f2-late", "error"}),
		// Started a fraction of a second later: still sorted as time.
		runOf(t, "r4", t0.Add(2*time.Hour+time.Millisecond), [2]string{"f1_other", "pass"}),
	} {
		require.NoError(t, s.Save(run))
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"all, newest first", Filter{}, []string{"r4", "r3", "r2", "r1"}},
		{"limit", Filter{Limit: 2}, []string{"r4", "r3"}},
		{"scenario", Filter{Scenario: "f1-mixed"}, []string{"r2", "r1"}},
		{"scenario exact, _ is no wildcard", Filter{Scenario: "f1-other"}, nil},
		{"LIKE pattern", Filter{Scenario: "f1%"}, []string{"r4", "r2", "r1"}},
		{"LIKE _", Filter{Scenario: "f1_m%"}, []string{"r2", "r1"}},
		{"glob", Filter{Scenario: "f*-late"}, []string{"r3", "r2", "r1"}},
		{"verdict", Filter{Verdict: "pass"}, []string{"r4", "r2", "r1"}},
		{"verdict upper case", Filter{Verdict: "FAIL"}, []string{"r2"}},
		{"scenario and verdict on one result", Filter{Scenario: "f1-mixed", Verdict: "pass"}, []string{"r1"}},
		{"scenario and verdict on different results", Filter{Scenario: "naive-upgrade", Verdict: "error"}, nil},
		{"error", Filter{Verdict: "error", Limit: 10}, []string{"r3"}},
		{"nothing", Filter{Scenario: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, err := s.Runs(tc.f)
			require.NoError(t, err)
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			assert.Equal(t, tc.want, ids)
		})
	}
	_, err := s.Runs(Filter{Verdict: "passed"})
	assert.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))

	runs, err := s.Runs(Filter{Scenario: "naive-upgrade"})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, RunSummary{ID: "r3", Started: runs[0].Started, Wall: 0, Command: "escalator run", Version: "test",
		Scenarios: 2, XFailed: 1, Errors: 1}, runs[0])
	assert.True(t, runs[0].Started.Equal(t0.Add(2*time.Hour)))
}

func TestLoadByPrefix(t *testing.T) {
	s, _ := openTemp(t)
	for _, id := range []string{"aaaa1111-x", "aaaa2222-x", "bbbb", "bbbb0", "c_d%e"} {
		require.NoError(t, s.Save(runOf(t, id, time.Now(), [2]string{id, judge.VerdictPass})))
	}
	for _, tc := range []struct {
		ref, want, code string
	}{
		{"aaaa1", "aaaa1111-x", ""},
		{"aaaa2222-x", "aaaa2222-x", ""},
		{"AAAA2", "aaaa2222-x", ""},
		{"aaaa", "", escalator.EINVALID},
		{"a", "", escalator.EINVALID},
		{"bbbb", "bbbb", ""}, // a whole ID wins over the longer ones it starts
		{"bbbb0", "bbbb0", ""},
		{"c_d", "c_d%e", ""},
		{"c%", "", escalator.ENOTFOUND}, // % and _ are not wildcards here
		{"c_", "c_d%e", ""},
		{"cd", "", escalator.ENOTFOUND},
		{"zzzz", "", escalator.ENOTFOUND},
		{"", "", escalator.EINVALID},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			run, err := s.Load(tc.ref)
			if tc.code != "" {
				require.Error(t, err)
				assert.Equal(t, tc.code, escalator.ErrorCode(err), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, run.ID)
			require.Len(t, run.Results, 1)
			assert.Equal(t, tc.want, run.Results[0].Scenario.Name)
			id, err := s.Resolve(tc.ref)
			require.NoError(t, err)
			assert.Equal(t, tc.want, id)
		})
	}
	_, err := s.Load("aaaa")
	assert.ErrorContains(t, err, "aaaa1111-x, aaaa2222-x")
}

func count(t *testing.T, s *Store, table, runID string) int {
	t.Helper()
	var n int
	require.NoError(t, s.r.QueryRow(`SELECT count(*) FROM `+table+` WHERE run_id = ?`, runID).Scan(&n))
	return n
}

var childTables = []string{"scenario_results", "check_results", "metrics", "traces"}

func TestForeignKeys(t *testing.T) {
	s, _ := openTemp(t)
	require.NoError(t, s.Save(realRun(t, "keep", time.Now())))
	require.NoError(t, s.Save(realRun(t, "drop-1", time.Now())))
	require.NoError(t, s.Save(realRun(t, "drop-2", time.Now())))
	for _, table := range childTables {
		require.NotZero(t, count(t, s, table, "drop-1"), table)
	}

	// Deleting a run by hand cascades to everything below it.
	_, err := s.w.Exec(`DELETE FROM runs WHERE id = 'drop-1'`)
	require.NoError(t, err)
	// So does Delete, which takes a prefix.
	require.NoError(t, s.Delete("drop-2"))
	assert.Equal(t, escalator.ENOTFOUND, escalator.ErrorCode(s.Delete("drop-2")))
	for _, table := range childTables {
		assert.Zero(t, count(t, s, table, "drop-1"), table)
		assert.Zero(t, count(t, s, table, "drop-2"), table)
		assert.NotZero(t, count(t, s, table, "keep"), table)
	}
	_, err = s.Load("keep")
	require.NoError(t, err)

	// No row can point at a run or a result that is not there.
	for _, q := range []string{
		`INSERT INTO scenario_results (run_id, ordinal, name, description, path, scenario_seed, seed, flow, target_version,
			vnfm_name, vnfm_behavior, labels, expect, verdict, session_state, reason, session, upgrade_ms, elapsed_ms, wall_ms, lost)
			VALUES ('ghost', 0, '', '', '', 0, 0, '', '', '', '', '{}', '{}', 'pass', '', '', '{}', 0, 0, 0, 0)`,
		`INSERT INTO check_results (run_id, ordinal, position, name, status, reason, violations) VALUES ('keep', 99, 0, 'x', 'passed', '', '[]')`,
		`INSERT INTO metrics (run_id, ordinal, name, value) VALUES ('ghost', 0, 'x', 1)`,
		`INSERT INTO traces (run_id, ordinal, events, ndjson) VALUES ('ghost', 0, 0, x'')`,
	} {
		_, err := s.w.Exec(q)
		assert.ErrorContains(t, err, "FOREIGN KEY", q)
	}

	// The scenario files the last run referred to go with it.
	require.NoError(t, s.Delete("keep"))
	var files int
	require.NoError(t, s.r.QueryRow(`SELECT count(*) FROM scenario_files`).Scan(&files))
	assert.Zero(t, files)
}

func TestConcurrentUse(t *testing.T) {
	s, _ := openTemp(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for k := range 3 {
				id := fmt.Sprintf("w%d-%d", i, k)
				assert.NoError(t, s.Save(runOf(t, id, time.Now(), [2]string{"a", "pass"}, [2]string{"b", "fail"})))
				run, err := s.Load(id)
				if assert.NoError(t, err) {
					assert.Len(t, run.Results, 2)
				}
				_, err = s.Runs(Filter{Scenario: "b", Verdict: "fail"})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	runs, err := s.Runs(Filter{})
	require.NoError(t, err)
	assert.Len(t, runs, 12)
}

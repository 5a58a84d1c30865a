package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/internal/sqlitedb"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// The schema's migrations, applied in order of their number.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations; a broken file is a build bug
// that the tests catch.
var migrations = func() []sqlitedb.Migration {
	ms, err := sqlitedb.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	return ms
}()

// SchemaVersion is the newest schema this build of escalator knows.
var SchemaVersion = len(migrations)

// ApplicationID marks a SQLite file as an escalator state file (the
// header's application_id, set by the first migration): "ESCS".
const ApplicationID = 0x45534353

// BusyTimeout is how long a statement waits for SQLite's own lock. With
// the file locked to one Store it is only ever held by a reader outside
// escalator (the sqlite3 shell), so a short wait is enough.
const BusyTimeout = 5 * time.Second

var kind = sqlitedb.Kind{Name: "state file", Advice: "upgrade escalator, or give --state another file"}

// Store is an orchestrator.Store in one SQLite file. It is safe for
// concurrent use; every statement goes through one connection.
type Store struct {
	path string
	db   *sql.DB
	lock *os.File // holds the flock; closed after the database

	mu      sync.Mutex // serialises Close against the statements
	closed  bool
	commits int
}

var _ orchestrator.Store = (*Store)(nil)

// DSN is the go-sqlite3 data source name Open uses for path: the busy
// timeout first (the driver applies it before anything else), foreign
// keys, transactions that take the write lock when they begin (BEGIN
// IMMEDIATE), and a sync of the log at every commit (synchronous=FULL:
// what the Manager acts on must survive a power cut, not only a kill). It
// leaves the journal mode alone: Open switches the file to WAL itself,
// after it has checked that the file is ours to change.
func DSN(path string) string {
	return sqlitedb.URI(path) + fmt.Sprintf("?_busy_timeout=%d&_foreign_keys=on&_txlock=immediate&_synchronous=FULL", BusyTimeout.Milliseconds())
}

// Open opens the state file at path, creating it when it does not exist
// (its folder must), and brings its schema up to date. See the package
// documentation for what it refuses and how.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, escalator.Errorf(escalator.EINVALID, "no path for the state file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "state file %s: %v", path, err)
	}
	if err := checkPath(path, abs); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, os.ErrNotExist)
	lock, err := lockFile(abs)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, lock: lock}
	if err := s.open(abs); err != nil {
		_ = s.Close()
		if created {
			// Ours, and empty or half made: leave no file behind that
			// the next Open would take for a fresh state.
			_ = os.Remove(abs)
		}
		return nil, err
	}
	return s, nil
}

// checkPath refuses a path whose folder does not exist, or that names a
// folder, with a message that says which.
func checkPath(path, abs string) error {
	dir := filepath.Dir(abs)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return escalator.Errorf(escalator.EINVALID, "state file %s: the folder %s does not exist (it is not created: create it, or name another file)", path, dir)
	case err != nil:
		return escalator.Errorf(escalator.EINVALID, "state file %s: %v", path, err)
	case !fi.IsDir():
		return escalator.Errorf(escalator.EINVALID, "state file %s: %s is not a folder", path, dir)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return escalator.Errorf(escalator.EINVALID, "state file %s is a folder", path)
	}
	return nil
}

func (s *Store) open(abs string) error {
	db, err := sql.Open("sqlite3", DSN(abs))
	if err != nil {
		return sqlitedb.OpenError(kind, s.path, err)
	}
	// One connection: commits are serialised by it, and SQLite's
	// per-connection state (the busy timeout, foreign keys) is set once.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s.db = db
	ctx := context.Background()
	if err := inspect(ctx, db, s.path); err != nil {
		return err
	}
	if err := sqlitedb.UseWAL(ctx, db, kind, s.path, BusyTimeout); err != nil {
		return err
	}
	if err := sqlitedb.Migrate(ctx, db, kind, s.path, migrations); err != nil {
		return err
	}
	// Read every record once, so that a file that will not resume is
	// refused here, at start, rather than when the Manager recovers.
	if _, err := s.Load(); err != nil {
		return err
	}
	_, err = s.Events()
	return err
}

// inspect refuses, before anything is written to it, a file that is not
// an escalator state file this build can use: not SQLite, damaged, another
// application's, or of a newer schema. It only reads.
func inspect(ctx context.Context, db *sql.DB, path string) error {
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
		if sqlitedb.IsDamaged(err) {
			return &escalator.Error{Code: escalator.EINVALID,
				Message: fmt.Sprintf("%s is not a usable state file: it is not SQLite, or it is damaged; it was left as it is", path), Err: err}
		}
		return sqlitedb.OpenError(kind, path, err)
	}
	// A truncated or damaged file may still answer the query above from
	// its first page; the quick check walks every page of every table.
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&check); err != nil {
		return sqlitedb.OpenError(kind, path, err)
	}
	if check != "ok" {
		return escalator.Errorf(escalator.EINVALID, "%s is not a usable state file: it is damaged (SQLite's quick check says %q); it was left as it is", path, check)
	}
	var app int64
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&app); err != nil {
		return sqlitedb.OpenError(kind, path, err)
	}
	if app != ApplicationID && (tables > 0 || app != 0) {
		return escalator.Errorf(escalator.EINVALID,
			"%s is a SQLite database but not an escalator state file (application_id %#x): name the state file of `escalator vim --state`, or a new file", path, app)
	}
	have, err := sqlitedb.Version(ctx, db)
	if err != nil {
		return sqlitedb.OpenError(kind, path, err)
	}
	return sqlitedb.CheckNotNewer(kind, path, have, SchemaVersion)
}

// Commits counts the transactions the store committed for the Manager (as
// MemoryStore.Commits does), for the benchmarks.
func (s *Store) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Path is the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the database, then lets the file go. Closing twice is
// harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.db != nil {
		// The connection closes first, so that SQLite folds the log
		// back into the file and removes it while the file is still
		// locked against another process.
		errs = append(errs, s.db.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return &escalator.Error{Code: escalator.EINTERNAL, Message: "state file " + s.path, Err: err}
	}
	return nil
}

// failAt, when set (tests only), is asked at each stage of a commit's
// transaction ("header", "nodes", "notes", "replies", after their rows)
// and fails the commit when it returns an error.
var failAt func(stage string) error

func stage(name string) error {
	if failAt == nil {
		return nil
	}
	return failAt(name)
}

// Commit implements orchestrator.Store: one transaction, synced before it
// returns.
func (s *Store) Commit(c orchestrator.Commit) error {
	return s.CommitWith(c, nil)
}

// The documents bind as strings: the columns are STRICT TEXT, which
// refuses the BLOB a []byte binds as.
func writeCommit(ctx context.Context, tx *sql.Tx, id string, enc orchestrator.EncodedCommit) error {
	if enc.Spec != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, seq, spec, header)
			VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM sessions), ?2, ?3)
			ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, header = excluded.header`,
			id, string(enc.Spec), string(enc.Header)); err != nil {
			return err
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET header = ?2 WHERE id = ?1`, id, string(enc.Header))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return escalator.Errorf(escalator.EINTERNAL, "store: commit to unknown session %s without its spec", id)
		}
	}
	if err := stage("header"); err != nil {
		return err
	}
	for i, node := range enc.NodeIDs {
		// A node keeps the seq of its first row: the upsert's update
		// leaves it alone.
		if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (session, node, seq, doc)
			VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM nodes WHERE session = ?1), ?3)
			ON CONFLICT (session, node) DO UPDATE SET doc = excluded.doc`,
			id, node, string(enc.Nodes[i])); err != nil {
			return err
		}
	}
	if err := stage("nodes"); err != nil {
		return err
	}
	for i, doc := range enc.Notes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notes (session, seq, id, doc)
			VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM notes WHERE session = ?1), ?2, ?3)`,
			id, enc.NoteIDs[i], string(doc)); err != nil {
			return err
		}
	}
	if err := stage("notes"); err != nil {
		return err
	}
	for _, doc := range enc.Replies {
		if _, err := tx.ExecContext(ctx, `INSERT INTO replies (session, seq, doc)
			VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM replies WHERE session = ?1), ?2)`,
			id, string(doc)); err != nil {
			return err
		}
	}
	return stage("replies")
}

// Load implements orchestrator.Store: every session in creation order,
// read in one transaction so that it is one commit's state. A document
// that does not decode is an EINVALID error naming the file; the file is
// not touched.
func (s *Store) Load() ([]orchestrator.SessionRecord, error) {
	type docs struct {
		spec, header          []byte
		nodes, notes, replies [][]byte
	}
	var order []string
	byID := map[string]*docs{}
	err := s.read("load", func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, spec, header FROM sessions ORDER BY seq`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			d := &docs{}
			if err := rows.Scan(&id, &d.spec, &d.header); err != nil {
				_ = rows.Close()
				return err
			}
			order = append(order, id)
			byID[id] = d
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			dest func(*docs) *[][]byte
		}{
			{`SELECT session, doc FROM nodes ORDER BY session, seq`, func(d *docs) *[][]byte { return &d.nodes }},
			{`SELECT session, doc FROM notes ORDER BY session, seq`, func(d *docs) *[][]byte { return &d.notes }},
			{`SELECT session, doc FROM replies ORDER BY session, seq`, func(d *docs) *[][]byte { return &d.replies }},
		} {
			rows, err := tx.QueryContext(ctx, q.sql)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var doc []byte
				if err := rows.Scan(&id, &doc); err != nil {
					_ = rows.Close()
					return err
				}
				// Foreign keys keep every row below a session.
				d := byID[id]
				if d == nil {
					_ = rows.Close()
					return escalator.Errorf(escalator.EINVALID, "%s is not a usable state file: a row belongs to session %q, which it does not hold; it was left as it is", s.path, id)
				}
				*q.dest(d) = append(*q.dest(d), doc)
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []orchestrator.SessionRecord // nil when empty, as the memory store
	for _, id := range order {
		d := byID[id]
		r, err := orchestrator.DecodeSession(d.spec, d.header, d.nodes, d.notes, d.replies)
		if err != nil {
			return nil, &escalator.Error{Code: escalator.EINVALID,
				Message: fmt.Sprintf("%s is not a usable state file (it was left as it is)", s.path), Err: err}
		}
		out = append(out, r)
	}
	return out, nil
}

// dbError wraps an error met while reading or writing the file. A damaged
// file found only now is still the user's EINVALID.
func (s *Store) dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *escalator.Error
	if errors.As(err, &e) {
		return err
	}
	code := escalator.EINTERNAL
	switch {
	case sqlitedb.IsBusy(err):
		code = escalator.EUNAVAILABLE
	case sqlitedb.IsDamaged(err):
		code = escalator.EINVALID
	}
	return &escalator.Error{Code: code, Op: "state", Message: fmt.Sprintf("%s (%s)", op, s.path), Err: err}
}

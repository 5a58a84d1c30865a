package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/escalator-testbed/escalator"
)

// Kind names a kind of file in the messages, so that a person reading one
// knows which of escalator's files it is about.
type Kind struct {
	// Name is what the file is: "history database", "state file".
	Name string
	// Advice ends the refusal of a newer file: what to do instead.
	Advice string
}

// Migration is one schema change, from a file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the migrations dir/NNNN_name.sql of fsys, sorted by
// version. Their numbers must run 1, 2, 3 ... with no gap or repeat. A
// migration, once released, is never edited: a change to the schema is a
// new file.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || label == "" {
			return nil, fmt.Errorf("migration %s: want a name like 0001_init.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: label, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: versions must run 1, 2, 3 ... (want %d)", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT`

// Migrate brings the database at path (for messages) up to the newest
// schema: each migration not yet recorded in schema_migrations runs in a
// transaction of its own together with its record, so a migration is
// either wholly applied and recorded or not at all. With the DSN's
// _txlock=immediate the transactions take the write lock when they begin,
// so two processes opening a new database at once take turns and the
// second finds the work done. A database whose schema is newer than ms
// knows is refused (EINVALID) before anything is written to it.
func Migrate(ctx context.Context, db *sql.DB, k Kind, dbPath string, ms []Migration) error {
	latest := len(ms)
	// Refuse a newer file before the CREATE below, which would write to a
	// file that is not ours to change.
	have, err := Version(ctx, db)
	if err != nil {
		return OpenError(k, dbPath, err)
	}
	if err := CheckNotNewer(k, dbPath, have, latest); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return OpenError(k, dbPath, err)
	}
	for _, m := range ms {
		if err := applyOne(ctx, db, k, dbPath, m, latest); err != nil {
			return err
		}
	}
	// A database already up to date ran nothing above: check again that
	// another process did not make it newer meanwhile.
	if have, err = Version(ctx, db); err != nil {
		return OpenError(k, dbPath, err)
	}
	return CheckNotNewer(k, dbPath, have, latest)
}

// querier is what Version reads through: a database or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Version is the newest migration recorded in the database, 0 when it has
// no schema_migrations table yet. It only reads.
func Version(ctx context.Context, q querier) (int, error) {
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return 0, err
	}
	if tables == 0 {
		return 0, nil
	}
	var newest sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return 0, err
	}
	return int(newest.Int64), nil
}

func applyOne(ctx context.Context, db *sql.DB, k Kind, dbPath string, m Migration, latest int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return OpenError(k, dbPath, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	have, err := Version(ctx, tx)
	if err != nil {
		return OpenError(k, dbPath, err)
	}
	if err := CheckNotNewer(k, dbPath, have, latest); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return OpenError(k, dbPath, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return escalator.Errorf(escalator.EINTERNAL, "%s %s: migration %04d_%s: %v", k.Name, dbPath, m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().Format(TimeLayout)); err != nil {
		return OpenError(k, dbPath, err)
	}
	if err := tx.Commit(); err != nil {
		return OpenError(k, dbPath, err)
	}
	return nil
}

// TimeLayout is UTC to the nanosecond at a fixed width, so that it sorts as
// text: the layout of schema_migrations.applied_at.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// CheckNotNewer refuses a file whose schema (have) is newer than this
// build's (latest), with an EINVALID error.
func CheckNotNewer(k Kind, dbPath string, have, latest int) error {
	if have > latest {
		return escalator.Errorf(escalator.EINVALID,
			"%s %s has schema version %d, newer than this escalator knows (%d): it was written by a newer escalator; %s",
			k.Name, dbPath, have, latest, k.Advice)
	}
	return nil
}

// UseWAL switches the file to write-ahead logging, so that readers never
// block the writer and a commit appends to the log instead of rewriting
// pages, and waits up to wait for its turn to do so.
//
// The busy timeout alone does not cover it: the switch reads the file's
// header under a read lock and then upgrades that lock to mark the header,
// and SQLite answers SQLITE_BUSY at once, without waiting, to a connection
// that wants to upgrade a lock while another connection writes (waiting
// could deadlock). On a brand-new file the other writer is whichever
// opener won the race to switch it first, so the losers retry here. Once
// the file is in WAL mode the switch changes nothing and takes no write
// lock, and every later opener passes at the first try.
func UseWAL(ctx context.Context, db *sql.DB, k Kind, dbPath string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return escalator.Errorf(escalator.EINVALID,
				"%s %s: cannot use write-ahead logging (journal mode stays %q): keep it on a local file system", k.Name, dbPath, mode)
		case !IsBusy(err) || time.Now().Add(pause).After(deadline):
			return OpenError(k, dbPath, err)
		}
		// A random share of the pause, so that openers that collided
		// do not collide again in step.
		select {
		case <-time.After(pause/2 + rand.N(pause/2+1)):
		case <-ctx.Done():
			return OpenError(k, dbPath, ctx.Err())
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// IsBusy tells whether err is SQLite's "another connection holds the lock".
func IsBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// IsDamaged tells whether err is SQLite's "this is not a database" or
// "this database is damaged".
func IsDamaged(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt)
}

// OpenError turns a driver error met while opening or migrating into an
// *escalator.Error that says which file: EINVALID for a file that is not
// SQLite, is damaged or cannot be opened (the user named the wrong file),
// EUNAVAILABLE for a lock held too long, EINTERNAL for the rest. An
// *escalator.Error passes through unchanged.
func OpenError(k Kind, dbPath string, err error) error {
	var e *escalator.Error
	if errors.As(err, &e) {
		return err
	}
	code := escalator.EINTERNAL
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return &escalator.Error{Code: escalator.EINVALID, Message: fmt.Sprintf("%s is not a usable %s (not SQLite, or damaged)", dbPath, k.Name), Err: err}
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly, sqlite3.ErrAuth:
			code = escalator.EINVALID
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			code = escalator.EUNAVAILABLE
		}
	}
	return &escalator.Error{Code: code, Message: k.Name + " " + dbPath, Err: err}
}

// URI makes a SQLite file: URI of an absolute path, escaping what a URI
// would read as syntax.
func URI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

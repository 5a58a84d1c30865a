package history

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
)

// The schema's migrations, applied in order of their number: NNNN_name.sql.
// A migration, once released, is never edited: a change to the schema is a
// new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema change.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations reads the embedded migrations, sorted by version. Their
// numbers must run 1, 2, 3 ... with no gap or repeat.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
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
		out = append(out, migration{Version: v, Name: label, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: versions must run 1, 2, 3 ... (want %d)", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the newest schema this build of escalator knows.
var SchemaVersion = func() int {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		panic(err) // a broken embedded file is a build bug; the tests catch it
	}
	return len(ms)
}()

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT`

// migrate brings the database at path (for messages) up to the newest
// schema: each migration not yet recorded in schema_migrations runs in a
// transaction of its own together with its record, so a migration is
// either wholly applied and recorded or not at all. The transactions are
// immediate (the DSN's _txlock), so two processes opening a new database at
// once take turns and the second finds the work done. A database whose
// schema is newer than this build knows is refused.
func migrate(ctx context.Context, db *sql.DB, dbPath string, ms []migration) error {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return openError(dbPath, err)
	}
	latest := len(ms)
	for _, m := range ms {
		if err := applyOne(ctx, db, dbPath, m, latest); err != nil {
			return err
		}
	}
	// A database already up to date ran nothing above: check it is not
	// newer than this build.
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return openError(dbPath, err)
	}
	return checkNotNewer(dbPath, int(newest.Int64), latest)
}

func applyOne(ctx context.Context, db *sql.DB, dbPath string, m migration, latest int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return openError(dbPath, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return openError(dbPath, err)
	}
	if err := checkNotNewer(dbPath, int(newest.Int64), latest); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return openError(dbPath, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return escalator.Errorf(escalator.EINTERNAL, "history database %s: migration %04d_%s: %v", dbPath, m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, formatTime(time.Now())); err != nil {
		return openError(dbPath, err)
	}
	if err := tx.Commit(); err != nil {
		return openError(dbPath, err)
	}
	return nil
}

func checkNotNewer(dbPath string, have, latest int) error {
	if have > latest {
		return escalator.Errorf(escalator.EINVALID,
			"history database %s has schema version %d, newer than this escalator knows (%d): it was written by a newer escalator; upgrade escalator or use another history file",
			dbPath, have, latest)
	}
	return nil
}

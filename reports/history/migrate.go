package history

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/escalator-testbed/escalator/internal/sqlitedb"
)

// The schema's migrations, applied in order of their number: NNNN_name.sql.
// A migration, once released, is never edited: a change to the schema is a
// new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// kind names the history in the messages of the shared SQLite discipline
// (internal/sqlitedb), which the orchestrator's state file follows too.
var kind = sqlitedb.Kind{Name: "history database", Advice: "upgrade escalator or use another history file"}

// migration is one schema change.
type migration = sqlitedb.Migration

// loadMigrations reads the embedded migrations, sorted by version. Their
// numbers must run 1, 2, 3 ... with no gap or repeat.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	return sqlitedb.LoadMigrations(fsys, "migrations")
}

// SchemaVersion is the newest schema this build of escalator knows.
var SchemaVersion = func() int {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		panic(err) // a broken embedded file is a build bug; the tests catch it
	}
	return len(ms)
}()

// migrate brings the database at path (for messages) up to the newest
// schema, each migration in a transaction of its own together with its
// record, and refuses a database newer than this build (sqlitedb.Migrate).
// The transactions are immediate (the DSN's _txlock), so two processes
// opening a new database at once take turns and the second finds the
// work done.
func migrate(ctx context.Context, db *sql.DB, dbPath string, ms []migration) error {
	return sqlitedb.Migrate(ctx, db, kind, dbPath, ms)
}

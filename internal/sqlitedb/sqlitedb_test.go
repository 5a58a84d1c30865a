package sqlitedb

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// The history's tests hold the discipline to its full behaviour (races of
// openers, a migration interrupted); these pin what a second user relies
// on: a newer file refused before anything is written, under its own
// name.
func TestMigrateRefusesNewerBeforeWriting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite3", URI(path)+"?_txlock=immediate")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	k := Kind{Name: "test file", Advice: "use another"}

	v, err := Version(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 0, v, "no table yet")

	fsys := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER) STRICT;")},
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER) STRICT;")},
	}
	ms, err := LoadMigrations(fsys, "m")
	require.NoError(t, err)
	require.NoError(t, UseWAL(ctx, db, k, path, 0))
	require.NoError(t, Migrate(ctx, db, k, path, ms))
	require.NoError(t, Migrate(ctx, db, k, path, ms), "twice is once")
	v, err = Version(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 2, v)

	// An older build knows only the first migration.
	err = Migrate(ctx, db, k, path, ms[:1])
	require.Error(t, err)
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.Equal(t, "test file "+path+" has schema version 2, newer than this escalator knows (1): it was written by a newer escalator; use another", err.Error())
	var tables int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&tables))
	require.Equal(t, 2, tables)
}

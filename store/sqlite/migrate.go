package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/pressly/goose/v3"

	"ethicsportal/store/internal/schema"
)

// migrationFS holds the schema, one goose file per step, named
// NNN_name.sql. A step once released is never edited: a change is a new
// file. The numbers are the same as PostgreSQL's for the same change, so a
// gap on one side is a step only the other needs.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies the steps in fsys (a migrations/ folder of goose SQL
// files) that db has not recorded yet, in order, each in its own
// transaction together with its version row: a step is applied whole or
// not at all, and a failed step leaves the ones before it in place and is
// named in the error.
//
// lockPath names a file that is locked (flock) for the whole run, so two
// processes opening a new database at once apply each step once; goose has
// no locker of its own for SQLite, and the writer's single connection
// cannot hold a lock across goose's own transactions.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, lockPath string) error {
	unlock, err := lockFile(lockPath)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	defer unlock()
	if err := adoptLegacyVersions(ctx, db); err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if err := schema.Up(ctx, goose.DialectSQLite3, db, fsys); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// lockFile takes an exclusive flock on path, creating the file (0600) if
// needed, and returns the function that releases it. The lock is a
// separate file: SQLite's own POSIX locks on the database would be dropped
// when any descriptor of that file in the process is closed.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// adoptLegacyVersions carries a store made before the migrations moved to
// goose over to goose's version table: the versions its own
// schema_migrations table recorded are recorded as applied, so goose does
// not run them again. A new or already adopted store is left alone.
func adoptLegacyVersions(ctx context.Context, db *sql.DB) error {
	var legacy, current int
	if err := db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'),
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?)`, schema.VersionTable).Scan(&legacy, &current); err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	if legacy == 0 || current == 1 {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("legacy versions: %w", err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	return schema.Adopt(ctx, goose.DialectSQLite3, db, versions)
}

package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"ethicsportal/store/internal/schema"
)

// The schema is the migrations in order, goose SQL files named
// NNN_name.sql; a released migration is never edited, only followed by a
// new one. The numbers are the same as SQLite's for the same change, so a
// gap on one side is a step only the other needs.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// lockSQL takes a session advisory lock for the schema being migrated, so
// instances starting at once on one database apply each step once, while
// tests in schemas of their own do not wait for each other.
const (
	lockSQL   = `SELECT pg_advisory_lock(hashtextextended('ethicsportal.migrate:' || coalesce(current_schema(), ''), 0))`
	unlockSQL = `SELECT pg_advisory_unlock(hashtextextended('ethicsportal.migrate:' || coalesce(current_schema(), ''), 0))`
)

// migrate applies the steps in fsys that the database has not recorded
// yet, in order, each in its own transaction with its version row, so a
// failed step leaves the ones before it in place and is named in the error.
// The whole run holds the advisory lock on a connection of its own;
// goose's steps run on the pool's other connections.
//
// goose's version table is in the first schema of the search_path, like
// every other table.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	if pool.Config().MaxConns < 2 {
		return errors.New("postgres: migrations need a pool of at least 2 connections (pool_max_conns)")
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, lockSQL); err != nil {
		return fmt.Errorf("postgres: migrations: lock: %w", err)
	}
	defer func() {
		// A failed unlock (the connection broke) leaves nothing held: a
		// session lock ends with its session, and a broken connection is
		// not returned to the pool.
		_, _ = conn.Exec(context.WithoutCancel(ctx), unlockSQL)
	}()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if err := adoptLegacyVersions(ctx, conn.Conn(), db); err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if err := schema.Up(ctx, goose.DialectPostgres, db, fsys); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// adoptLegacyVersions carries a database set up before the migrations moved
// to goose over to goose's version table: the versions the earlier runner
// recorded in schema_migrations are recorded as applied, so goose does not
// run them again. A new or already adopted database is left alone.
func adoptLegacyVersions(ctx context.Context, conn *pgx.Conn, db *sql.DB) error {
	var legacy, current bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL,
		to_regclass($1) IS NOT NULL`, schema.VersionTable).Scan(&legacy, &current); err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	if !legacy || current {
		return nil
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	return schema.Adopt(ctx, goose.DialectPostgres, db, versions)
}

package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// The schema is the migrations in order, goose SQL files named
// NNN_name.sql; a released migration is never edited, only followed by a
// new one. The numbers are the same as SQLite's for the same change, so a
// gap on one side is a step only the other needs.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationSource holds a migrations/ folder of goose SQL files. Tests
// substitute their own.
type migrationSource = fs.FS

// versionTable is where goose records the applied steps, in the first
// schema of the search_path like every other table.
const versionTable = "goose_db_version"

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
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
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
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: %w", namedStep(err))
	}
	return nil
}

// namedStep names the file of the step that failed, which goose's own
// error gives only by number.
func namedStep(err error) error {
	var pe *goose.PartialError
	if errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
		return fmt.Errorf("migration %s: %w", strings.TrimSuffix(path.Base(pe.Failed.Source.Path), ".sql"), pe.Err)
	}
	return fmt.Errorf("migrations: %w", err)
}

// adoptLegacyVersions carries a database set up before the migrations moved
// to goose over to goose's version table: the versions the earlier runner
// recorded in schema_migrations are recorded as applied, so goose does not
// run them again. A new or already adopted database is left alone.
func adoptLegacyVersions(ctx context.Context, conn *pgx.Conn, db *sql.DB) error {
	var legacy, current bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL,
		to_regclass($1) IS NOT NULL`, versionTable).Scan(&legacy, &current); err != nil {
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
	gs, err := database.NewStore(database.DialectPostgres, versionTable)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := gs.CreateVersionTable(ctx, tx); err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	for _, v := range append([]int64{0}, versions...) {
		if err := gs.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return fmt.Errorf("legacy versions: %w", err)
		}
	}
	return tx.Commit()
}

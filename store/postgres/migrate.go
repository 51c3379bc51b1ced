package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema is the migrations in order; a released migration is never
// edited, only followed by a new one.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationSource holds migrations/NNN_name.sql files. Tests substitute
// their own.
type migrationSource = fs.FS

type migration struct {
	version int
	name    string // the part of the file name after NNN_
	sql     string
}

func (m migration) String() string { return fmt.Sprintf("%03d_%s", m.version, m.name) }

var migrationName = regexp.MustCompile(`^([0-9]{3,})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads and orders the migrations, refusing a file whose name
// does not fit the pattern (it would otherwise be silently skipped) and two
// files with one version.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	var ms []migration
	for _, f := range files {
		sub := migrationName.FindStringSubmatch(path.Base(f))
		if sub == nil {
			return nil, fmt.Errorf("postgres: migration file %s is not named NNN_name.sql", f)
		}
		v, err := strconv.Atoi(sub[1])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %s has a bad version", f)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", f, err)
		}
		ms = append(ms, migration{version: v, name: sub[2], sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %s and %s share a version", ms[i-1], ms[i])
		}
	}
	return ms, nil
}

// lockSQL serialises migrations among all instances starting on the same
// schema. The key is derived from the schema so that stores in other
// schemas of the database (parallel tests) do not wait for each other. A
// transaction-level lock is released by the commit or rollback itself,
// so a crashed instance can never leave it held.
const lockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('ethicsportal.migrate:' || coalesce(current_schema(), ''), 0))`

const bootstrapSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrate applies, in order and each in its own transaction, the
// migrations not yet recorded in schema_migrations.
func migrate(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	var applied map[int]string
	// Under the lock, because two concurrent CREATE TABLE IF NOT EXISTS can
	// still collide on the catalog's unique index.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockSQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, bootstrapSQL); err != nil {
			return err
		}
		var err error
		applied, err = appliedMigrations(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: schema_migrations: %w", err)
	}
	for _, m := range ms {
		if name, ok := applied[m.version]; ok {
			if name != m.name {
				return fmt.Errorf("postgres: migration %s: the database recorded version %d as %q", m, m.version, name)
			}
			continue
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return applyOnce(ctx, tx, m) }); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m, err)
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, tx pgx.Tx) (map[int]string, error) {
	rows, err := tx.Query(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	applied := map[int]string{}
	var v int
	var name string
	_, err = pgx.ForEachRow(rows, []any{&v, &name}, func() error {
		applied[v] = name
		return nil
	})
	return applied, err
}

// applyOnce applies m unless another instance did so since the list of
// applied migrations was read; the check is repeated under the lock.
func applyOnce(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, lockSQL); err != nil {
		return err
	}
	var name string
	err := tx.QueryRow(ctx, `SELECT name FROM schema_migrations WHERE version = $1`, m.version).Scan(&name)
	switch {
	case err == nil:
		if name != m.name {
			return fmt.Errorf("the database recorded version %d as %q", m.version, name)
		}
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	// Without arguments pgx uses the simple protocol, which allows the
	// several statements of a migration file in one Exec.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
	return err
}

// Package schema is what the SQLite and PostgreSQL stores share in running
// their goose migrations. Each store keeps what differs: how it locks out a
// second process and how it finds a legacy version table.
package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// VersionTable is where goose records the applied steps.
const VersionTable = "goose_db_version"

// Up applies the steps in fsys's migrations/ folder (goose SQL files named
// NNN_name.sql) that db has not recorded yet, in order, each in its own
// transaction together with its version row. A failed step leaves the ones
// before it in place and is named in the error ("migration NNN_name: ...").
// The caller holds whatever lock keeps a second process out.
func Up(ctx context.Context, dialect goose.Dialect, db *sql.DB, fsys fs.FS) error {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithTableName(VersionTable))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return namedStep(err)
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

// Adopt creates goose's version table and records versions in it as
// applied, with goose's own version 0 row, in one transaction: a store set
// up by the earlier runner is carried over without running its steps again.
// The caller checks that the table does not exist yet.
func Adopt(ctx context.Context, dialect goose.Dialect, db *sql.DB, versions []int64) error {
	gs, err := database.NewStore(dialect, VersionTable)
	if err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("legacy versions: %w", err)
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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("legacy versions: %w", err)
	}
	return nil
}

// Versions lists the versions of the files in fsys's migrations/ folder, in
// order; tests compare it with what a store recorded.
func Versions(fsys fs.FS) ([]int64, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("migrations: no files")
	}
	vs := make([]int64, 0, len(names))
	for _, n := range names {
		v, err := strconv.ParseInt(strings.SplitN(path.Base(n), "_", 2)[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", n, err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

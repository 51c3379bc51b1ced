package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store/internal/schema"
)

// Exists reports whether the database at url holds a portal store (on the
// search path, a table of applied migrations, goose's or the earlier
// runner's, beside the portal's signing keys), without creating or migrating
// anything: commands other than serve work on an existing store only. A
// database that cannot be reached is an error.
func Exists(ctx context.Context, url string) (bool, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The error text can repeat the URL and with it a password.
		return false, errors.New("postgres: the database URL cannot be parsed")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('signing_keys') IS NOT NULL
		AND (to_regclass($1) IS NOT NULL OR to_regclass('schema_migrations') IS NOT NULL)`, schema.VersionTable).Scan(&ok); err != nil {
		return false, fmt.Errorf("postgres: look for the store: %w", err)
	}
	return ok, nil
}

package postgres

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"ethicsportal/store/internal/schema"
	"ethicsportal/store/postgres/pgtest"
)

func poolConfig(t *testing.T, url string) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func count(t *testing.T, db *DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// appliedVersions returns the versions goose recorded as applied, without
// its version 0 row.
func appliedVersions(t *testing.T, db *DB) []int64 {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), `SELECT version_id FROM goose_db_version
		WHERE is_applied AND version_id > 0 ORDER BY version_id`)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// embeddedVersions lists the versions of the embedded migration files.
func embeddedVersions(t *testing.T) []int64 {
	t.Helper()
	vs, err := schema.Versions(migrationFS)
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	return vs
}

// Instances starting at the same moment on a fresh schema all succeed and
// apply each migration once.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = dbs[i].Close() })
	}
	want := embeddedVersions(t)
	if got := appliedVersions(t, dbs[0]); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	// A later start applies nothing.
	again, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := appliedVersions(t, again); !slices.Equal(got, want) {
		t.Fatalf("after another start recorded %v, want %v", got, want)
	}
}

// The search_path in the URL decides where the tables go.
func TestSearchPathHonoured(t *testing.T) {
	url := pgtest.URL(t)
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := poolConfig(t, url).ConnConfig.RuntimeParams["search_path"]
	if !strings.HasPrefix(schema, "t_") {
		t.Fatalf("pgtest URL has search_path %q", schema)
	}
	if got := count(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1
		AND table_name IN ('users', 'credentials', 'goose_db_version')`, schema); got != 3 {
		t.Fatalf("%d tables in %s, want 3", got, schema)
	}
}

func TestMigrationFailureNamesMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	bad := fstest.MapFS{
		"migrations/001_first.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE a (x int);\nCREATE TABLE b (y int);\n")},
		"migrations/002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE c (z int);\nCREATE TABLE oops (;\n")},
	}
	_, err := openConfig(ctx, poolConfig(t, url), bad)
	if err == nil || !strings.Contains(err.Error(), "002_broken") {
		t.Fatalf("error %v does not name 002_broken", err)
	}

	// The first stays applied, the failed one left nothing behind, and a
	// fixed version applies on the next start.
	bad["migrations/002_broken.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE c (z int);\n")}
	db, err := openConfig(ctx, poolConfig(t, url), bad)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := appliedVersions(t, db); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("recorded %v, want [1 2]", got)
	}
}

// A database whose steps the runner before goose recorded (in
// schema_migrations) is carried over: nothing runs twice, later steps apply.
func TestLegacyVersionsAdopted(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	first := fstest.MapFS{"migrations/001_first.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x int);\n")}}
	db, err := openConfig(ctx, poolConfig(t, url), first)
	if err != nil {
		t.Fatal(err)
	}
	// Make it look like a database of the earlier runner.
	if _, err := db.pool.Exec(ctx, `DROP TABLE goose_db_version;
		CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL);
		INSERT INTO schema_migrations VALUES (1, 'first')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	both := fstest.MapFS{
		"migrations/001_first.sql":  first["migrations/001_first.sql"],
		"migrations/002_second.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (y int);\n")},
	}
	db, err = openConfig(ctx, poolConfig(t, url), both)
	if err != nil {
		t.Fatalf("open a legacy database: %v", err)
	}
	defer db.Close()
	if got := appliedVersions(t, db); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("recorded %v, want [1 2]", got)
	}
}

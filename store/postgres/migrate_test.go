package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

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
	ms, err := loadMigrations(migrationFS)
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %v, %v", ms, err)
	}
	if got := count(t, dbs[0], `SELECT count(*) FROM schema_migrations`); got != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", got, len(ms))
	}
	if got := count(t, dbs[0], `SELECT count(*) FROM schema_migrations WHERE version = 1 AND name = 'init'`); got != 1 {
		t.Fatalf("migration 1 recorded %d times", got)
	}
	// A later start applies nothing.
	again, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	_ = again.Close()
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
		AND table_name IN ('users', 'credentials', 'schema_migrations')`, schema); got != 3 {
		t.Fatalf("%d tables in %s, want 3", got, schema)
	}
}

func TestMigrationFailureNamesMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	bad := fstest.MapFS{
		"migrations/001_first.sql":  {Data: []byte(`CREATE TABLE a (x int); CREATE TABLE b (y int);`)},
		"migrations/002_broken.sql": {Data: []byte(`CREATE TABLE c (z int); CREATE TABLE oops (;`)},
	}
	_, err := openConfig(ctx, poolConfig(t, url), bad)
	if err == nil || !strings.Contains(err.Error(), "002_broken") {
		t.Fatalf("error %v does not name 002_broken", err)
	}

	// The first stays applied, the failed one left nothing behind, and a
	// fixed version applies on the next start.
	bad["migrations/002_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE c (z int);`)}
	db, err := openConfig(ctx, poolConfig(t, url), bad)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := count(t, db, `SELECT count(*) FROM schema_migrations`); got != 2 {
		t.Fatalf("%d migrations recorded, want 2", got)
	}

	// A recorded version under another name is refused.
	renamed := fstest.MapFS{"migrations/001_other.sql": {Data: []byte(`SELECT 1`)}}
	if _, err := openConfig(ctx, poolConfig(t, url), renamed); err == nil || !strings.Contains(err.Error(), "001_other") {
		t.Fatalf("renamed migration: %v", err)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":  {"migrations/1-init.sql": {}},
		"duplicate": {"migrations/001_a.sql": {}, "migrations/001_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

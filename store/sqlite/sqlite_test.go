package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"ethicsportal/store"
	"ethicsportal/store/internal/schema"
	"ethicsportal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "portal.db")
		return func(t *testing.T) store.Store {
			db, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() {
				if err := db.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			return db
		}
	})
}

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// TestPragmas checks the settings on every connection of both pools, not
// just the first: database/sql opens connections as it likes, and a pragma
// run once after Open would hold on one of them only.
func TestPragmas(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	pools := map[string]*sql.DB{"writer": db.writer, "readers": db.readers}
	for name, pool := range pools {
		// Hold several connections at once so the pool has to open them.
		n := 1
		if name == "readers" {
			n = 3
		}
		conns := make([]*sql.Conn, n)
		for i := range conns {
			c, err := pool.Conn(ctx)
			if err != nil {
				t.Fatalf("%s: Conn: %v", name, err)
			}
			defer c.Close()
			conns[i] = c
		}
		for i, c := range conns {
			for pragma, want := range map[string]string{
				"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000",
				"temp_store": "2", "mmap_size": "268435456",
			} {
				var got string
				if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatalf("%s conn %d: PRAGMA %s: %v", name, i, pragma, err)
				}
				if got != want {
					t.Errorf("%s conn %d: %s = %s, want %s", name, i, pragma, got, want)
				}
			}
			var queryOnly string
			if err := c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
				t.Fatalf("%s conn %d: PRAGMA query_only: %v", name, i, err)
			}
			if want := map[string]string{"writer": "0", "readers": "1"}[name]; queryOnly != want {
				t.Errorf("%s conn %d: query_only = %s, want %s", name, i, queryOnly, want)
			}
		}
	}
	if _, err := db.readers.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES ('x', x'00')`); err == nil {
		t.Errorf("a reader connection accepted a write")
	}
}

// TestPathWithQueryCharacters: the path is a path, even with URI syntax in it.
func TestPathWithQueryCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#1%.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file is not where the path says: %v", err)
	}
}

// appliedMigrations returns the versions goose recorded as applied, in
// order, without its version 0 row.
func appliedMigrations(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version_id FROM goose_db_version
		WHERE is_applied AND version_id > 0 ORDER BY version_id`)
	if err != nil {
		t.Fatalf("goose_db_version: %v", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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

func TestMigrationsRecordedAndIdempotent(t *testing.T) {
	db, dbPath := openTemp(t)
	want := embeddedVersions(t)
	if got := appliedMigrations(t, db.writer); !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
	var user store.User
	user.Username, user.PasswordHash = "alice", "h"
	if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.CreateUser(t.Context(), &user) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing again (001 would fail on its CREATE TABLEs)
	// and keeps the data.
	db2, err := Open(t.Context(), dbPath)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	if again := appliedMigrations(t, db2.writer); !slices.Equal(again, want) {
		t.Errorf("after reopening recorded %v, want %v", again, want)
	}
	if _, err := db2.UserByName(t.Context(), "alice"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// TestConcurrentOpen: processes opening a new file at the same moment (here
// goroutines with their own pools) all succeed and apply each step once.
func TestConcurrentOpen(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "portal.db")
	const n = 4
	errs := make([]error, n)
	dbs := make([]*DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), dbPath) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	if got, want := appliedMigrations(t, dbs[0].writer), embeddedVersions(t); !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
}

// TestLegacyStoreAdopted: a store whose steps were recorded by the runner
// that came before goose (in schema_migrations) is carried over: nothing is
// applied twice, and later steps still apply.
func TestLegacyStoreAdopted(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite", dsn(dbPath, "_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE one (x INTEGER) STRICT;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;
		INSERT INTO schema_migrations VALUES (1, '001_first', 1)`); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"migrations/001_first.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE one (x INTEGER) STRICT;\n")},
		"migrations/002_second.sql": {Data: []byte("-- +goose Up\nCREATE TABLE two (x INTEGER) STRICT;\n")},
	}
	if err := migrate(t.Context(), db, fsys, dbPath+"-migrate.lock"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if got := appliedMigrations(t, db); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("recorded %v, want [1 2]", got)
	}
}

// TestMigrationFailure: a failing step is named, leaves nothing of itself
// behind, and keeps the steps before it.
func TestMigrationFailure(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite", dsn(dbPath, "_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock := dbPath + "-migrate.lock"
	fsys := fstest.MapFS{
		"migrations/001_first.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE one (x INTEGER) STRICT;\n")},
		"migrations/002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE two (x INTEGER) STRICT;\nINSERT INTO nowhere VALUES (1);\n")},
		"migrations/003_later.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE three (x INTEGER) STRICT;\n")},
	}
	err = migrate(t.Context(), db, fsys, lock)
	if err == nil || !strings.Contains(err.Error(), "002_broken") {
		t.Fatalf("migrate = %v, want an error naming 002_broken", err)
	}
	if got := appliedMigrations(t, db); !slices.Equal(got, []int64{1}) {
		t.Errorf("recorded %v, want only 1", got)
	}
	for table, want := range map[string]bool{"one": true, "two": false, "three": false} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = ?`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != want {
			t.Errorf("table %s exists = %v, want %v", table, n == 1, want)
		}
	}

	// Fixed, it runs from where it stopped.
	fsys["migrations/002_broken.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE two (x INTEGER) STRICT;\n")}
	if err := migrate(t.Context(), db, fsys, lock); err != nil {
		t.Fatalf("migrate after the fix: %v", err)
	}
	if got := appliedMigrations(t, db); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("recorded %v, want [1 2 3]", got)
	}
}

// TestTxAtomicBatch: a Tx method that fails part-way through a batch leaves
// nothing of it behind, and the transaction can go on.
func TestTxAtomicBatch(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	var cs []*store.Credential
	for i := range 200 { // several statements' worth
		cs = append(cs, &store.Credential{CertificateNo: "N" + string(rune('A'+i%26)) + strings.Repeat("0", i/26),
			HolderName: "x", Status: store.StatusActive})
	}
	dup := &store.Credential{CertificateNo: cs[0].CertificateNo, HolderName: "y", Status: store.StatusActive}
	err := db.Update(ctx, func(tx store.Tx) error {
		err := tx.InsertCredentials(ctx, append(cs[:len(cs):len(cs)], dup), t0())
		if !store.IsCode(err, store.EConflict) {
			t.Errorf("InsertCredentials with a duplicate at the end: %v, want %s", err, store.EConflict)
		}
		if !strings.Contains(store.ErrorMessage(err), cs[0].CertificateNo) {
			t.Errorf("the conflict message %q does not name %s", store.ErrorMessage(err), cs[0].CertificateNo)
		}
		got, err := tx.CredentialsByNumbers(ctx, []string{cs[0].CertificateNo, cs[150].CertificateNo})
		if err != nil || len(got) != 0 {
			t.Errorf("after the failed call: %v, %v; want nothing inserted", got, err)
		}
		return tx.InsertCredentials(ctx, cs, t0())
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err := db.CredentialsByNumbers(ctx, []string{cs[0].CertificateNo, cs[199].CertificateNo})
	if err != nil || len(got) != 2 {
		t.Errorf("after the second call: %v, %v; want both", got, err)
	}
}

func TestClosedTwice(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestUpdateRecordsBatch covers what the multi-row UPDATE adds over one
// statement per row: the missing number is named from inside a 64-row
// statement, and a number given twice gets its last record.
func TestUpdateRecordsBatch(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	var cs []*store.Credential
	for i := range 100 {
		cs = append(cs, &store.Credential{CertificateNo: fmt.Sprintf("N%03d", i), HolderName: "x", Status: store.StatusActive})
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.InsertCredentials(ctx, cs, t0()) }); err != nil {
		t.Fatal(err)
	}

	batch := append([]*store.Credential{}, cs...)
	batch[30] = &store.Credential{CertificateNo: "MISSING", HolderName: "y"}
	err := db.Update(ctx, func(tx store.Tx) error { return tx.UpdateCredentialRecords(ctx, batch, t0()) })
	if !store.IsCode(err, store.ENotFound) || !strings.Contains(store.ErrorMessage(err), "MISSING") {
		t.Errorf("UpdateCredentialRecords with MISSING in the first 64 rows: %v, want ENotFound naming it", err)
	}

	first := &store.Credential{CertificateNo: "N007", HolderName: "first"}
	last := &store.Credential{CertificateNo: "N007", HolderName: "last"}
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(ctx, []*store.Credential{first, cs[1], last}, t0())
	})
	if err != nil {
		t.Fatalf("UpdateCredentialRecords with a repeated number: %v", err)
	}
	got, err := db.CredentialByNumber(ctx, "N007")
	if err != nil {
		t.Fatal(err)
	}
	if got.HolderName != "last" {
		t.Errorf("a number given twice got %q, want the last record", got.HolderName)
	}
	if first.UpdatedAt.IsZero() || last.UpdatedAt.IsZero() {
		t.Errorf("UpdatedAt not set on every value passed in")
	}
}

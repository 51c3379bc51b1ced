package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"ethicsportal/store"
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

func appliedMigrations(t *testing.T, db *sql.DB) map[int]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("schema_migrations: %v", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var (
			v    int
			name string
			at   int64
		)
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		if at <= 0 {
			t.Errorf("migration %s: applied_at = %d", name, at)
		}
		out[v] = name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrationsRecordedAndIdempotent(t *testing.T) {
	db, path := openTemp(t)
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	got := appliedMigrations(t, db.writer)
	for _, m := range ms {
		if got[m.version] != m.name {
			t.Errorf("migration %d recorded as %q, want %q", m.version, got[m.version], m.name)
		}
	}
	if len(got) != len(ms) {
		t.Errorf("%d migrations recorded, want %d", len(got), len(ms))
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
	db2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	if again := appliedMigrations(t, db2.writer); len(again) != len(ms) {
		t.Errorf("after reopening %d migrations recorded, want %d", len(again), len(ms))
	}
	if _, err := db2.UserByName(t.Context(), "alice"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// TestMigrationFailure: a failing step is named, leaves nothing of itself
// behind, and keeps the steps before it.
func TestMigrationFailure(t *testing.T) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), "_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"migrations/001_first.sql":  {Data: []byte(`CREATE TABLE one (x INTEGER) STRICT;`)},
		"migrations/002_broken.sql": {Data: []byte(`CREATE TABLE two (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);`)},
		"migrations/003_later.sql":  {Data: []byte(`CREATE TABLE three (x INTEGER) STRICT;`)},
	}
	err = migrate(t.Context(), db, fsys)
	if err == nil || !strings.Contains(err.Error(), "002_broken") {
		t.Fatalf("migrate = %v, want an error naming 002_broken", err)
	}
	got := appliedMigrations(t, db)
	if len(got) != 1 || got[1] != "001_first" {
		t.Errorf("recorded %v, want only 001_first", got)
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
	fsys["migrations/002_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE two (x INTEGER) STRICT;`)}
	if err := migrate(t.Context(), db, fsys); err != nil {
		t.Fatalf("migrate after the fix: %v", err)
	}
	if got := appliedMigrations(t, db); len(got) != 3 {
		t.Errorf("recorded %v, want three", got)
	}
}

func TestMigrationNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name": {"migrations/1_x.sql": {Data: []byte(`SELECT 1;`)}},
		"duplicate": {
			"migrations/001_a.sql": {Data: []byte(`SELECT 1;`)},
			"migrations/001_b.sql": {Data: []byte(`SELECT 1;`)},
		},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted it", name)
		}
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

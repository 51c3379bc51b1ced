package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
	"ethicsportal/store/postgres/pgtest"
)

// Bulk methods are one statement per call, not one per row.
func TestBulkRoundTrips(t *testing.T) {
	ctx := context.Background()
	cfg := poolConfig(t, pgtest.URL(t))
	tr := &queryCounter{}
	cfg.ConnConfig.Tracer = tr
	db, err := openConfig(ctx, cfg, migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 300
	ps := make([]*store.Person, n)
	cs := make([]*store.Credential, n)
	nos := make([]string, n)
	hashes := make([][]byte, n)
	for i := range n {
		hashes[i] = []byte(fmt.Sprint("h", i))
		ps[i] = &store.Person{Name: "p", IDHash: hashes[i]}
		nos[i] = fmt.Sprint("C", i)
		cs[i] = &store.Credential{CertificateNo: nos[i], HolderName: "n", Status: store.StatusActive}
	}
	steps := []struct {
		name string
		run  func(tx store.Tx) error
	}{
		{"CreatePersons", func(tx store.Tx) error { return tx.CreatePersons(ctx, ps) }},
		{"InsertCredentials", func(tx store.Tx) error { return tx.InsertCredentials(ctx, cs, time.Now()) }},
		{"UpdateCredentialRecords", func(tx store.Tx) error { return tx.UpdateCredentialRecords(ctx, cs, time.Now()) }},
		{"CredentialsByNumbers", func(tx store.Tx) error { _, err := tx.CredentialsByNumbers(ctx, nos); return err }},
		{"PersonsByIDHashes", func(tx store.Tx) error { _, err := tx.PersonsByIDHashes(ctx, hashes); return err }},
	}
	for _, s := range steps {
		err := db.Update(ctx, func(tx store.Tx) error {
			tr.n.Store(0)
			err := s.run(tx)
			if got := tr.n.Load(); got != 1 {
				t.Errorf("%s of %d rows: %d queries, want 1", s.name, n, got)
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
}

type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// store.Date goes through pgx both ways: as a parameter (its driver.Valuer)
// and as a scan target (its sql.Scanner), NULL being the zero Date; and
// dateArg, used for the bulk arrays, agrees with it.
func TestDateRoundTrip(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, d := range []store.Date{store.NewDate(2024, 2, 29), store.NewDate(1, 1, 1), store.NewDate(9999, 12, 31), {}} {
		var viaValuer, viaPGDate store.Date
		var text *string
		err := conn.QueryRow(ctx, `SELECT $1::date, $2::date, $2::date::text`, d, dateArg(d)).Scan(&viaValuer, &viaPGDate, &text)
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		if viaValuer != d || viaPGDate != d || (text == nil) != d.IsZero() || (text != nil && *text != d.String()) {
			t.Fatalf("%q came back as %q, %q, %v", d, viaValuer, viaPGDate, text)
		}
	}
	var arr []store.Date
	if err := conn.QueryRow(ctx, `SELECT $1::date[]`, []any{dateArg(store.NewDate(2020, 1, 2)), dateArg(store.Date{})}).Scan(&arr); err != nil {
		t.Fatal(err)
	}
	if len(arr) != 2 || arr[0] != store.NewDate(2020, 1, 2) || !arr[1].IsZero() {
		t.Fatalf("date array: %v", arr)
	}
}

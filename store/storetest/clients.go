package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// clientTests are the conformance tests of school clients and their usage.
var clientTests = []test{
	{"RoundTrip", testClientRoundTrip},
	{"CreateConflict", testCreateClientConflict},
	{"SetDisabled", testSetClientDisabled},
	{"RotateKey", testRotateClientKey},
	{"SetSecret", testSetClientSecret},
	{"RotateKeyRace", testRotateClientKeyRace},
	{"Usage", testClientUsage},
	{"UsageUnknownClient", testClientUsageUnknownClient},
}

// sampleClient is a client with every field set to a value other than its
// zero.
func sampleClient(id string, at time.Time) *store.Client {
	return &store.Client{
		ID: id, Name: "北京市第一中学 " + id, Scopes: []string{store.ScopeVerifyBatch, store.ScopeWatch},
		KeyHash: idHash("key " + id), PrevKeyHash: idHash("old key " + id), PrevKeyUntil: at.Add(24 * time.Hour),
		SecretVersion: 3, SecretHash: idHash("secret " + id), Disabled: true, CreatedAt: at, CreatedBy: "root",
	}
}

func createClient(t *testing.T, st store.Store, c *store.Client) {
	t.Helper()
	update(t, st, func(tx store.Tx) error { return tx.CreateClient(t.Context(), c) })
}

func testClientRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		cs, err := r.Clients(t.Context())
		if err != nil || len(cs) != 0 {
			t.Fatalf("Clients on an empty store = %v, %v; want none", cs, err)
		}
		_, err = r.ClientByID(t.Context(), "cl_none")
		wantCode(t, "ClientByID of an unknown id", err, store.ENotFound)
	})
	later := sampleClient("cl_bbbbbbbbbbbbbbbb", t0.Add(time.Minute))
	first := sampleClient("cl_zzzzzzzzzzzzzzzz", t0)
	// A new client as app makes it: no previous key, enabled.
	first.PrevKeyHash, first.PrevKeyUntil, first.Disabled, first.SecretVersion = nil, time.Time{}, false, 1
	createClient(t, st, later)
	createClient(t, st, first)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, want := range []*store.Client{first, later} {
			got, err := r.ClientByID(t.Context(), want.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "client "+want.ID, norm(*want), got)
		}
		cs, err := r.Clients(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 {
			t.Fatalf("Clients = %d clients, want 2", len(cs))
		}
		checkEqual(t, "first client (oldest)", norm(*first), &cs[0])
		checkEqual(t, "second client", norm(*later), &cs[1])
	})
}

func testCreateClientConflict(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleClient("cl_aaaaaaaaaaaaaaaa", t0)
	createClient(t, st, c)
	other := sampleClient("cl_aaaaaaaaaaaaaaaa", t0.Add(time.Hour))
	other.Name = "another school"
	wantCode(t, "CreateClient with a taken id", failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreateClient(t.Context(), other)
	}), store.EConflict)
	got, err := st.ClientByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "client after the refused create", norm(*c), got)
}

func testSetClientDisabled(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleClient("cl_aaaaaaaaaaaaaaaa", t0)
	c.Disabled = false
	createClient(t, st, c)
	disabled := func() bool {
		t.Helper()
		got, err := st.ClientByID(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Disabled
	}
	update(t, st, func(tx store.Tx) error { return tx.SetClientDisabled(t.Context(), c.ID, false, true) })
	if !disabled() {
		t.Fatal("SetClientDisabled(false, true) left the client enabled")
	}
	// Decided on a state that no longer holds: refused, nothing changed.
	wantCode(t, "SetClientDisabled from a stale state", failUpdate(t, st, func(tx store.Tx) error {
		return tx.SetClientDisabled(t.Context(), c.ID, false, true)
	}), store.EConflict)
	if !disabled() {
		t.Fatal("the refused change enabled the client")
	}
	update(t, st, func(tx store.Tx) error { return tx.SetClientDisabled(t.Context(), c.ID, true, false) })
	if disabled() {
		t.Fatal("SetClientDisabled(true, false) left the client disabled")
	}
	wantCode(t, "SetClientDisabled of an unknown client", failUpdate(t, st, func(tx store.Tx) error {
		return tx.SetClientDisabled(t.Context(), "cl_none", false, true)
	}), store.ENotFound)
}

func testRotateClientKey(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleClient("cl_aaaaaaaaaaaaaaaa", t0)
	c.PrevKeyHash, c.PrevKeyUntil = nil, time.Time{}
	createClient(t, st, c)
	k2, until := idHash("second key"), t0.Add(36*time.Hour)
	update(t, st, func(tx store.Tx) error { return tx.RotateClientKey(t.Context(), c.ID, c.KeyHash, k2, until) })
	want := *c
	want.KeyHash, want.PrevKeyHash, want.PrevKeyUntil = k2, c.KeyHash, until
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.ClientByID(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "client after rotation", norm(want), got)
	})
	// A rotation decided from the old key (read before the first) is refused.
	wantCode(t, "RotateClientKey from a replaced key", failUpdate(t, st, func(tx store.Tx) error {
		return tx.RotateClientKey(t.Context(), c.ID, c.KeyHash, idHash("third key"), until)
	}), store.EConflict)
	got, err := st.ClientByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "client after the refused rotation", norm(want), got)
	wantCode(t, "RotateClientKey of an unknown client", failUpdate(t, st, func(tx store.Tx) error {
		return tx.RotateClientKey(t.Context(), "cl_none", c.KeyHash, k2, until)
	}), store.ENotFound)
}

// testRotateClientKeyRace: two handles rotate one client's key from the
// same key at once, round after round; exactly one wins each round, and the
// stored previous key is the one both started from.
func testRotateClientKeyRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	c := sampleClient("cl_aaaaaaaaaaaaaaaa", t0)
	createClient(t, a, c)
	from := c.KeyHash
	for round := range 6 {
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  [2]error
			keys  = [2][]byte{idHash(fmt.Sprint("a", round)), idHash(fmt.Sprint("b", round))}
		)
		for i, st := range []store.Store{a, b} {
			wg.Go(func() {
				<-start
				errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
					return tx.RotateClientKey(t.Context(), c.ID, from, keys[i], t0)
				})
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: both rotations from one key succeeded", round)
			case err == nil:
				won = i
			case !store.IsCode(err, store.EConflict):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: neither rotation succeeded: %v", round, errs)
		}
		got, err := b.ClientByID(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.KeyHash) != string(keys[won]) || string(got.PrevKeyHash) != string(from) {
			t.Fatalf("round %d: key %x prev %x, want %x and %x", round, got.KeyHash, got.PrevKeyHash, keys[won], from)
		}
		from = keys[won]
	}
}

func testClientUsage(t *testing.T, s suite) {
	st := s.open(t)
	x, y := sampleClient("cl_xxxxxxxxxxxxxxxx", t0), sampleClient("cl_yyyyyyyyyyyyyyyy", t0)
	createClient(t, st, x)
	createClient(t, st, y)
	var rows []store.ClientUsage
	for i := range 7 {
		rows = append(rows, store.ClientUsage{ClientID: x.ID, At: t0.Add(time.Duration(i) * time.Second), Kind: store.UsageVerify,
			CertificateNo: fmt.Sprintf("2019110014100%04d", i), Match: i%2 == 0, ReceiptID: fmt.Sprint("jti-", i)})
	}
	rows = append(rows, store.ClientUsage{ClientID: y.ID, At: t0, Kind: store.UsageEligibility, Match: true, ReceiptID: "jti-y"})
	update(t, st, func(tx store.Tx) error { return tx.AddClientUsage(t.Context(), rows[:3]) })
	update(t, st, func(tx store.Tx) error { return tx.AddClientUsage(t.Context(), rows[3:]) })
	update(t, st, func(tx store.Tx) error { return tx.AddClientUsage(t.Context(), nil) })
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		page, total, err := r.ClientUsage(t.Context(), store.ClientUsageFilter{ClientID: x.ID, Limit: 3, Offset: 2})
		if err != nil {
			t.Fatal(err)
		}
		if total != 7 || len(page) != 3 {
			t.Fatalf("page of x: %d rows of %d, want 3 of 7", len(page), total)
		}
		for i, got := range page {
			want := norm(rows[4-i]) // newest first: rows 4, 3, 2
			if got.ID == 0 {
				t.Errorf("row %d has no ID", i)
			}
			want.ID = got.ID
			checkEqual(t, fmt.Sprint("usage row ", i), want, &got)
		}
		all, total, err := r.ClientUsage(t.Context(), store.ClientUsageFilter{ClientID: y.ID})
		if err != nil || total != 1 || len(all) != 1 || all[0].Kind != store.UsageEligibility || all[0].CertificateNo != "" {
			t.Fatalf("usage of y: %+v, %d, %v", all, total, err)
		}
		past, total, err := r.ClientUsage(t.Context(), store.ClientUsageFilter{ClientID: x.ID, Limit: 5, Offset: 10})
		if err != nil || total != 7 || len(past) != 0 {
			t.Fatalf("page past the end: %d rows, total %d, %v; want none of 7", len(past), total, err)
		}
		none, total, err := r.ClientUsage(t.Context(), store.ClientUsageFilter{ClientID: "cl_none", Limit: 5})
		if err != nil || total != 0 || len(none) != 0 {
			t.Fatalf("usage of an unknown client: %v, %d, %v", none, total, err)
		}
	})
}

func testClientUsageUnknownClient(t *testing.T, s suite) {
	st := s.open(t)
	x := sampleClient("cl_xxxxxxxxxxxxxxxx", t0)
	createClient(t, st, x)
	rows := []store.ClientUsage{
		{ClientID: x.ID, At: t0, Kind: store.UsageVerify, CertificateNo: "20191100141000123"},
		{ClientID: "cl_none", At: t0, Kind: store.UsageVerify, CertificateNo: "20191100141000123"},
	}
	wantCode(t, "AddClientUsage naming an unknown client", failUpdate(t, st, func(tx store.Tx) error {
		if err := tx.AddClientUsage(t.Context(), rows); err != nil {
			return err
		}
		return nil
	}), store.ENotFound)
	// The expected failure leaves the transaction usable and adds nothing.
	update(t, st, func(tx store.Tx) error {
		if err := tx.AddClientUsage(t.Context(), rows); !store.IsCode(err, store.ENotFound) {
			return fmt.Errorf("AddClientUsage = %v, want not_found", err)
		}
		return tx.AddClientUsage(t.Context(), rows[:1])
	})
	got, total, err := st.ClientUsage(t.Context(), store.ClientUsageFilter{ClientID: x.ID})
	if err != nil || total != 1 || len(got) != 1 {
		t.Fatalf("usage after a refused add and a good one: %d rows of %d, %v; want 1", len(got), total, err)
	}
}

func testSetClientSecret(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleClient("cl_aaaaaaaaaaaaaaaa", t0)
	createClient(t, st, c)
	h2 := idHash("second secret")
	update(t, st, func(tx store.Tx) error {
		return tx.SetClientSecret(t.Context(), c.ID, c.SecretVersion, c.SecretVersion+1, h2)
	})
	want := *c
	want.SecretVersion, want.SecretHash = c.SecretVersion+1, h2
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.ClientByID(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "client after the new secret", norm(want), got)
	})
	// A change decided from the old version is refused and changes nothing.
	wantCode(t, "SetClientSecret from a replaced version", failUpdate(t, st, func(tx store.Tx) error {
		return tx.SetClientSecret(t.Context(), c.ID, c.SecretVersion, c.SecretVersion+1, idHash("third"))
	}), store.EConflict)
	got, err := st.ClientByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "client after the refused change", norm(want), got)
	wantCode(t, "SetClientSecret of an unknown client", failUpdate(t, st, func(tx store.Tx) error {
		return tx.SetClientSecret(t.Context(), "cl_none", 1, 2, h2)
	}), store.ENotFound)
}

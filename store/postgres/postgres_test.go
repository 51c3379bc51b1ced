package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/storetest"
)

// TestConformance runs the suite every store.Store must pass; the tests
// below cover what is particular to PostgreSQL.
func TestConformance(t *testing.T) { storetest.Run(t, newDB) }

// newDB makes a fresh database (a schema of its own) and returns an opener:
// each call gives another handle on it, as another application instance
// would have, closed when the calling test ends.
func newDB(t *testing.T) func(t *testing.T) store.Store {
	url := pgtest.URL(t)
	return func(t *testing.T) store.Store {
		t.Helper()
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
}

func open(t *testing.T) store.Store { return newDB(t)(t) }

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !store.IsCode(err, code) {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	_, err := s.UserByName(ctx, "nobody")
	wantCode(t, err, store.ENotFound)

	u := &store.User{Username: "li", PasswordHash: "$argon2id$x", Roles: []string{store.RoleEditor, store.RoleReviewer},
		TOTPSecret: []byte{1, 2, 3}, CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	got, err := s.UserByName(ctx, "li")
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != u.PasswordHash || fmt.Sprint(got.Roles) != fmt.Sprint(u.Roles) ||
		!bytes.Equal(got.TOTPSecret, u.TOTPSecret) || got.TOTPLastStep != 0 {
		t.Fatalf("got %+v, want %+v", got, u)
	}
	if want := t0.UTC().Truncate(time.Microsecond); got.CreatedAt != want {
		t.Fatalf("CreatedAt %v, want %v (UTC, microseconds)", got.CreatedAt, want)
	}

	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}) })
	wantCode(t, err, store.EConflict)

	update(t, s, func(tx store.Tx) error {
		return tx.CreateUser(ctx, &store.User{Username: "wang", PasswordHash: "h", CreatedAt: t0})
	})
	w, err := s.UserByName(ctx, "wang")
	if err != nil || len(w.Roles) != 0 || w.TOTPSecret != nil {
		t.Fatalf("user without roles or TOTP: %+v, %v", w, err)
	}
}

func TestAdvanceTOTPStep(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}) })
	for _, c := range []struct {
		step int64
		want bool
	}{{10, true}, {10, false}, {9, false}, {11, true}} {
		var ok bool
		update(t, s, func(tx store.Tx) (err error) { ok, err = tx.AdvanceTOTPStep(ctx, "li", c.step); return })
		if ok != c.want {
			t.Fatalf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
		}
	}
	u, _ := s.UserByName(ctx, "li")
	if u.TOTPLastStep != 11 {
		t.Fatalf("TOTPLastStep %d, want 11", u.TOTPLastStep)
	}
	err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.AdvanceTOTPStep(ctx, "nobody", 1); return err })
	wantCode(t, err, store.ENotFound)
}

// Two instances receiving the same code at the same moment: one sign-in.
func TestAdvanceTOTPStepConcurrent(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	update(t, a, func(tx store.Tx) error { return tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}) })
	for step := int64(1); step <= 5; step++ {
		var wins sync.WaitGroup
		results := make(chan bool, 8)
		for i := range 8 {
			s := []store.Store{a, b}[i%2]
			wins.Go(func() {
				err := s.Update(ctx, func(tx store.Tx) error {
					ok, err := tx.AdvanceTOTPStep(ctx, "li", step)
					results <- ok
					return err
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wins.Wait()
		close(results)
		n := 0
		for ok := range results {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("step %d accepted %d times, want once", step, n)
		}
	}
}

func TestUpdateRollsBack(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutSecretIfAbsent(ctx, "k", []byte("v")); err != nil {
			return err
		}
		// Inside the transaction its own writes are visible.
		if _, err := tx.UserByName(ctx, "li"); err != nil {
			return err
		}
		// Outside it they are not.
		if _, err := s.UserByName(ctx, "li"); !store.IsCode(err, store.ENotFound) {
			return fmt.Errorf("uncommitted user visible outside: %v", err)
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	_, err = s.UserByName(ctx, "li")
	wantCode(t, err, store.ENotFound)
	_, err = s.Secret(ctx, "k")
	wantCode(t, err, store.ENotFound)
}

// A conflict reported by a Tx method changes nothing and leaves the
// transaction usable, as on SQLite.
func TestConflictLeavesTxUsable(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}) })
	update(t, s, func(tx store.Tx) error {
		wantCode(t, tx.CreateUser(ctx, &store.User{Username: "li", CreatedAt: t0}), store.EConflict)
		wantCode(t, tx.CreateBan(ctx, &store.Ban{PersonID: 999, Scope: store.BanScopeTeaching, CreatedAt: t0}), store.ENotFound)
		return tx.CreateUser(ctx, &store.User{Username: "wang", CreatedAt: t0})
	})
	if _, err := s.UserByName(ctx, "wang"); err != nil {
		t.Fatal(err)
	}
}

func TestDeniedTokens(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	update(t, s, func(tx store.Tx) error {
		for _, d := range []struct {
			jti string
			exp time.Time
		}{{"a", t0}, {"a", t0.Add(-time.Hour)}, {"b", t0.Add(2 * time.Hour)}} {
			if err := tx.DenyToken(ctx, d.jti, d.exp); err != nil {
				return err
			}
		}
		return nil
	})
	for jti, want := range map[string]bool{"a": true, "b": true, "c": false} {
		if got, err := s.TokenDenied(ctx, jti); err != nil || got != want {
			t.Fatalf("TokenDenied(%s) = %v, %v; want %v", jti, got, err, want)
		}
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.PurgeDeniedTokens(ctx, t0.Add(time.Minute)); return })
	if n != 1 {
		t.Fatalf("purged %d, want 1 (a second denial must not shorten the first)", n)
	}
	if got, _ := s.TokenDenied(ctx, "a"); got {
		t.Fatal("a still denied after purge")
	}
}

func TestSigningKeysAndSecrets(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	keys, err := a.SigningKeys(ctx, store.KeyPurposeToken)
	if err != nil || keys == nil || len(keys) != 0 {
		t.Fatalf("SigningKeys on empty store: %v, %v; want empty slice", keys, err)
	}
	add := func(s store.Store, k store.SigningKey) (ok bool) {
		update(t, s, func(tx store.Tx) (err error) { ok, err = tx.AddSigningKey(ctx, k); return })
		return ok
	}
	key := func(kid string, gen int) store.SigningKey {
		return store.SigningKey{KID: kid, Purpose: store.KeyPurposeToken, Generation: gen,
			PrivateKey: bytes.Repeat([]byte{byte(gen)}, 64), CreatedAt: t0}
	}
	if !add(a, key("k2", 2)) || !add(b, key("k1", 1)) || add(b, key("other", 2)) {
		t.Fatal("AddSigningKey: want true, true, false")
	}
	if !add(a, store.SigningKey{KID: "r1", Purpose: store.KeyPurposeReceipt, Generation: 1, PrivateKey: []byte{9}, CreatedAt: t0}) {
		t.Fatal("generation 1 of another purpose refused")
	}
	keys, err = b.SigningKeys(ctx, store.KeyPurposeToken)
	if err != nil || len(keys) != 2 || keys[0].KID != "k1" || keys[1].KID != "k2" || !bytes.Equal(keys[1].PrivateKey, key("k2", 2).PrivateKey) {
		t.Fatalf("SigningKeys = %+v, %v", keys, err)
	}

	// Two instances creating the same secret at once: both read the winner.
	var wg sync.WaitGroup
	for i, s := range []store.Store{a, b} {
		wg.Go(func() {
			if err := s.Update(ctx, func(tx store.Tx) error {
				return tx.PutSecretIfAbsent(ctx, "hmac", []byte{byte(i)})
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	va, errA := a.Secret(ctx, "hmac")
	vb, errB := b.Secret(ctx, "hmac")
	if errA != nil || errB != nil || len(va) != 1 || !bytes.Equal(va, vb) {
		t.Fatalf("Secret: %v %v, %v %v", va, errA, vb, errB)
	}
	_, err = a.Secret(ctx, "none")
	wantCode(t, err, store.ENotFound)
}

func TestPingClose(t *testing.T) {
	s := open(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The zero time is stored as NULL and comes back zero; empty and nil byte
// slices stay apart; a deny-list entry without expiry is never purged.
func TestZeroValues(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, &store.User{Username: "li", TOTPSecret: []byte{}}); err != nil {
			return err
		}
		if err := tx.DenyToken(ctx, "forever", time.Time{}); err != nil {
			return err
		}
		if err := tx.DenyToken(ctx, "later", t0); err != nil {
			return err
		}
		return tx.DenyToken(ctx, "later", time.Time{}) // "never" is later than any time
	})
	u, err := s.UserByName(ctx, "li")
	if err != nil || !u.CreatedAt.IsZero() || u.TOTPSecret == nil || len(u.TOTPSecret) != 0 {
		t.Fatalf("user %+v, %v: want zero CreatedAt and an empty non-nil TOTPSecret", u, err)
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.PurgeDeniedTokens(ctx, t0.AddDate(100, 0, 0)); return })
	if n != 0 {
		t.Fatalf("purged %d entries without expiry", n)
	}
}

func TestSigningKeyIDClash(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	k := store.SigningKey{KID: "k1", Purpose: store.KeyPurposeToken, Generation: 1, PrivateKey: []byte{1}, CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { _, err := tx.AddSigningKey(ctx, k); return err })
	update(t, s, func(tx store.Tx) error {
		clash := k
		clash.Generation = 2
		_, err := tx.AddSigningKey(ctx, clash)
		wantCode(t, err, store.EConflict)
		// The same key again is simply "someone got there first".
		if ok, err := tx.AddSigningKey(ctx, k); ok || err != nil {
			t.Errorf("re-adding the same key: %v, %v; want false, nil", ok, err)
		}
		clash.KID = "k2"
		ok, err := tx.AddSigningKey(ctx, clash)
		if !ok || err != nil {
			t.Errorf("after a KID clash in the same transaction: %v, %v", ok, err)
		}
		return err
	})
}

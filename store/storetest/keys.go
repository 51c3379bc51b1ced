package storetest

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

func signingKey(kid, purpose string, gen int, seed byte, created time.Time) store.SigningKey {
	return store.SigningKey{KID: kid, Purpose: purpose, Generation: gen,
		PrivateKey: ed25519.NewKeyFromSeed(seq(ed25519.SeedSize, seed)), CreatedAt: created}
}

func checkKeys(t *testing.T, r store.Reader, purpose string, want ...store.SigningKey) {
	t.Helper()
	got, err := r.SigningKeys(t.Context(), purpose)
	if err != nil {
		t.Fatalf("SigningKeys(%q): %v", purpose, err)
	}
	if len(got) != len(want) {
		t.Fatalf("SigningKeys(%q) returned %d keys, want %d: %+v", purpose, len(got), len(want), got)
	}
	for i := range want {
		checkEqual(t, fmt.Sprintf("SigningKeys(%q)[%d]", purpose, i), norm(want[i]), &got[i])
	}
}

func testSigningKeys(t *testing.T, s suite) {
	st := s.open(t)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkKeys(t, r, store.KeyPurposeToken)
		checkKeys(t, r, store.KeyPurposeReceipt)
	})
	tok1 := signingKey("tok-1", store.KeyPurposeToken, 1, 1, t0)
	tok2 := signingKey("tok-2", store.KeyPurposeToken, 2, 2, t0.Add(30*24*time.Hour))
	rcp1 := signingKey("rcp-1", store.KeyPurposeReceipt, 1, 3, t0.Add(time.Second))
	// Added out of order: SigningKeys orders by generation, not by insertion.
	for _, k := range []store.SigningKey{tok2, tok1, rcp1} {
		update(t, st, func(tx store.Tx) error {
			ok, err := tx.AddSigningKey(t.Context(), k)
			if err == nil && !ok {
				t.Errorf("AddSigningKey(%s) = false for a new purpose and generation", k.KID)
			}
			return err
		})
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkKeys(t, r, store.KeyPurposeToken, tok1, tok2)
		checkKeys(t, r, store.KeyPurposeReceipt, rcp1)
	})

	// Generation 1 of token keys is taken: false, and nothing stored.
	update(t, st, func(tx store.Tx) error {
		ok, err := tx.AddSigningKey(t.Context(), signingKey("tok-1-late", store.KeyPurposeToken, 1, 9, t0))
		if ok {
			t.Errorf("AddSigningKey of a taken generation = true")
		}
		return err
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkKeys(t, r, store.KeyPurposeToken, tok1, tok2)
		checkKeys(t, r, store.KeyPurposeReceipt, rcp1)
	})
}

// testAddSigningKeyRace has instances on two handles create the first key
// at once, as two freshly started instances do: one wins, and afterwards
// every instance reads the winner's key.
func testAddSigningKeyRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const n = 8
	var (
		keys  [n]store.SigningKey
		won   [n]bool
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range n {
		keys[i] = signingKey(fmt.Sprintf("kid-%d", i), store.KeyPurposeReceipt, 1, byte(10*i), t0.Add(time.Duration(i)*time.Millisecond))
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				ok, err := tx.AddSigningKey(t.Context(), keys[i])
				won[i] = ok
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
		}
		if won[i] {
			if winner >= 0 {
				t.Errorf("both %s and %s were added as generation 1", keys[winner].KID, keys[i].KID)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no AddSigningKey reported true")
	}
	checkKeys(t, a, store.KeyPurposeReceipt, keys[winner])
	checkKeys(t, b, store.KeyPurposeReceipt, keys[winner])
}

func testSecrets(t *testing.T, s suite) {
	st := s.open(t)
	v1, v2, v3 := seq(32, 1), seq(32, 100), seq(16, 200)
	checkSecret := func(t *testing.T, r store.Reader, name string, want []byte) {
		t.Helper()
		got, err := r.Secret(t.Context(), name)
		if err != nil {
			t.Fatalf("Secret(%q): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Secret(%q) = %x, want %x", name, got, want)
		}
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		v, err := r.Secret(t.Context(), "receipt-hmac")
		wantCode(t, "Secret of an absent name", err, store.ENotFound)
		if v != nil {
			t.Errorf("Secret of an absent name returned %x with its error", v)
		}
	})
	update(t, st, func(tx store.Tx) error {
		if err := tx.PutSecretIfAbsent(t.Context(), "receipt-hmac", v1); err != nil {
			return err
		}
		checkSecret(t, tx, "receipt-hmac", v1)
		return nil
	})
	update(t, st, func(tx store.Tx) error {
		if err := tx.PutSecretIfAbsent(t.Context(), "receipt-hmac", v2); err != nil {
			return err
		}
		checkSecret(t, tx, "receipt-hmac", v1) // the first value won
		return tx.PutSecretIfAbsent(t.Context(), "id-hash-key", v3)
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkSecret(t, r, "receipt-hmac", v1)
		checkSecret(t, r, "id-hash-key", v3)
	})
}

// testPutSecretIfAbsentRace has eight goroutines on two handles each offer a
// value: every one of them, and every reader afterwards, sees the same one.
func testPutSecretIfAbsentRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const n = 8
	var (
		offered [n][]byte
		seen    [n][]byte
		errs    [n]error
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for i := range n {
		offered[i] = seq(32, byte(16*i))
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				if err := tx.PutSecretIfAbsent(t.Context(), "shared", offered[i]); err != nil {
					return err
				}
				v, err := tx.Secret(t.Context(), "shared")
				seen[i] = v
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
	}
	won := seen[0]
	isOffered := false
	for i := range n {
		if !bytes.Equal(seen[i], won) {
			t.Errorf("goroutine %d saw %x, goroutine 0 saw %x", i, seen[i], won)
		}
		isOffered = isOffered || bytes.Equal(offered[i], won)
	}
	if !isOffered {
		t.Errorf("the secret %x is none of the values offered", won)
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		got, err := st.Secret(t.Context(), "shared")
		if err != nil {
			t.Fatalf("handle %s: Secret: %v", name, err)
		}
		if !bytes.Equal(got, won) {
			t.Errorf("handle %s: Secret = %x, want the winner %x", name, got, won)
		}
	}
}

package keys_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"reflect"
	"sync"
	"testing"
	"time"

	"ethicsportal/keys"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/sqlite"
)

// backends opens, per backend, a fresh store; each call of the returned
// opener gives another handle on the same database, as another instance
// would have.
func backends() map[string]func(t *testing.T) func() store.Store {
	return map[string]func(t *testing.T) func() store.Store{
		"sqlite": func(t *testing.T) func() store.Store {
			path := t.TempDir() + "/portal.db"
			return func() store.Store {
				st, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
		},
		"postgres": func(t *testing.T) func() store.Store {
			url := pgtest.URL(t)
			return func() store.Store {
				st, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
		},
	}
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)} }

// addKey stores a fresh key of purpose as generation gen and returns it.
func addKey(t *testing.T, st store.Store, purpose string, gen int) store.SigningKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := store.SigningKey{KID: keys.Thumbprint(pub), Purpose: purpose, Generation: gen, PrivateKey: priv, CreatedAt: time.Now()}
	err = st.Update(t.Context(), func(tx store.Tx) error {
		ok, err := tx.AddSigningKey(t.Context(), k)
		if err == nil && !ok {
			t.Fatalf("generation %d of %s keys exists already", gen, purpose)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadCreatesOneKeyEveryInstanceShares(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := newClock()
			// Instances starting at once on an empty store agree on one key.
			const n = 4
			rings := make([]*keys.Ring, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range rings {
				st := opener()
				wg.Go(func() { rings[i], errs[i] = keys.Load(t.Context(), st, store.KeyPurposeReceipt, ck.now) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("instance %d: %v", i, err)
				}
			}
			kid, priv := rings[0].Signer()
			if kid != keys.Thumbprint(priv.Public().(ed25519.PublicKey)) {
				t.Fatalf("kid %q is not the key's thumbprint", kid)
			}
			for i, r := range rings {
				if k, _ := r.Signer(); k != kid {
					t.Fatalf("instance %d signs with %q, instance 0 with %q", i, k, kid)
				}
				if got := r.JWKS(); len(got) != 1 || got[0].KID != kid {
					t.Fatalf("instance %d publishes %+v", i, got)
				}
			}
			ks, err := opener().SigningKeys(t.Context(), store.KeyPurposeReceipt)
			if err != nil || len(ks) != 1 {
				t.Fatalf("the store holds %d receipt keys (%v), want 1", len(ks), err)
			}
			// Purposes are kept apart.
			tok, err := keys.Load(t.Context(), opener(), store.KeyPurposeToken, ck.now)
			if err != nil {
				t.Fatal(err)
			}
			if k, _ := tok.Signer(); k == kid {
				t.Fatal("token and receipt rings share a key")
			}
		})
	}
}

func TestJWKSIsInGenerationOrder(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			st := open(t)()
			var want []string
			for gen := 1; gen <= 6; gen++ {
				want = append(want, addKey(t, st, store.KeyPurposeReceipt, gen).KID)
			}
			r, err := keys.Load(t.Context(), st, store.KeyPurposeReceipt, newClock().now)
			if err != nil {
				t.Fatal(err)
			}
			// A map would give a different order from run to run; ask often.
			for range 50 {
				set := r.JWKS()
				got := make([]string, len(set))
				for i, k := range set {
					got[i] = k.KID
					if k.KTY != "OKP" || k.CRV != "Ed25519" || k.Alg != "EdDSA" || k.Use != "sig" {
						t.Fatalf("JWK %+v", k)
					}
					x, err := base64.RawURLEncoding.DecodeString(k.X)
					if err != nil || keys.Thumbprint(x) != k.KID {
						t.Fatalf("JWK %s: x does not match its kid", k.KID)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("JWKS order %v, want generation order %v", got, want)
				}
			}
			if kid, _ := r.Signer(); kid != want[len(want)-1] {
				t.Fatalf("signs with %q, want the newest generation %q", kid, want[len(want)-1])
			}
		})
	}
}

func TestPublicReloadsForAKeyAnotherInstanceAdded(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := newClock()
			r, err := keys.Load(t.Context(), opener(), store.KeyPurposeToken, ck.now)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := r.Signer()
			if _, ok := r.Public(t.Context(), first); !ok {
				t.Fatal("its own key is unknown")
			}
			added := addKey(t, opener(), store.KeyPurposeToken, 2)

			// Within reloadEvery of the last load the store is not asked again.
			if _, ok := r.Public(t.Context(), added.KID); ok {
				t.Fatal("reloaded within the reload interval")
			}
			ck.add(6 * time.Second)
			// A kid not shaped like a thumbprint never costs a read.
			if _, ok := r.Public(t.Context(), "forged"); ok {
				t.Fatal("a forged kid was found")
			}
			pub, ok := r.Public(t.Context(), added.KID)
			if !ok || !pub.Equal(ed25519.PrivateKey(added.PrivateKey).Public()) {
				t.Fatal("the key another instance added is not found after the interval")
			}
			if kid, _ := r.Signer(); kid != added.KID {
				t.Fatalf("after the reload it signs with %q, want the newest %q", kid, added.KID)
			}
			if got := r.JWKS(); len(got) != 2 || got[0].KID != first || got[1].KID != added.KID {
				t.Fatalf("JWKS after reload: %+v", got)
			}
		})
	}
}

// Package keys keeps the portal's signing keys in the store: the Ed25519
// keys that sign admin tokens, verification receipts and audit checkpoints,
// the JWKS that publishes the receipt keys, the issuer name fixed when the
// store was created, and the signed checkpoint format. Every instance on one
// store loads the same keys, so each accepts what the others signed.
//
// keys depends on store only; the use cases in app depend on it.
package keys

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"ethicsportal/store"
)

// Ring holds the Ed25519 keys of one purpose, oldest generation first; the
// newest signs. A kid it has not seen (a key added by another instance)
// triggers a reload from the store, at most once per reloadEvery so that
// forged kids cannot hammer the store. Its methods are safe for concurrent
// use.
type Ring struct {
	st      store.Store
	purpose string
	now     func() time.Time

	mu         sync.RWMutex
	keys       []entry // by generation, oldest first
	byKID      map[string]int
	lastReload time.Time
}

type entry struct {
	kid  string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// reloadEvery bounds how often an unknown kid makes a Ring read the store.
const reloadEvery = 5 * time.Second

// Load returns the ring of purpose kept in st, creating its first key when
// the store holds none. Instances starting at the same moment agree on one
// first key: the store keeps whichever was added first and all read it back.
func Load(ctx context.Context, st store.Store, purpose string, now func() time.Time) (*Ring, error) {
	r := &Ring{st: st, purpose: purpose, now: now}
	ks, err := st.SigningKeys(ctx, purpose)
	if err != nil {
		return nil, fmt.Errorf("keys: %s keys: %w", purpose, err)
	}
	if len(ks) == 0 {
		if err := createFirst(ctx, st, purpose, now()); err != nil {
			return nil, err
		}
		if ks, err = st.SigningKeys(ctx, purpose); err != nil {
			return nil, fmt.Errorf("keys: %s keys: %w", purpose, err)
		}
	}
	if err := r.set(ks); err != nil {
		return nil, err
	}
	return r, nil
}

// createFirst stores a new key as generation 1 unless another instance
// stored one first; the caller then reads whichever won.
func createFirst(ctx context.Context, st store.Store, purpose string, now time.Time) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("keys: generate %s key: %w", purpose, err)
	}
	key := store.SigningKey{KID: Thumbprint(pub), Purpose: purpose, Generation: 1, PrivateKey: priv, CreatedAt: now}
	err = st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.AddSigningKey(ctx, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("keys: store %s key: %w", purpose, err)
	}
	return nil
}

// set replaces the ring's keys with ks, which the store gives oldest
// generation first. No keys, or a key that is not an Ed25519 private key,
// is an error: signing would panic.
func (r *Ring) set(ks []store.SigningKey) error {
	if len(ks) == 0 {
		return fmt.Errorf("keys: the store holds no %s key", r.purpose)
	}
	entries := make([]entry, 0, len(ks))
	byKID := make(map[string]int, len(ks))
	for _, sk := range ks {
		if len(sk.PrivateKey) != ed25519.PrivateKeySize {
			return fmt.Errorf("keys: %s key %q is %d bytes, not an Ed25519 private key", r.purpose, sk.KID, len(sk.PrivateKey))
		}
		priv := ed25519.PrivateKey(sk.PrivateKey)
		byKID[sk.KID] = len(entries)
		entries = append(entries, entry{kid: sk.KID, priv: priv, pub: priv.Public().(ed25519.PublicKey)})
	}
	r.mu.Lock()
	r.keys, r.byKID = entries, byKID
	r.lastReload = r.now()
	r.mu.Unlock()
	return nil
}

// Purpose returns what the ring's keys sign (a store.KeyPurpose* value).
func (r *Ring) Purpose() string { return r.purpose }

// Signer returns the key to sign with, the newest generation, and its kid.
func (r *Ring) Signer() (kid string, key ed25519.PrivateKey) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := r.keys[len(r.keys)-1] // Load never leaves a ring empty
	return e.kid, e.priv
}

// Public returns the public key for kid. A kid the ring does not hold makes
// it reload from the store first (at most once per reloadEvery, and only
// for a kid shaped like a thumbprint); false when the key is still unknown.
func (r *Ring) Public(ctx context.Context, kid string) (ed25519.PublicKey, bool) {
	r.mu.RLock()
	i, ok := r.byKID[kid]
	var pub ed25519.PublicKey
	if ok {
		pub = r.keys[i].pub
	}
	stale := r.now().Sub(r.lastReload) > reloadEvery
	r.mu.RUnlock()
	if ok {
		return pub, true
	}
	if !stale || len(kid) != thumbprintLen {
		return nil, false
	}
	ks, err := r.st.SigningKeys(ctx, r.purpose)
	if err != nil || r.set(ks) != nil {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if i, ok := r.byKID[kid]; ok {
		return r.keys[i].pub, true
	}
	return nil, false
}

// publicKeys returns every public key with its kid, oldest generation first.
func (r *Ring) publicKeys() []entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]entry, len(r.keys))
	copy(out, r.keys)
	return out
}

// JWK is one public key in a JSON Web Key Set (RFC 8037 for Ed25519).
type JWK struct {
	KTY string `json:"kty"`
	CRV string `json:"crv"`
	X   string `json:"x"`
	KID string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKS returns the ring's public keys as JWKs, oldest generation first, so
// that every instance on a store publishes the same set in the same order.
func (r *Ring) JWKS() []JWK {
	ks := r.publicKeys()
	out := make([]JWK, 0, len(ks))
	for _, e := range ks {
		out = append(out, JWK{KTY: "OKP", CRV: "Ed25519", X: base64.RawURLEncoding.EncodeToString(e.pub), KID: e.kid, Use: "sig", Alg: "EdDSA"})
	}
	return out
}

// thumbprintLen is the length of a kid: 32 bytes in unpadded base64url.
const thumbprintLen = 43

// Thumbprint is the RFC 7638 thumbprint of an Ed25519 public key, used as
// its kid: anyone holding the JWK can recompute it.
func Thumbprint(pub ed25519.PublicKey) string {
	canon, _ := json.Marshal(struct { // three strings: cannot fail
		CRV string `json:"crv"`
		KTY string `json:"kty"`
		X   string `json:"x"`
	}{"Ed25519", "OKP", base64.RawURLEncoding.EncodeToString(pub)})
	sum := sha256.Sum256(canon)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

package app

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"ethicsportal/store"
)

// keyring holds the Ed25519 keys of one purpose. Every instance on a store
// loads the same keys, so each accepts what the others signed. A kid it has
// not seen (a key added by another instance) triggers a reload, at most
// once per reloadEvery so that forged kids cannot hammer the store.
type keyring struct {
	st      store.Store
	purpose string
	now     func() time.Time

	mu         sync.RWMutex
	keys       map[string]ed25519.PrivateKey
	current    string // kid to sign with
	lastReload time.Time
}

const reloadEvery = 5 * time.Second

func loadKeyring(ctx context.Context, st store.Store, purpose string, now func() time.Time) (*keyring, error) {
	k := &keyring{st: st, purpose: purpose, now: now}
	keys, err := st.SigningKeys(ctx, purpose)
	if err != nil {
		return nil, fmt.Errorf("app: %s keys: %w", purpose, err)
	}
	if len(keys) == 0 {
		if err := createFirstKey(ctx, st, purpose, now()); err != nil {
			return nil, err
		}
		if keys, err = st.SigningKeys(ctx, purpose); err != nil {
			return nil, fmt.Errorf("app: %s keys: %w", purpose, err)
		}
	}
	k.set(keys)
	return k, nil
}

// createFirstKey stores a new key as generation 1 unless another instance
// stored one first; the caller then reads whichever won.
func createFirstKey(ctx context.Context, st store.Store, purpose string, now time.Time) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("app: generate %s key: %w", purpose, err)
	}
	key := store.SigningKey{KID: thumbprint(pub), Purpose: purpose, Generation: 1, PrivateKey: priv, CreatedAt: now}
	err = st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.AddSigningKey(ctx, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("app: store %s key: %w", purpose, err)
	}
	return nil
}

func (k *keyring) set(keys []store.SigningKey) {
	m := make(map[string]ed25519.PrivateKey, len(keys))
	for _, sk := range keys {
		m[sk.KID] = ed25519.PrivateKey(sk.PrivateKey)
	}
	k.mu.Lock()
	k.keys = m
	if len(keys) > 0 {
		k.current = keys[len(keys)-1].KID
	}
	k.lastReload = k.now()
	k.mu.Unlock()
}

// signer returns the key to sign with and its kid.
func (k *keyring) signer() (string, ed25519.PrivateKey) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current, k.keys[k.current]
}

// public returns the public key for kid, reloading once if it is unknown.
func (k *keyring) public(ctx context.Context, kid string) (ed25519.PublicKey, bool) {
	k.mu.RLock()
	priv, ok := k.keys[kid]
	stale := k.now().Sub(k.lastReload) > reloadEvery
	k.mu.RUnlock()
	if ok {
		return priv.Public().(ed25519.PublicKey), true
	}
	if !stale || len(kid) != 43 { // thumbprints are 43 base64url characters
		return nil, false
	}
	keys, err := k.st.SigningKeys(ctx, k.purpose)
	if err != nil {
		return nil, false
	}
	k.set(keys)
	k.mu.RLock()
	defer k.mu.RUnlock()
	if priv, ok = k.keys[kid]; ok {
		return priv.Public().(ed25519.PublicKey), true
	}
	return nil, false
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

func (k *keyring) jwks() []JWK {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]JWK, 0, len(k.keys))
	for kid, priv := range k.keys {
		pub := priv.Public().(ed25519.PublicKey)
		out = append(out, JWK{KTY: "OKP", CRV: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), KID: kid, Use: "sig", Alg: "EdDSA"})
	}
	return out
}

// thumbprint is the RFC 7638 thumbprint of an Ed25519 public key, used as
// its kid: anyone holding the JWK can recompute it.
func thumbprint(pub ed25519.PublicKey) string {
	canon, _ := json.Marshal(struct {
		CRV string `json:"crv"`
		KTY string `json:"kty"`
		X   string `json:"x"`
	}{"Ed25519", "OKP", base64.RawURLEncoding.EncodeToString(pub)})
	sum := sha256.Sum256(canon)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWKS returns the public keys that sign receipts.
func (a *App) JWKS() []JWK { return a.receiptKeys.jwks() }

const pepperSecret = "id_number_pepper"

// loadPepper returns the key for hashing ID numbers: the configured one, or
// one generated once and kept in the store so that all instances agree.
func (a *App) loadPepper(ctx context.Context) ([]byte, error) {
	if a.cfg.IDPepper != "" {
		return []byte(a.cfg.IDPepper), nil
	}
	v, err := a.store.Secret(ctx, pepperSecret)
	if err == nil {
		return v, nil
	}
	if !errNotFound(err) {
		return nil, fmt.Errorf("app: read pepper: %w", err)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("app: generate pepper: %w", err)
	}
	if err := a.store.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, pepperSecret, fresh) }); err != nil {
		return nil, fmt.Errorf("app: store pepper: %w", err)
	}
	if v, err = a.store.Secret(ctx, pepperSecret); err != nil {
		return nil, fmt.Errorf("app: read pepper: %w", err)
	}
	return v, nil
}

// hashIDNumber is the keyed hash under which a normalised ID number is
// kept. Without the pepper the hash cannot be brute-forced from the small
// space of valid ID numbers.
func (a *App) hashIDNumber(normalised string) []byte {
	m := hmac.New(sha256.New, a.idPepper)
	m.Write([]byte(normalised))
	return m.Sum(nil)
}

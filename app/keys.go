package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"ethicsportal/keys"
	"ethicsportal/store"
)

// JWKS returns the public keys that sign receipts, oldest first.
func (a *App) JWKS() []keys.JWK { return a.receiptKeys.JWKS() }

// proposeIssuer names the issuer of a store that has none kept yet: the
// configured public URL, or else a generated name, never the listen address,
// which may change. A store made before the issuer was kept (it has receipt
// keys already) keeps the URL it has signed with so far, so that what it
// signed stays valid.
func (a *App) proposeIssuer(ctx context.Context) (string, error) {
	if a.cfg.BaseURLGiven {
		return a.cfg.BaseURL, nil
	}
	existing, err := a.store.SigningKeys(ctx, store.KeyPurposeReceipt)
	if err != nil {
		return "", fmt.Errorf("app: receipt keys: %w", err)
	}
	if len(existing) > 0 {
		return a.cfg.BaseURL, nil
	}
	return keys.NewIssuerName()
}

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

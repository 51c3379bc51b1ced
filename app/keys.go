package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"ethicsportal/auth"
	"ethicsportal/keys"
)

// JWKS returns the public keys that sign receipts, oldest first.
func (a *App) JWKS() []keys.JWK { return a.receiptKeys.JWKS() }

// proposeIssuer names the issuer of a store that has none kept yet: the
// configured public URL, or else a generated name, never the listen address,
// which may change. A store made before the issuer was kept (hasKeys: it has
// receipt keys already) keeps the URL it has signed with so far, so that
// what it signed stays valid.
func (a *App) proposeIssuer(hasKeys bool) (string, error) {
	if a.cfg.BaseURLGiven || hasKeys {
		return a.cfg.BaseURL, nil
	}
	return keys.NewIssuerName()
}

const (
	// pepperSecret holds the pepper generated for a store created without
	// PORTAL_ID_PEPPER. A configured pepper is never written to the store:
	// keeping it out of the database is the point of configuring one.
	pepperSecret = "id_number_pepper"
	// pepperCheckSecret holds the fingerprint of the store's pepper,
	// whichever it is, so that a start with another one is refused.
	pepperCheckSecret = "id_number_pepper_check"
	// pepperCheckLabel is what the fingerprint is the HMAC of. It tells
	// nothing about the pepper beyond equality (a pepper is at least 32
	// characters, or 32 random bytes), and differs from every normalised
	// ID number, so it is never the hash of one.
	pepperCheckLabel = "ethicsportal id_number_pepper check v1"
)

// ErrPepperMismatch is New's error when PORTAL_ID_PEPPER is not the pepper
// the store's ID numbers are hashed with: set where the store generated its
// own, missing where the store was created with one, or another value.
// Started anyway, every ID-number check would miss: a banned person would
// come back eligible and a known ID number would make a second person.
var ErrPepperMismatch = errors.New("PORTAL_ID_PEPPER does not fit this store")

// loadPepper returns the key for hashing ID numbers, fixed when the store
// was created: PORTAL_ID_PEPPER if it was set then (never kept in the
// store), or else one generated then and kept in the store so that all
// instances agree. fresh says the store is being created by this start.
//
// The store keeps a fingerprint of its pepper, and every later start must
// bring the same one: an error wrapping ErrPepperMismatch, which names the
// variable but never a pepper, if PORTAL_ID_PEPPER is set on a store with a
// generated pepper that differs, missing on a store created with one, or
// another value. A store made before the fingerprint was kept gets it on
// its first start: its generated pepper if it has one, else the configured
// pepper it was always started with; with neither it is refused, as its
// ID numbers were hashed under a pepper this start does not have.
func (a *App) loadPepper(ctx context.Context, fresh bool) ([]byte, error) {
	configured := []byte(a.cfg.IDPepper)
	generated, err := a.optionalSecret(ctx, pepperSecret)
	if err != nil {
		return nil, err
	}
	check, err := a.optionalSecret(ctx, pepperCheckSecret)
	if err != nil {
		return nil, err
	}
	if check == nil {
		pepper := configured
		switch {
		case generated != nil && len(configured) == 0:
			pepper = generated
		case generated != nil && !hmac.Equal(configured, generated):
			return nil, pepperMismatch(pepperGenerated)
		case generated == nil && len(configured) == 0 && !fresh:
			return nil, pepperMismatch(pepperUnset)
		case generated == nil && len(configured) == 0:
			// Unless another instance creating the store kept one first.
			if generated, err = auth.LoadSecret(ctx, a.store, pepperSecret, 32); err != nil {
				return nil, err
			}
			pepper = generated
		}
		if check, err = keys.KeepSecret(ctx, a.store, pepperCheckSecret, pepperFingerprint(pepper)); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	pepper := configured
	if len(pepper) == 0 {
		pepper = generated
	}
	if pepper != nil && hmac.Equal(pepperFingerprint(pepper), check) {
		return pepper, nil
	}
	switch {
	case len(configured) == 0:
		return nil, pepperMismatch(pepperUnset)
	case generated != nil && hmac.Equal(pepperFingerprint(generated), check):
		return nil, pepperMismatch(pepperGenerated)
	default:
		return nil, pepperMismatch(pepperOther)
	}
}

// Why a PORTAL_ID_PEPPER does not fit a store, as ErrPepperMismatch tells it.
const (
	pepperUnset     = "it is not set, but this store was created with one; set PORTAL_ID_PEPPER to the value it was created with"
	pepperGenerated = "it is set, but this store hashes ID numbers with the pepper it generated when it was created; unset PORTAL_ID_PEPPER"
	pepperOther     = "it is not the value this store was created with; start with that value"
)

func pepperMismatch(why string) error { return fmt.Errorf("app: %w: %s", ErrPepperMismatch, why) }

// pepperFingerprint is what the store keeps to recognise its pepper.
func pepperFingerprint(pepper []byte) []byte {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(pepperCheckLabel))
	return m.Sum(nil)
}

// optionalSecret returns the named secret, or nil if the store has none.
func (a *App) optionalSecret(ctx context.Context, name string) ([]byte, error) {
	v, err := a.store.Secret(ctx, name)
	switch {
	case err == nil:
		return v, nil
	case errNotFound(err):
		return nil, nil
	}
	return nil, fmt.Errorf("app: read %s: %w", name, err)
}

// hashIDNumber is the keyed hash under which a normalised ID number is
// kept. Without the pepper the hash cannot be brute-forced from the small
// space of valid ID numbers.
func (a *App) hashIDNumber(normalised string) []byte {
	m := hmac.New(sha256.New, a.idPepper)
	m.Write([]byte(normalised))
	return m.Sum(nil)
}

package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ethicsportal/auth"
	"ethicsportal/keys"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

func tokenRing(t *testing.T, now func() time.Time) *keys.Ring {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ring, err := keys.Load(t.Context(), db, store.KeyPurposeToken, now)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ring := tokenRing(t, clock)
	tokens := auth.NewTokens(ring, "https://portal.example", 15*time.Minute, clock)

	s, issued, err := tokens.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokens.Parse(t.Context(), s)
	if err != nil {
		t.Fatalf("Parse of a fresh token: %v", err)
	}
	if got.ID != issued.ID || !got.ExpiresAt.Equal(issued.ExpiresAt) || got.Subject != "alice" || got.ID == "" || !got.ExpiresAt.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("claims %+v, issued %+v", got, issued)
	}

	kid, key := ring.Signer()
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://portal.example", "sub": "alice", "aud": auth.TokenAudience,
			"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "jti": "j1"}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	for name, tok := range map[string]string{
		"another issuer":     sign(jwt.SigningMethodEdDSA, key, with("iss", "https://elsewhere.example"), kid),
		"another audience":   sign(jwt.SigningMethodEdDSA, key, with("aud", "receipt"), kid),
		"expired":            sign(jwt.SigningMethodEdDSA, key, with("exp", now.Add(-time.Second).Unix()), kid),
		"no expiry":          sign(jwt.SigningMethodEdDSA, key, with("exp", nil), kid),
		"no id":              sign(jwt.SigningMethodEdDSA, key, with("jti", nil), kid),
		"no issue time":      sign(jwt.SigningMethodEdDSA, key, with("iat", nil), kid),
		"no subject":         sign(jwt.SigningMethodEdDSA, key, with("sub", nil), kid),
		"issued later":       sign(jwt.SigningMethodEdDSA, key, with("iat", now.Add(time.Hour).Unix()), kid),
		"unknown key":        sign(jwt.SigningMethodEdDSA, otherKey, good(), "not-a-kid"),
		"other key, our kid": sign(jwt.SigningMethodEdDSA, otherKey, good(), kid),
		"alg none":           sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good(), kid),
		"HS256":              sign(jwt.SigningMethodHS256, []byte("secret"), good(), kid),
		"tampered":           s[:len(s)-4] + strings.Repeat("A", 4),
		"junk":               "not a token",
	} {
		if _, err := tokens.Parse(t.Context(), tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: Parse = %v, want ErrInvalidToken", name, err)
		}
	}
	// The hand-made good token passes, so each refusal above is its one change.
	if _, err := tokens.Parse(t.Context(), sign(jwt.SigningMethodEdDSA, key, good(), kid)); err != nil {
		t.Fatalf("the hand-made good token: %v", err)
	}
}

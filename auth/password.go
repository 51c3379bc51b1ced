// Package auth holds the sign-in primitives of the portal: password hashing
// (argon2id), TOTP second factors, the password policy and the sign-in
// policy (rate limits and device cookies). It depends on store, never on
// app: the use cases in app compose these pieces.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"ethicsportal/store"
)

// Params are the argon2id cost parameters a Hasher makes new hashes with.
// Checking a hash always uses the parameters recorded in it, so the cost can
// be raised (or lowered, in tests) without invalidating stored hashes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
}

// DefaultParams returns the production cost: OWASP's second recommended
// set (19 MiB, 2 passes, one lane), which keeps a sign-in near 20 ms on a
// small server.
func DefaultParams() Params { return Params{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Limits on the parameters Check accepts from a stored hash: a hash that
// asks for more would stall the server on every sign-in.
const (
	maxMemory = 256 * 1024
	maxTime   = 16
	keyLen    = 32
	saltLen   = 16
)

// Password policy.
const (
	MinPasswordLength = 12   // characters
	MaxPasswordBytes  = 1024 // bytes, so that hashing a submitted password stays cheap
)

// Hasher makes and checks argon2id password hashes in PHC string form.
// The zero value is not usable; use NewHasher.
type Hasher struct{ p Params }

// NewHasher returns a Hasher making hashes with p. Parameters below
// argon2's minimum (one pass, one lane, 8 KiB per lane) are raised to it.
func NewHasher(p Params) *Hasher {
	p.Time = max(p.Time, 1)
	p.Threads = max(p.Threads, 1)
	p.Memory = max(p.Memory, 8*uint32(p.Threads))
	return &Hasher{p: p}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.p }

// Hash returns the argon2id hash of password in PHC string form
// ($argon2id$v=19$m=...,t=...,p=...$salt$key), with a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.p.Memory, h.p.Time, h.p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether password matches the PHC-encoded hash, using the
// parameters recorded in the hash, not the Hasher's. A malformed hash, or
// one whose parameters exceed sane limits, matches nothing.
func (h *Hasher) Check(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false
	}
	if mem > maxMemory || iter > maxTime || iter == 0 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CheckPasswordPolicy returns nil when password may be set: valid UTF-8, at
// least MinPasswordLength characters, at most MaxPasswordBytes bytes, and
// no control characters (NUL, C0, DEL, C1), which no keyboard types and
// which other systems truncate or strip. Everything else is allowed.
// Otherwise an EInvalid error naming the field "password".
func CheckPasswordPolicy(password string) error {
	if !utf8.ValidString(password) || utf8.RuneCountInString(password) < MinPasswordLength {
		return store.FieldError(store.EInvalid, "password", "a password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > MaxPasswordBytes {
		return store.FieldError(store.EInvalid, "password", "a password must be at most %d bytes", MaxPasswordBytes)
	}
	if strings.ContainsFunc(password, unicode.IsControl) {
		return store.FieldError(store.EInvalid, "password", "a password must not contain control characters")
	}
	return nil
}

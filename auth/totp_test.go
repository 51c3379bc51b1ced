package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTOTPMatchesRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 secret; the six-digit code is the last six digits.
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := TOTPCode(secret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.code {
			t.Errorf("at %d: code %s, %v; want %s", tc.unix, got, err, tc.code)
		}
		step, ok := MatchTOTP(secret, tc.code, time.Unix(tc.unix+totpPeriod, 0)) // one step of drift
		if !ok || step != tc.unix/totpPeriod {
			t.Errorf("at %d: match %v step %d", tc.unix, ok, step)
		}
		step, ok = MatchTOTP(secret, tc.code, time.Unix(tc.unix-totpPeriod, 0))
		if !ok || step != tc.unix/totpPeriod {
			t.Errorf("at %d, one step early: match %v step %d", tc.unix, ok, step)
		}
		if _, ok := MatchTOTP(secret, tc.code, time.Unix(tc.unix+3*totpPeriod, 0)); ok {
			t.Errorf("at %d: a code three steps old was accepted", tc.unix)
		}
	}
	for _, bad := range []string{"28708", "2870820", "", "abcdef"} {
		if _, ok := MatchTOTP(secret, bad, time.Unix(59, 0)); ok {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestNewTOTP(t *testing.T) {
	secret, uri, err := NewTOTP("EthicsPortal", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != totpSecretSize {
		t.Fatalf("secret of %d bytes, want %d", len(secret), totpSecretSize)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/EthicsPortal:alice?") {
		t.Fatalf("URI %q", uri)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("secret") != b32NoPad.EncodeToString(secret) || q.Get("issuer") != "EthicsPortal" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI parameters %v do not describe the secret", q)
	}
	now := time.Unix(1_800_000_000, 0)
	code, err := TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := MatchTOTP(secret, code, now); !ok {
		t.Fatal("the current code of a new secret does not match")
	}
	other, _, _ := NewTOTP("EthicsPortal", "alice")
	if string(other) == string(secret) {
		t.Fatal("two secrets are equal: not random")
	}
}

func TestTOTPURIMatchesNewTOTP(t *testing.T) {
	secret, uri, err := NewTOTP("EthicsPortal", "bob.x_1")
	if err != nil {
		t.Fatal(err)
	}
	if got := TOTPURI("EthicsPortal", "bob.x_1", secret); got != uri {
		t.Errorf("TOTPURI = %q\nNewTOTP gave %q", got, uri)
	}
}

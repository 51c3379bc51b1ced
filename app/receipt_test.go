package app

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// referenceReceipt is the receipt golang-jwt makes of the same claims with
// the same key: signReceipt builds its tokens by hand and must give these
// bytes exactly (Ed25519 signatures are deterministic), so that every
// verifier of the library's tokens accepts ours.
func referenceReceipt(t *testing.T, claims *ReceiptClaims, kid string, key ed25519.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	tok.Header["typ"] = "receipt+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("reference receipt: %v", err)
	}
	return s
}

func TestSignReceiptMatchesJWT(t *testing.T) {
	a := newBenchApp(t)
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	active := "active"
	for name, c := range map[string]ReceiptClaims{
		"hit":           {Check: checkQualification, CertificateNo: "20151100000000123", Name: "张伟华", Match: true, Status: &active, Eligible: true},
		"miss":          {Check: checkQualification, CertificateNo: "00000000000000000", Name: "李娜"},
		"eligibility":   {Check: checkEligibility, IDHash: "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA", Name: "王芳", Match: true, Eligible: true},
		"html and ctrl": {Check: checkQualification, CertificateNo: `A<1>&"\`, Name: "a\x00\b\f\n\r\t\x1f\x7f<script>&amp;"},
		"bad utf-8":     {Check: checkQualification, CertificateNo: "A1", Name: "\xff\xfe名\xe4\xb8"},
		"separators":    {Check: checkQualification, CertificateNo: "A1", Name: "a\u2028b\u2029c\u00e9\U0001F600"},
		"empty":         {},
	} {
		t.Run(name, func(t *testing.T) {
			c.CheckedAt = now.Format(time.RFC3339)
			got, err := a.signReceipt(&c, now)
			if err != nil {
				t.Fatalf("signReceipt: %v", err)
			}
			if c.ID == "" || c.Issuer != a.issuer || c.IssuedAt == nil || !c.IssuedAt.Equal(now) {
				t.Fatalf("signReceipt left the claims %+v, want a jti, the issuer and the issue time set", c)
			}
			kid, key := a.receiptKeys.Signer()
			if want := referenceReceipt(t, &c, kid, key); got != want {
				t.Errorf("signReceipt =\n%s\nwant golang-jwt's\n%s", got, want)
			}
		})
	}
}

// TestSignReceiptOtherClaims checks that claims the hand encoder does not
// write still reach the token, through encoding/json.
func TestSignReceiptOtherClaims(t *testing.T) {
	a := newBenchApp(t)
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	c := ReceiptClaims{Check: checkQualification, CertificateNo: "A1", Name: "x", CheckedAt: now.Format(time.RFC3339)}
	c.Subject, c.Audience, c.ExpiresAt = "s", jwt.ClaimStrings{"aud"}, jwt.NewNumericDate(now.Add(time.Hour))
	got, err := a.signReceipt(&c, now)
	if err != nil {
		t.Fatalf("signReceipt: %v", err)
	}
	kid, key := a.receiptKeys.Signer()
	if want := referenceReceipt(t, &c, kid, key); got != want {
		t.Errorf("signReceipt with sub, aud and exp =\n%s\nwant golang-jwt's\n%s", got, want)
	}
}

// TestVerifyReceiptChecks checks that a receipt made by Verify passes
// CheckReceipt, which parses it with golang-jwt.
func TestVerifyReceiptChecks(t *testing.T) {
	a := newBenchApp(t)
	v, err := a.Verify(t.Context(), "20151100000000123", "张伟华")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Match || v.Receipt == "" {
		t.Fatalf("Verify on an empty register = %+v, want a miss with a receipt", v)
	}
	rc, err := a.CheckReceipt(t.Context(), v.Receipt)
	if err != nil || !rc.Valid || rc.Changed || rc.Claims.Name != "张伟华" || rc.Claims.Match {
		t.Errorf("CheckReceipt = %+v, %v; want valid and unchanged", rc, err)
	}
	// One altered byte of the claims must break it.
	parts := strings.Split(v.Receipt, ".")
	alt := []byte(parts[1])
	alt[10] ^= 1
	if rc, err := a.CheckReceipt(t.Context(), parts[0]+"."+string(alt)+"."+parts[2]); err != nil || rc.Valid {
		t.Errorf("CheckReceipt of an altered receipt = %+v, %v; want not valid", rc, err)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "abc", "张伟华", `"\`, "<>&", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029",
		"\xff", "a\xe4\xb8", "\xed\xa0\x80", "\U0010FFFF", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
		if !utf8.Valid(appendJSONString([]byte("x"), s)) {
			t.Errorf("appendJSONString(%q) is not valid UTF-8", s)
		}
	})
}

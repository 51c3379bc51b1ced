package app

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

func TestRecoveryCodesAreRandomAndNormalised(t *testing.T) {
	codes, hashes, err := newRecoveryCodes("dora")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("code %q: want four groups of four, all different", c)
		}
		seen[c] = true
		for _, typed := range []string{c, strings.ToUpper(c), strings.ReplaceAll(c, "-", " "), strings.ReplaceAll(c, "-", "")} {
			n, ok := normaliseRecoveryCode(typed)
			if !ok || string(recoveryHash("dora", n)) != string(hashes[i]) {
				t.Errorf("%q as typed %q does not match its hash", c, typed)
			}
		}
		if n, _ := normaliseRecoveryCode(c); string(recoveryHash("erin", n)) == string(hashes[i]) {
			t.Error("a code's hash does not depend on the user")
		}
		if strings.Contains(string(hashes[i]), strings.ReplaceAll(c, "-", "")) {
			t.Error("the hash holds the code")
		}
	}
	for _, bad := range []string{"", "123456", "abcd-efgh-ijkl-mno", "abcd-efgh-ijkl-mnop-q", "abcd-efgh-ijkl-mn01", "abcd\x00efgh-ijkl-mnop"} {
		if _, ok := normaliseRecoveryCode(bad); ok {
			t.Errorf("%q taken for a recovery code", bad)
		}
	}
}

func TestEnrolmentTicket(t *testing.T) {
	now := time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)
	a := &App{idPepper: []byte("pepper-pepper-pepper-pepper-0001"), now: func() time.Time { return now }}
	bind := sha256.Sum256([]byte("cookie-a"))
	tk := ticket{username: "dora", secret: []byte("0123456789abcdefghij"), expires: now.Add(enrolmentTTL), state: make([]byte, 16), binding: bind[:]}
	s := a.sealTicket(tk)
	got, ok := a.openTicket(s, "cookie-a")
	if !ok || got.username != "dora" || string(got.secret) != string(tk.secret) || !got.expires.Equal(tk.expires) {
		t.Fatalf("open = %+v, %v", got, ok)
	}
	if _, ok := a.openTicket(s, "cookie-b"); ok {
		t.Error("a ticket opened with another browser's binding")
	}
	payload, mac, _ := strings.Cut(s, ".")
	for _, bad := range []string{"", "x", payload, payload + ".", "A" + s[1:], payload + "." + mac[:len(mac)-2] + "AA", s + "A"} {
		if _, ok := a.openTicket(bad, "cookie-a"); ok {
			t.Errorf("opened a tampered ticket %q", bad)
		}
	}
	other := &App{idPepper: []byte("another-pepper-another-pepper-01"), now: a.now}
	if _, ok := other.openTicket(s, "cookie-a"); ok {
		t.Error("a ticket opened under another key")
	}
	now = now.Add(enrolmentTTL)
	if _, ok := a.openTicket(s, "cookie-a"); ok {
		t.Error("an expired ticket opened")
	}
}

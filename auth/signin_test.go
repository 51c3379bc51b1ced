package auth

import (
	"strings"
	"testing"
	"time"

	"ethicsportal/ratelimit"
)

func TestDeviceCookieLetsItsOwnerPastALockedUsername(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := NewSignInPolicy(ratelimit.NewMemory(3, time.Minute, clock), []byte("0123456789abcdef0123456789abcdef"), clock)
	ctx := t.Context()
	cookie, err := p.IssueDevice("alice")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // strangers use up alice's allowance
		if res, err := p.AdmitUser(ctx, "alice", ""); err != nil || !res.Allowed {
			t.Fatalf("attempt %d refused early: %+v %v", i+1, res, err)
		}
	}
	if res, _ := p.AdmitUser(ctx, "alice", ""); res.Allowed {
		t.Fatal("a fourth attempt without a device cookie was let through")
	}
	if res, _ := p.AdmitUser(ctx, "alice", cookie); !res.Allowed {
		t.Fatal("the device cookie did not let its owner through")
	}
	// The cookie's own allowance is capped too.
	p.AdmitUser(ctx, "alice", cookie)
	p.AdmitUser(ctx, "alice", cookie)
	if res, _ := p.AdmitUser(ctx, "alice", cookie); res.Allowed {
		t.Fatal("a device cookie was not limited on its own")
	}
	// Cookies that do not count: another user's, tampered, foreign, expired.
	other, _ := p.IssueDevice("bob")
	foreign, _ := NewSignInPolicy(ratelimit.NewMemory(3, time.Minute, clock), []byte("another key, another portal....."), clock).IssueDevice("alice")
	fresh, _ := p.IssueDevice("alice")
	enc, sig, _ := strings.Cut(fresh, ".")
	tampered := enc + "." + strings.Repeat("A", len(sig))
	for name, c := range map[string]string{"bob's": other, "foreign": foreign, "tampered": tampered, "garbage": "x.y", "empty": ""} {
		if _, ok := p.deviceID("alice", c); ok {
			t.Errorf("the %s cookie was taken as alice's device", name)
		}
	}
	if _, ok := p.deviceID("alice", fresh); !ok {
		t.Fatal("a fresh cookie was refused")
	}
	now = now.Add(DeviceCookieTTL + time.Second)
	if _, ok := p.deviceID("alice", fresh); ok {
		t.Fatal("an expired cookie was accepted")
	}
}

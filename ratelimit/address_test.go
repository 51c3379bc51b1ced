package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestIPv6AllocationSharesOneLimit: rotating addresses inside one /64 does
// not reset the limit; another /64 has its own.
func TestIPv6AllocationSharesOneLimit(t *testing.T) {
	ck := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(3, time.Minute, ck.now)
	allowed := 0
	for i := range 10 {
		ip := fmt.Sprintf("2001:db8:1:2:%x::%x", i*4099, i+1)
		res, err := m.Allow(t.Context(), AddressKey(ip))
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("%d of 10 requests from one /64 allowed, want 3", allowed)
	}
	if res, _ := m.Allow(t.Context(), AddressKey("2001:db8:1:3::a")); !res.Allowed {
		t.Fatal("a client in another /64 was refused")
	}
}

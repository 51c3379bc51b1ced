package ratelimit

import "net/netip"

// ipv6Allocation is the prefix length that counts as one client for IPv6:
// a subscriber is normally given a whole /64 (often more), and can pick
// any address inside it, so a limit per address would reset as often as the
// client likes.
const ipv6Allocation = 64

// AddressKey returns the key that limits a client address: an IPv4
// address (also one written IPv4-mapped, ::ffff:a.b.c.d) as itself, an IPv6
// address as its /64 network ("2001:db8:1:2::/64"). Anything that does not
// parse is returned unchanged, so a caller's key stays as distinct as its
// input.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(ipv6Allocation)
	if err != nil {
		return ip
	}
	return p.String()
}

// Package webhook sends signed webhook events to the receivers schools
// register: it checks callback URLs, signs bodies, and delivers them over an
// HTTP client that connects only to public addresses, checked again at every
// connection (a name that resolves to a private address later is refused
// then), never follows a redirect and reads a bounded answer.
//
// The package knows nothing of the store or the app: app decides what to
// send, when, and what a result means for the watch.
package webhook

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// MaxURLLength is the longest callback URL accepted, in bytes.
const MaxURLLength = 2048

// URLError says why a callback URL is refused. Its message is fit to show
// to the client that sent the URL; it never repeats the URL.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return "callback_url " + e.Reason }

func refuse(reason string) error { return &URLError{Reason: reason} }

// ValidateURL checks a callback URL and returns it parsed. It must be
// https://, or http:// to a loopback address (an IP literal or localhost)
// when allowLoopback is set, for trials and tests. It must not carry user
// information or a fragment, must name a host (a public IP literal or a
// DNS name) and be at most MaxURLLength bytes. A name is not resolved
// here: the address it resolves to is checked at every connection.
func ValidateURL(raw string, allowLoopback bool) (*url.URL, error) {
	if raw == "" {
		return nil, refuse("is required")
	}
	if len(raw) > MaxURLLength {
		return nil, refuse("is longer than 2048 bytes")
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r > 0x7e {
			return nil, refuse("must be ASCII without spaces or control characters (percent-encode the rest)")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return nil, refuse("is not an absolute URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, refuse("must use https://")
	}
	if u.User != nil {
		return nil, refuse("must not carry a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, refuse("must not have a fragment")
	}
	host := u.Hostname()
	if host == "" {
		return nil, refuse("must name a host")
	}
	if p := u.Port(); p != "" {
		if n, ok := port(p); !ok || n == 0 {
			return nil, refuse("has a bad port")
		}
	}
	loopback, err := checkHost(host, allowLoopback)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" && !(allowLoopback && loopback) {
		if allowLoopback {
			return nil, refuse("must use https:// (http:// only to a loopback address)")
		}
		return nil, refuse("must use https://")
	}
	return u, nil
}

// checkHost checks a URL's host: an IP literal must be an address a
// delivery may connect to, a name must look like a DNS name. It reports
// whether the host is loopback (a loopback literal, or localhost).
func checkHost(host string, allowLoopback bool) (loopback bool, err error) {
	if strings.Contains(host, "%") {
		return false, refuse("must not name an IPv6 zone")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := CheckAddr(ip, allowLoopback); err != nil {
			return false, refuse("names " + err.Error())
		}
		return ip.Unmap().IsLoopback(), nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		if !allowLoopback {
			return false, refuse("names a loopback address")
		}
		return true, nil
	}
	if !validName(name) {
		return false, refuse("has a host that is neither an IP address nor a DNS name")
	}
	return false, nil
}

// validName accepts a DNS name of letters, digits and hyphens whose last
// label is not numeric: "2130706433" or "0x7f.1" is an address written in
// a form some resolvers read as one, and no real host name.
func validName(name string) bool {
	if len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.HasPrefix(last, "0x") {
		return false
	}
	return strings.Trim(last, "0123456789") != ""
}

func port(s string) (int, bool) {
	if len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= 65535
}

// blocked are the ranges a delivery never connects to, beyond what
// netip.Addr's own predicates catch (loopback, private, link-local,
// multicast, unspecified).
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"100.64.0.0/10",      // carrier-grade NAT (RFC 6598)
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // documentation
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // documentation
		"203.0.113.0/24",     // documentation
		"240.0.0.0/4",        // reserved, and the broadcast address
		"::/96",              // IPv4-compatible (deprecated)
		"64:ff9b::/96",       // NAT64: reaches any IPv4 address, private ones too
		"64:ff9b:1::/48",     // local-use NAT64
		"100::/64",           // discard
		"2001::/32",          // Teredo: embeds an IPv4 address
		"2001:db8::/32",      // documentation
		"2002::/16",          // 6to4: embeds an IPv4 address
		"fec0::/10",          // site-local (deprecated)
		"ff00::/8",           // multicast
		"224.0.0.0/4",        // multicast
		"169.254.0.0/16",     // link-local, cloud metadata services
		"fe80::/10",          // link-local
		"fc00::/7",           // unique local (ULA)
		"10.0.0.0/8",         // private
		"172.16.0.0/12",      // private
		"192.168.0.0/16",     // private
		"::ffff:0.0.0.0/96",  // IPv4-mapped; checked unmapped, listed for safety
		"::ffff:0:0:0/96",    // IPv4-translated (RFC 2765)
		"2001:20::/28",       // ORCHIDv2, not routable
		"2001:10::/28",       // ORCHID (deprecated)
		"3fff::/20",          // documentation (RFC 9637)
		"5f00::/16",          // segment routing SIDs
		"255.255.255.255/32", // limited broadcast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// AddrError says why an address may not be connected to.
type AddrError struct{ Kind string }

func (e *AddrError) Error() string { return "a " + e.Kind + " address" }

// CheckAddr reports whether a delivery may connect to ip: never to an
// unspecified, private, unique-local, link-local, multicast, CGNAT,
// documentation or otherwise reserved address, nor to one that embeds an
// IPv4 address (mapped, NAT64, 6to4, Teredo); to loopback only when
// allowLoopback is set. An IPv4-mapped address is judged as the IPv4
// address it maps.
func CheckAddr(ip netip.Addr, allowLoopback bool) error {
	if !ip.IsValid() {
		return &AddrError{Kind: "malformed"}
	}
	ip = ip.Unmap()
	switch {
	case ip.Zone() != "":
		return &AddrError{Kind: "zoned"}
	case ip.IsLoopback():
		if allowLoopback {
			return nil
		}
		return &AddrError{Kind: "loopback"}
	case ip.IsUnspecified():
		return &AddrError{Kind: "unspecified"}
	case ip.IsPrivate():
		return &AddrError{Kind: "private"}
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return &AddrError{Kind: "link-local"}
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return &AddrError{Kind: "multicast"}
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return &AddrError{Kind: "reserved"}
		}
	}
	return nil
}

// checkDialAddr is CheckAddr on the "host:port" a dialer is about to
// connect to.
func checkDialAddr(address string, allowLoopback bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &AddrError{Kind: "malformed"}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &AddrError{Kind: "malformed"}
	}
	return CheckAddr(ip, allowLoopback)
}

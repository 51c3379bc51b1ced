package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/ratelimit"
	"ethicsportal/store"
)

const (
	headerRequestID = "X-Request-ID"
	localRequestID  = "request_id"
	localClientIP   = "client_ip"
	localPrincipal  = "principal"
	localObserved   = "observed" // set by observe, which logs and counts the request
)

// requestIDs accepts an incoming X-Request-ID when it is a sane token (so
// a proxy's id follows the request through our logs) and mints one
// otherwise.
func requestIDs(c *fiber.Ctx) error {
	assignRequestID(c)
	return c.Next()
}

// assignRequestID gives the request its id. The error handler calls it too,
// for errors the server raises before any middleware runs (a body over the
// server's limit, headers too large).
func assignRequestID(c *fiber.Ctx) string {
	if id := requestID(c); id != "" {
		return id
	}
	id := c.Get(headerRequestID)
	if !validRequestID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	} else {
		id = strings.Clone(id) // kept in Locals and logs past the handler
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == ':') {
			return false
		}
	}
	return true
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// withDeadline gives the request a context that ends after d. Handlers
// pass c.UserContext() to the app, so every store call made for the
// request ends with it: a stuck query cannot hold a connection, or a
// transaction's locks, for longer than the client waits.
func withDeadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// contentSecurityPolicy allows no inline script or style and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	s.setSecurityHeaders(c)
	c.Locals(localHTTPS, s.https || c.Context().IsTLS() || s.forwardedHTTPS(c))
	return c.Next()
}

// forwardedHTTPS reports an X-Forwarded-Proto of https sent by a trusted
// proxy (PORTAL_TRUSTED_PROXIES); from anyone else the header is ignored.
func (s *Server) forwardedHTTPS(c *fiber.Ctx) bool {
	if !strings.EqualFold(strings.TrimSpace(c.Get(fiber.HeaderXForwardedProto)), "https") {
		return false
	}
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	return ok && s.trusted(peer.Unmap())
}

// localHTTPS marks a request whose cookies must be Secure: the portal is
// served over TLS (its base URL is https, behind a proxy that ends TLS),
// this connection is TLS itself, or a trusted proxy says the client's
// was. A client's own X-Forwarded-Proto is not believed.
const localHTTPS = "https"

// secureCookies reports whether cookies set on this request get Secure.
func secureCookies(c *fiber.Ctx) bool {
	on, _ := c.Locals(localHTTPS).(bool)
	return on
}

func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.https {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// noStore marks responses that carry personal data or credentials so that
// no shared or browser cache keeps them.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// validUTF8 rejects a request whose path or query is not UTF-8 once
// percent-decoded. Bodies are checked where they are decoded.
func validUTF8(c *fiber.Ctx) error {
	if !utf8.Valid(c.Request().URI().Path()) {
		return store.Errorf(store.EInvalidUTF8, "the request path is not valid UTF-8")
	}
	bad := ""
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if bad == "" && (!utf8.Valid(k) || !utf8.Valid(v)) {
			bad = string(k)
			if !utf8.Valid(k) {
				bad = "query"
			}
		}
	})
	if bad != "" {
		return store.FieldError(store.EInvalidUTF8, bad, "the query parameter %q is not valid UTF-8", bad)
	}
	return c.Next()
}

// clientIPs records the client's address. X-Forwarded-For is believed only
// when the peer is a trusted proxy, and then read from the right, skipping
// trusted hops, so that a client cannot choose its own address by sending
// the header itself.
func (s *Server) clientIPs(c *fiber.Ctx) error {
	c.Locals(localClientIP, s.clientIP(c))
	return c.Next()
}

func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !ok || !s.trusted(peer) {
		return peer.String()
	}
	// Repeated header lines are one comma-separated list (RFC 9110 §5.3):
	// a client behind the proxy that adds a line of its own must not have
	// it read ahead of the one the proxy appended.
	var hops []string
	for _, line := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue // "a, , b": an empty element is no hop
		}
		a, err := forwardedAddr(hop)
		if err != nil {
			// Not an address: the hop cannot be known, so the last
			// trusted one stands for the client (stricter, never a choice
			// the client makes).
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

// forwardedAddr reads one X-Forwarded-For element: an address, or an
// address with a port as some proxies write it (1.2.3.4:5678,
// [2001:db8::1]:443).
func forwardedAddr(hop string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(hop); err == nil {
		return a, nil
	}
	ap, err := netip.ParseAddrPort(hop)
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr(), nil
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.app.Config().TrustedProxy {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientIP(c *fiber.Ctx) string {
	ip, _ := c.Locals(localClientIP).(string)
	return ip
}

// singleQuery returns the query parameter name, "" when absent. A
// parameter given more than once is refused (EInvalid naming it) rather
// than read as its first or last value, so that no two parts of a chain
// of proxies and handlers can disagree on what was asked.
func singleQuery(c *fiber.Ctx, name string) (string, error) {
	switch vs := c.Context().QueryArgs().PeekMulti(name); len(vs) {
	case 0:
		return "", nil
	case 1:
		return string(vs[0]), nil
	default:
		return "", store.FieldError(store.EInvalid, name, "give %s once", name)
	}
}

// pathParam returns the path parameter name, unescaped, as a string of its
// own; what names it in the EInvalid error for a bad escape. The copy
// matters: c.Params points into a buffer Fiber reuses after the handler,
// and url.PathUnescape hands back its argument when it has nothing to
// unescape.
func pathParam(c *fiber.Ctx, name, what string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", store.FieldError(store.EInvalid, name, "the %s in the path is not well encoded", what)
	}
	return strings.Clone(v), nil
}

// rateLimit limits requests per client IP with l.
func rateLimit(name string, l ratelimit.Limiter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		res, err := l.Allow(c.UserContext(), name+":"+ratelimit.AddressKey(clientIP(c)))
		if err != nil {
			return err
		}
		if !res.Allowed {
			return &app.LimitedError{Result: res} // the error handler sets Retry-After
		}
		setRateHeaders(c, res)
		return c.Next()
	}
}

func setRateHeaders(c *fiber.Ctx, r ratelimit.Result) {
	c.Set("RateLimit-Limit", strconv.Itoa(r.Limit))
	c.Set("RateLimit-Remaining", strconv.Itoa(r.Remaining))
	c.Set("RateLimit-Reset", strconv.Itoa(secondsCeil(r.ResetAfter)))
}

func secondsCeil(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// limitBody refuses bodies over n bytes with 413.
func limitBody(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > n || c.Request().Header.ContentLength() > n {
			return store.Errorf(store.ETooLarge, "the request body is over the limit of %d bytes", n)
		}
		return c.Next()
	}
}

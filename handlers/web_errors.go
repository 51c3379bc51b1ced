package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// errorView is the error page's data.
type errorView struct {
	Status     int
	Code       string
	RequestID  string
	RetryAfter string // seconds, on a 429
	Detail     string // what the visitor can act on, in the page's language; may be empty
}

// wantsPage reports whether an error should be answered with an HTML page:
// always on a page route, and for a browser's request (Accept: text/html)
// for an address that is none of the portal's machine interfaces.
func wantsPage(c *fiber.Ctx) bool {
	if on, _ := c.Locals(localPage).(bool); on {
		return true
	}
	p := c.Path()
	for _, prefix := range []string{"/api/", "/.well-known/", "/static/", "/metrics", "/healthz", "/readyz", "/feed.atom"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	// Whatever the method: a form's POST refused before routing (a body over
	// the limit, a compressed body, a header too large) is shown by the
	// browser that sent it.
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// errorPage answers p as an HTML page for people. Headers set for the
// problem (Retry-After, rate limits, no-store) stay.
func (s *Server) errorPage(c *fiber.Ctx, p Problem) error {
	ev := errorView{Status: p.Status, Code: p.Code, RequestID: p.RequestID, RetryAfter: string(c.Response().Header.Peek(fiber.HeaderRetryAfter))}
	ev.Detail = s.pageDetail(c, p)
	titleKey := "error.title"
	switch p.Status {
	case fiber.StatusNotFound, fiber.StatusGone, fiber.StatusTooManyRequests, fiber.StatusForbidden,
		fiber.StatusBadRequest, fiber.StatusServiceUnavailable, fiber.StatusInternalServerError:
		titleKey = "error." + itoa(p.Status) + ".title"
	}
	c.Response().Header.Del(fiber.HeaderWWWAuthenticate)
	return s.render(c, p.Status, "error", titleKey, ev)
}

// pageDetail is the problem's detail in the page's language, for the
// statuses where the detail tells the visitor what to change (400, 403,
// 404 of an unknown object); otherwise the page's own text says enough.
func (s *Server) pageDetail(c *fiber.Ctx, p Problem) string {
	if p.Status >= 500 || p.Status == fiber.StatusTooManyRequests {
		return ""
	}
	return s.problemDetail(pageLang(c), p)
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

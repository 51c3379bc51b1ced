package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/store"
)

// The console keeps the admin token in a cookie that no script can read
// (HttpOnly), that no other site's request carries (SameSite=Strict), and
// that travels only over TLS when the portal is served over it. Every form
// carries an anti-forgery token besides: app.FormToken of the session, or,
// before signing in, a random value that must equal a cookie of its own
// (so that no other site can sign a browser in under its account). The JSON
// API keeps bearer tokens and never reads these cookies.
const (
	sessionCookieName = "portal_session"
	formCookieName    = "portal_form"
	consolePath       = "/admin"
	formField         = "_csrf"
)

// consoleSession admits a request that carries a valid session cookie and
// records its principal; any other is sent to the sign-in page, which
// brings it back afterwards.
func (s *Server) consoleSession(c *fiber.Ctx) error {
	tok := c.Cookies(sessionCookieName)
	if tok != "" {
		p, err := s.app.Authenticate(c.UserContext(), tok)
		if err == nil {
			c.Locals(localPrincipal, p)
			c.Set(fiber.HeaderCacheControl, "no-store")
			// A person at work keeps their session: past half its life the
			// token is replaced (up to app.MaxSession after signing in).
			if fresh, err := s.app.RenewToken(c.UserContext(), p); err != nil {
				// The request goes on with the token it came with; the
				// next one tries again.
				s.log.Warn("session not renewed", "err", err)
			} else if fresh != nil {
				s.startSession(c, fresh)
			}
			return c.Next()
		}
		if !store.IsCode(err, store.EUnauthorized) {
			return err
		}
		s.clearSession(c)
	}
	next := c.OriginalURL()
	if c.Method() != fiber.MethodGet {
		// What a form sent cannot be kept across signing in (and the pages
		// send no Referer to return to); the sign-in page's notice says so.
		next = consolePath
	}
	loc := consolePath + "/login?next=" + url.QueryEscape(safeNext(next))
	if tok != "" {
		loc += "&ended=1"
	}
	return c.Redirect(loc, fiber.StatusSeeOther)
}

// consoleForms refuses a console POST whose form token is not the session's.
func (s *Server) consoleForms(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	p := principal(c)
	if p == nil || !s.app.CheckFormToken(p.Session, s.postedFormToken(c)) {
		return store.Errorf(store.EForbidden, "the form has expired or did not come from this site; go back, reload the page and try again")
	}
	return c.Next()
}

// csrfToken is the form token of p's session.
func (s *Server) csrfToken(_ *fiber.Ctx, p *app.Principal) string { return s.app.FormToken(p.Session) }

// preSessionCSRF is the sign-in form's token: the value of a cookie of its
// own, set here when the browser has none yet. The value is a random nonce
// and the portal's MAC of it, so that a made-up value is refused (one
// fetched from the portal and planted by someone able to set this site's
// cookies still passes: that needs a sibling host or plain HTTP before
// HSTS, and buys only a sign-in under the planter's own account).
func (s *Server) preSessionCSRF(c *fiber.Ctx) string {
	if v := c.Cookies(formCookieName); s.validPreSession(v) {
		return utilsCopy(v)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	v := nonce + "." + s.app.FormToken(preSessionLabel+nonce)
	c.Cookie(&fiber.Cookie{Name: formCookieName, Value: v, Path: consolePath, HTTPOnly: true,
		Secure: secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode})
	c.Request().Header.SetCookie(formCookieName, v) // for a later read in this request
	return v
}

const preSessionLabel = "pre-session\x00"

// validPreSession reports whether v is a pre-session value this portal made.
func (s *Server) validPreSession(v string) bool {
	nonce, mac, ok := strings.Cut(v, ".")
	return ok && len(nonce) == 22 && s.app.CheckFormToken(preSessionLabel+nonce, mac)
}

// checkPreSessionCSRF reports whether a sign-in form's token is the
// portal's own pre-session value and matches the browser's cookie.
func (s *Server) checkPreSessionCSRF(c *fiber.Ctx) bool {
	ck, field := c.Cookies(formCookieName), postedField(c, formField)
	return s.validPreSession(ck) && subtle.ConstantTimeCompare([]byte(ck), []byte(field)) == 1
}

// postedField is a field of a urlencoded form body, never of the query
// string: a form token in an address would end up in logs and histories.
func postedField(c *fiber.Ctx, name string) string {
	return string(c.Request().PostArgs().Peek(name))
}

// startSession sets the session cookie for tok and the device cookie that
// lets this browser past the per-username sign-in limit next time.
func (s *Server) startSession(c *fiber.Ctx, tok *app.Token) {
	secure := secureCookies(c)
	c.Cookie(&fiber.Cookie{Name: sessionCookieName, Value: tok.AccessToken, Path: consolePath,
		MaxAge: tok.ExpiresIn, HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode})
	if tok.DeviceCookie != "" {
		c.Cookie(&fiber.Cookie{Name: auth.DeviceCookieName, Value: tok.DeviceCookie, Path: consolePath + "/login",
			MaxAge: int(auth.DeviceCookieTTL / time.Second), HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode})
	}
}

// clearSession removes the session cookie.
func (s *Server) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookieName, Value: "", Path: consolePath, MaxAge: -1,
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode})
}

// formValue is a form field, copied out of Fiber's buffers.
func formValue(c *fiber.Ctx, name string) string { return utilsCopy(c.FormValue(name)) }

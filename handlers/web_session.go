package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
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
			return c.Next()
		}
		if !store.IsCode(err, store.EUnauthorized) {
			return err
		}
		s.clearSession(c)
	}
	next := c.OriginalURL()
	if c.Method() != fiber.MethodGet {
		next = consolePath
	}
	return c.Redirect(consolePath+"/login?next="+url.QueryEscape(safeNext(next)), fiber.StatusSeeOther)
}

// consoleForms refuses a console POST whose form token is not the session's.
func (s *Server) consoleForms(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	p := principal(c)
	if p == nil || !s.app.CheckFormToken(p.TokenID, s.postedFormToken(c)) {
		return store.Errorf(store.EForbidden, "the form has expired or did not come from this site; go back, reload the page and try again")
	}
	return c.Next()
}

// csrfToken is the form token of p's session.
func (s *Server) csrfToken(_ *fiber.Ctx, p *app.Principal) string { return s.app.FormToken(p.TokenID) }

// preSessionCSRF is the sign-in form's token: the value of a cookie of its
// own, set here when the browser has none yet.
func preSessionCSRF(c *fiber.Ctx) string {
	if v := c.Cookies(formCookieName); len(v) == 43 {
		return v
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: formCookieName, Value: v, Path: consolePath, HTTPOnly: true,
		Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
	c.Request().Header.SetCookie(formCookieName, v) // for a later read in this request
	return v
}

// checkPreSessionCSRF reports whether a sign-in form's token matches its cookie.
func checkPreSessionCSRF(c *fiber.Ctx) bool {
	ck, field := c.Cookies(formCookieName), formValue(c, formField)
	return len(ck) == 43 && subtle.ConstantTimeCompare([]byte(ck), []byte(field)) == 1
}

// startSession sets the session cookie for tok and the device cookie that
// lets this browser past the per-username sign-in limit next time.
func (s *Server) startSession(c *fiber.Ctx, tok *app.Token) {
	secure := s.https || c.Protocol() == "https"
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
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: s.https || c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
}

// formValue is a form field, copied out of Fiber's buffers.
func formValue(c *fiber.Ctx, name string) string { return utilsCopy(c.FormValue(name)) }

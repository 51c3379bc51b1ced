package handlers

import (
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/store"
)

// Signing in to the console: a password and a TOTP code (or a recovery
// code); a user with no confirmed second factor yet enrols one on the way
// (app.SignIn, app.ConfirmEnrolment). Everything before the session exists
// is checked against the pre-session form token, and the enrolment's
// ticket is bound to that same cookie, so that it is good in this browser
// only.

// signInForm is the sign-in page's data.
type signInForm struct {
	Username string
	Next     string
	Failed   bool // the one message for every failure, as the API gives
	Expired  bool // an enrolment that can no longer be completed
	Ended    bool // the browser's session had ended (expired, or signed out elsewhere)
}

// enrolForm is the enrolment page's data.
type enrolForm struct {
	Username string
	QR       template.HTML
	Secret   string // grouped in fours, for typing
	Ticket   string
	Next     string
	Errors   []fieldError
}

// codesPage shows recovery codes once.
type codesPage struct {
	Codes []string
	Next  string
	New   bool // regenerated (rather than at enrolment)
}

// recoveryUsed tells a user who signed in with a recovery code how many remain.
type recoveryUsed struct {
	Left int
	Next string
}

func (s *Server) consoleLoginPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "login", "login.title", signInForm{Next: safeNext(c.Query("next")), Ended: c.Query("ended") == "1"})
}

var errFormExpired = store.Errorf(store.EForbidden, "the form has expired or did not come from this site; go back, reload the page and try again")

func (s *Server) consoleLogin(c *fiber.Ctx) error {
	form := signInForm{Username: formValue(c, "username"), Next: safeNext(formValue(c, "next"))}
	if !s.checkPreSessionCSRF(c) {
		return errFormExpired
	}
	res, err := s.app.SignIn(c.UserContext(), app.LoginRequest{Username: form.Username, Password: formValue(c, "password"),
		Code: formValue(c, "totp"), IP: clientIP(c), DeviceCookie: c.Cookies(auth.DeviceCookieName)}, formBinding(c))
	if store.IsCode(err, store.EUnauthorized) {
		form.Failed = true
		return s.render(c, fiber.StatusUnauthorized, "login", "login.title", form)
	}
	if err != nil {
		return err
	}
	if res.Enrolment != nil {
		return s.renderEnrol(c, fiber.StatusOK, res.Enrolment, form.Next, nil)
	}
	s.startSession(c, res.Token)
	if res.RecoveryCodeUsed {
		return s.render(c, fiber.StatusOK, "enrol_recovery_used", "enrol.used.title", recoveryUsed{Left: res.RecoveryCodesLeft, Next: form.Next})
	}
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// formBinding is what an enrolment ticket is bound to: the browser's
// pre-session form cookie (checked equal to the form's token before use).
func formBinding(c *fiber.Ctx) string { return utilsCopy(c.Cookies(formCookieName)) }

func (s *Server) renderEnrol(c *fiber.Ctx, status int, e *app.Enrolment, next string, errs []fieldError) error {
	lang := pageLang(c)
	qr, err := qrSVG(e.URI, s.site.catalog.text(lang, uiKey("enrol.qr.label")))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, status, "enrol", "enrol.title", enrolForm{Username: e.Username, QR: qr, Secret: groups(e.Secret, 4),
		Ticket: e.Ticket, Next: next, Errors: errs})
}

// groups splits s into space-separated groups of n characters.
func groups(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// consoleEnrol confirms an enrolment with the first code of the new secret.
func (s *Server) consoleEnrol(c *fiber.Ctx) error {
	next := safeNext(formValue(c, "next"))
	if !s.checkPreSessionCSRF(c) {
		return errFormExpired
	}
	ticket := formValue(c, "ticket")
	done, err := s.app.ConfirmEnrolment(c.UserContext(), app.EnrolRequest{Ticket: ticket, Code: formValue(c, "code"),
		IP: clientIP(c), DeviceCookie: c.Cookies(auth.DeviceCookieName), Binding: formBinding(c)})
	switch {
	case store.IsCode(err, store.EInvalid):
		e, ok := s.app.EnrolmentOf(ticket, formBinding(c))
		if !ok {
			return s.render(c, fiber.StatusUnauthorized, "login", "login.title", signInForm{Next: next, Expired: true})
		}
		msg := s.site.catalog.text(pageLang(c), uiKey("enrol.code.wrong"))
		return s.renderEnrol(c, fiber.StatusUnprocessableEntity, e, next, []fieldError{{Field: "code", Message: msg}})
	case store.IsCode(err, store.EUnauthorized):
		return s.render(c, fiber.StatusUnauthorized, "login", "login.title", signInForm{Next: next, Expired: true})
	case err != nil:
		return err
	}
	s.startSession(c, done.Token)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "enrol_codes", "enrol.codes.title", codesPage{Codes: done.RecoveryCodes, Next: next})
}

// consoleRecoveryCodes gives the signed-in user new recovery codes, shown
// once; the old ones stop working.
func (s *Server) consoleRecoveryCodes(c *fiber.Ctx) error {
	codes, err := s.app.RegenerateRecoveryCodes(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "enrol_codes", "enrol.codes.title", codesPage{Codes: codes, Next: consolePath, New: true})
}

func (s *Server) consoleLogout(c *fiber.Ctx) error {
	if err := s.app.Logout(c.UserContext(), principal(c)); err != nil {
		return err
	}
	s.clearSession(c)
	return c.Redirect(consolePath+"/login", fiber.StatusSeeOther)
}

// consoleHomeData is the console home's data: the signed-in user's own
// second factor, and the counts of the cards their roles open.
type consoleHomeData struct {
	Factor         *app.SecondFactor
	PendingForYou  int  // pending actions this reviewer may decide (not their own proposals)
	PendingMore    bool // more pending actions than were counted
	PendingYours   int  // pending actions this user proposed
	Users, Clients int
}

// consoleHome is the console's first page: who is signed in, and the parts
// of the console their roles open, with counts where they are cheap.
func (s *Server) consoleHome(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	var d consoleHomeData
	var err error
	if d.Factor, err = s.app.SecondFactorOf(ctx, p.Username); err != nil {
		return err
	}
	acts, total, err := s.app.Actions(ctx, store.ActionPending, app.Page{Number: 1, PerPage: app.MaxPerPage})
	if err != nil {
		return err
	}
	for _, a := range acts {
		if a.ProposedBy == p.Username {
			d.PendingYours++
		} else {
			d.PendingForYou++
		}
	}
	d.PendingMore = total > len(acts)
	if p.HasRole(store.RoleAdmin) {
		us, err := s.app.Users(ctx)
		if err != nil {
			return err
		}
		cs, err := s.app.ListClients(ctx)
		if err != nil {
			return err
		}
		d.Users, d.Clients = len(us), len(cs)
	}
	return s.render(c, fiber.StatusOK, "console", "console.title", d)
}

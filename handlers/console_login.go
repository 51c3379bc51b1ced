package handlers

import (
	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/store"
)

// signInForm is the sign-in page's data.
type signInForm struct {
	Username string
	Next     string
	Failed   bool // the one message for every failure, as the API gives
}

func (s *Server) consoleLoginPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "login", "login.title", signInForm{Next: safeNext(c.Query("next"))})
}

func (s *Server) consoleLogin(c *fiber.Ctx) error {
	form := signInForm{Username: formValue(c, "username"), Next: safeNext(formValue(c, "next"))}
	if !checkPreSessionCSRF(c) {
		return store.Errorf(store.EForbidden, "the form has expired or did not come from this site; go back, reload the page and try again")
	}
	tok, err := s.app.Login(c.UserContext(), app.LoginRequest{Username: form.Username, Password: formValue(c, "password"),
		Code: formValue(c, "totp"), IP: clientIP(c), DeviceCookie: c.Cookies(auth.DeviceCookieName)})
	if store.IsCode(err, store.EUnauthorized) {
		form.Failed = true
		return s.render(c, fiber.StatusUnauthorized, "login", "login.title", form)
	}
	if err != nil {
		return err
	}
	s.startSession(c, tok)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

func (s *Server) consoleLogout(c *fiber.Ctx) error {
	if err := s.app.Logout(c.UserContext(), principal(c)); err != nil {
		return err
	}
	s.clearSession(c)
	return c.Redirect(consolePath+"/login", fiber.StatusSeeOther)
}

// consoleHome is the console's first page: who is signed in, and the parts
// of the console their roles open.
func (s *Server) consoleHome(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "console", "console.title", nil)
}

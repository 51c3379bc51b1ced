package handlers

import (
	"errors"
	"html/template"
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's user administration (role admin): the same app calls as
// the JSON API (users.go), which audit every change.

// roleChoice is one role's checkbox.
type roleChoice struct {
	Role    string
	Checked bool
}

func roleChoices(checked []string) []roleChoice {
	out := make([]roleChoice, len(store.Roles))
	for i, r := range store.Roles {
		out[i] = roleChoice{Role: r, Checked: slices.Contains(checked, r)}
	}
	return out
}

// usersData is the users page: the list and the form to add one.
type usersData struct {
	Users    []app.UserView
	Username string // the add form's entered values
	Roles    []roleChoice
	Errors   []fieldError
	TOTP     bool // PORTAL_REQUIRE_TOTP
}

// userData is one user's page: what they are, and the forms that change them.
type userData struct {
	User   app.UserView
	Roles  []roleChoice
	Done   string // the catalogue key of what the last change did
	Errors []fieldError
	TOTP   bool
	Self   bool // the signed-in admin's own account
}

// userSecretData shows a new user's or a reset user's enrolment URI once.
type userSecretData struct {
	Username string
	Added    bool // a new user (else a reset second factor)
	URI      string
	QR       template.HTML
}

// formValues is every value of a repeated form field, copied.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v)) // string() copies
	}
	return out
}

// userFormErrors is fieldErrors with the user forms' own messages, in the
// page's language, for the faults a person can mend.
func (s *Server) userFormErrors(c *fiber.Ctx, err error, ids map[string]string) []fieldError {
	lang := pageLang(c)
	var e *store.Error
	if !errors.As(err, &e) {
		return nil
	}
	id := func(field string) string {
		if v, ok := ids[field]; ok {
			return v
		}
		return field
	}
	key := ""
	switch {
	case e.Code == store.ELastAdmin:
		return []fieldError{{Field: id("last_admin"), Message: s.site.catalog.text(lang, uiKey("users.error.last_admin"))}}
	case e.Field == "username" && e.Code == store.EConflict:
		key = uiKey("users.error.taken")
	case e.Field == "username":
		key = uiKey("users.error.username")
	case e.Field == "password":
		key = uiKey("users.error.password")
	case e.Field == "roles":
		key = uiKey("users.error.roles")
	}
	if key != "" {
		msg := s.site.catalog.text(lang, key)
		if e.Field == "password" {
			msg = s.site.catalog.text(lang, key, app.MinPasswordLength)
		}
		return []fieldError{{Field: id(e.Field), Message: msg}}
	}
	return s.fieldErrors(lang, err, ids)
}

func (s *Server) consoleUsers(c *fiber.Ctx) error {
	return s.renderUsers(c, fiber.StatusOK, usersData{Roles: roleChoices(nil)})
}

func (s *Server) renderUsers(c *fiber.Ctx, status int, d usersData) error {
	us, err := s.app.Users(c.UserContext())
	if err != nil {
		return err
	}
	d.Users, d.TOTP = us, s.app.Config().RequireTOTP
	return s.render(c, status, "users", "users.title", d)
}

var userFieldIDs = map[string]string{"username": "username", "password": "password", "roles": "role-" + store.Roles[0]}

func (s *Server) consoleAddUser(c *fiber.Ctx) error {
	username, roles := formValue(c, "username"), formValues(c, "roles")
	added, err := s.app.AddUser(c.UserContext(), principal(c).Username, app.NewUser{Username: username, Password: formValue(c, "password"), Roles: roles})
	if err != nil {
		errs := s.userFormErrors(c, err, userFieldIDs)
		if errs == nil {
			return err
		}
		return s.renderUsers(c, formStatus(err), usersData{Username: username, Roles: roleChoices(roles), Errors: errs})
	}
	if added.TOTPURI != "" {
		return s.renderUserSecret(c, added.Username, true, added.TOTPURI)
	}
	return c.Redirect(consolePath+"/users/"+url.PathEscape(added.Username)+"?done=added", fiber.StatusSeeOther)
}

func (s *Server) renderUserSecret(c *fiber.Ctx, username string, added bool, uri string) error {
	qr, err := qrSVG(uri, s.site.catalog.text(pageLang(c), uiKey("enrol.qr.label")))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "users_secret", "users.secret.title", userSecretData{Username: username, Added: added, URI: uri, QR: qr})
}

// findUser is the named user's view; ENotFound when there is none.
func (s *Server) findUser(c *fiber.Ctx) (*app.UserView, error) {
	name, err := pathParam(c, "username", "username")
	if err != nil {
		return nil, err
	}
	us, err := s.app.Users(c.UserContext())
	if err != nil {
		return nil, err
	}
	for i := range us {
		if us[i].Username == name {
			return &us[i], nil
		}
	}
	return nil, store.Errorf(store.ENotFound, "no user %q", printableParam(name))
}

// printableParam keeps a path parameter short for a message.
func printableParam(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// userDone maps ?done= to what the user page says was done.
var userDone = map[string]string{
	"added":    uiKey("users.done.added"),
	"roles":    uiKey("users.done.roles"),
	"disable":  uiKey("users.done.disable"),
	"enable":   uiKey("users.done.enable"),
	"password": uiKey("users.done.password"),
	"totp":     uiKey("users.done.totp"),
}

func (s *Server) consoleUser(c *fiber.Ctx) error {
	u, err := s.findUser(c)
	if err != nil {
		return err
	}
	return s.renderUser(c, fiber.StatusOK, userData{User: *u, Roles: roleChoices(u.Roles), Done: userDone[c.Query("done")]})
}

func (s *Server) renderUser(c *fiber.Ctx, status int, d userData) error {
	d.TOTP = s.app.Config().RequireTOTP
	d.Self = d.User.Username == principal(c).Username
	return s.render(c, status, "users_user", "users.user.title", d)
}

// consoleChangeUser applies one of the user page's forms, named by op.
func (s *Server) consoleChangeUser(c *fiber.Ctx) error {
	u, err := s.findUser(c)
	if err != nil {
		return err
	}
	op := formValue(c, "op")
	var (
		p     app.UserPatch
		ids   map[string]string
		roles = u.Roles
	)
	switch op {
	case "roles":
		roles = formValues(c, "roles")
		p.Roles = roles
		if p.Roles == nil {
			p.Roles = []string{} // none ticked: the app says at least one is needed
		}
		ids = map[string]string{"roles": "role-" + store.Roles[0], "last_admin": "role-" + store.Roles[0]}
	case "disable", "enable":
		v := op == "disable"
		p.Disabled = &v
		ids = map[string]string{"last_admin": "disable"}
	case "password":
		pw := formValue(c, "password")
		p.Password = &pw
		ids = map[string]string{"password": "new-password"}
	case "totp":
		p.ResetTOTP = true
	default:
		return store.FieldError(store.EInvalid, "op", "unknown change %q", printableParam(op))
	}
	v, err := s.app.UpdateUser(c.UserContext(), principal(c).Username, u.Username, p)
	if err != nil {
		errs := s.userFormErrors(c, err, ids)
		if errs == nil {
			return err
		}
		return s.renderUser(c, formStatus(err), userData{User: *u, Roles: roleChoices(roles), Errors: errs})
	}
	if v.TOTPURI != "" {
		return s.renderUserSecret(c, v.Username, false, v.TOTPURI)
	}
	return c.Redirect(consolePath+"/users/"+url.PathEscape(v.Username)+"?done="+op, fiber.StatusSeeOther)
}

// formStatus is the status of a form shown again with err: 409 for a
// conflict with the state of things, 422 for input to mend.
func formStatus(err error) int {
	if store.IsCode(err, store.EConflict) || store.IsCode(err, store.ELastAdmin) {
		return fiber.StatusConflict
	}
	return fiber.StatusUnprocessableEntity
}

// errorOf is the message of the field with that input id among errs, if any.
func errorOf(errs []fieldError, id string) string {
	for _, e := range errs {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

// Err is the message for the input with that id.
func (d usersData) Err(id string) string { return errorOf(d.Errors, id) }

// Err is the message for the input with that id.
func (d userData) Err(id string) string { return errorOf(d.Errors, id) }

// MinPassword is the password policy's shortest length, for the hint.
func (usersData) MinPassword() int { return app.MinPasswordLength }

// MinPassword is the password policy's shortest length, for the hint.
func (userData) MinPassword() int { return app.MinPasswordLength }

package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ethicsportal/app"
)

func TestConsoleUsersNeedAdmin(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn("ed", "editor", "reviewer")
	b.lang = "en"
	for _, path := range []string{"/admin/users", "/admin/users/ed", "/admin/clients"} {
		p := b.get(path)
		if p.status != http.StatusForbidden || !p.has("You cannot do this") {
			t.Errorf("GET %s as an editor: %d", path, p.status)
		}
	}
	b.get("/admin")
	if p := b.post("/admin/users", url.Values{"username": {"x1"}, "password": {"a long enough password"}, "roles": {"admin"}}); p.status != http.StatusForbidden {
		t.Errorf("POST /admin/users as an editor: %d", p.status)
	}
	if us, _ := e.app.Users(context.Background()); len(us) != 1 {
		t.Errorf("an editor's POST added a user: %d users", len(us))
	}
	// And the home page does not offer them.
	home := b.get("/admin")
	if home.has(`href="/admin/users"`) || !home.has(`href="/admin/cases"`) {
		t.Errorf("home page cards for an editor:\n%s", home.body)
	}
}

func TestConsoleUsersAddAndChange(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn("root", "admin")
	b.lang = "en"
	list := b.get("/admin/users")
	if list.status != http.StatusOK {
		t.Fatalf("users page: %d", list.status)
	}
	list.mustHave(t, `<th scope="row"><a href="/admin/users/root">root</a></th>`, "Administrator", `for="role-editor"`, `autocomplete="new-password"`)

	// Mistakes come back as form errors with what was entered; nothing is added.
	bad := b.post("/admin/users", url.Values{"username": {"Bad Name"}, "password": {"short"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad user: %d", bad.status)
	}
	bad.mustHave(t, `href="#username"`, `id="username-error"`, `value="Bad Name"`, "There is a problem")
	noRoles := b.post("/admin/users", url.Values{"username": {"fay"}, "password": {"a long enough password"}})
	noRoles.mustHave(t, `href="#role-editor"`, "Choose at least one role.</a>")
	short := b.post("/admin/users", url.Values{"username": {"fay"}, "password": {"short"}, "roles": {"auditor"}})
	short.mustHave(t, `href="#password"`, "at least 12 characters", `id="role-auditor" name="roles" value="auditor" checked`)
	taken := b.post("/admin/users", url.Values{"username": {"root"}, "password": {"a long enough password"}, "roles": {"auditor"}})
	if taken.status != http.StatusConflict || !taken.has("That username is taken") {
		t.Fatalf("taken username: %d", taken.status)
	}
	if us, _ := e.app.Users(context.Background()); len(us) != 1 {
		t.Fatalf("refused forms added users: %d", len(us))
	}
	// Without the form token: refused.
	if p := b.post("/admin/users", url.Values{"_csrf": {""}, "username": {"fay"}, "password": {"a long enough password"}, "roles": {"auditor"}}); p.status != http.StatusForbidden {
		t.Fatalf("add without the form token: %d", p.status)
	}

	added := b.post("/admin/users", url.Values{"username": {"fay"}, "password": {"a long enough password"}, "roles": {"auditor", "reviewer"}})
	if added.status != http.StatusSeeOther || added.header.Get("Location") != "/admin/users/fay?done=added" {
		t.Fatalf("add: %d %s", added.status, added.header.Get("Location"))
	}
	b.get("/admin/users").mustHave(t, "Auditor, Reviewer")
	b.get(added.header.Get("Location")).mustHave(t, "User: fay", "The user has been added.", "Reviewer", "Auditor", "Enabled")

	change := func(form url.Values) *page {
		t.Helper()
		b.get("/admin/users/fay")
		return b.post("/admin/users/fay", form)
	}
	if p := change(url.Values{"op": {"roles"}, "roles": {"editor"}}); p.status != http.StatusSeeOther {
		t.Fatalf("roles: %d\n%s", p.status, p.body)
	}
	if p := change(url.Values{"op": {"roles"}}); p.status != http.StatusUnprocessableEntity || !p.has("Choose at least one role.") {
		t.Fatalf("no roles: %d", p.status)
	}
	if p := change(url.Values{"op": {"disable"}}); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	b.get("/admin/users").mustHave(t, "Disabled")
	if p := change(url.Values{"op": {"enable"}}); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", p.status)
	}
	if p := change(url.Values{"op": {"password"}, "password": {"short"}}); p.status != http.StatusUnprocessableEntity || !p.has(`href="#new-password"`) {
		t.Fatalf("short password: %d", p.status)
	}
	if p := change(url.Values{"op": {"password"}, "password": {"another long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("password: %d", p.status)
	}
	if _, err := e.app.Login(context.Background(), app.LoginRequest{Username: "fay", Password: "another long password", IP: "192.0.2.9"}); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}
	if p := change(url.Values{"op": {"sideways"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown op: %d", p.status)
	}
	if p := b.get("/admin/users/nobody"); p.status != http.StatusNotFound {
		t.Errorf("unknown user: %d", p.status)
	}
	us, _ := e.app.Users(context.Background())
	if len(us) != 2 || strings.Join(us[0].Roles, ",") != "editor" || us[0].Disabled {
		t.Errorf("fay after the changes: %+v", us[0])
	}
	for _, want := range []string{`"roles":["editor"]`, `"disabled":true`, `"disabled":false`, `"password_changed":true`} {
		if !hasAudit(t, e, "user.update", want) {
			t.Errorf("no user.update audit with %s", want)
		}
	}

	// The last admin cannot disable themselves or drop the role.
	b.get("/admin/users/root")
	last := b.post("/admin/users/root", url.Values{"op": {"disable"}})
	if last.status != http.StatusConflict || !last.has("at least one enabled administrator must remain") || !last.has(`href="#disable"`) {
		t.Fatalf("disable the last admin: %d\n%s", last.status, last.body)
	}
	last = b.post("/admin/users/root", url.Values{"op": {"roles"}, "roles": {"auditor"}})
	if last.status != http.StatusConflict || !last.has("at least one enabled administrator must remain") {
		t.Fatalf("demote the last admin: %d", last.status)
	}
}

func TestConsoleUsersWithTOTP(t *testing.T) {
	e, _ := totpEnv(t)
	if _, err := e.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: "root", Password: enrolPassword, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	// root enrols like dora would.
	b := e.browser()
	b.lang = "en"
	b.get("/admin/login")
	p := b.post("/admin/login", url.Values{"username": {"root"}, "password": {enrolPassword}})
	secret := totpSecret(t, "otpauth://totp/x?secret="+strings.ReplaceAll(enrolSecret.FindStringSubmatch(p.body)[1], " ", ""))
	if done := b.post("/admin/login/enrol", url.Values{"ticket": {enrolTicket.FindStringSubmatch(p.body)[1]}, "code": {totpAt(secret, e.clock.Now())}}); done.status != http.StatusOK {
		t.Fatalf("root's enrolment: %d", done.status)
	}
	list := b.get("/admin/users")
	list.mustHave(t, "To be set up at first sign-in", "Set up") // dora pending, root enrolled

	// Adding a user shows the enrolment link once, on a page not stored.
	added := b.post("/admin/users", url.Values{"username": {"gus"}, "password": {"a long enough password"}, "roles": {"editor"}})
	if added.status != http.StatusOK || added.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("add with TOTP: %d %q", added.status, added.header.Get("Cache-Control"))
	}
	added.mustHave(t, "otpauth://totp/", "<svg", "shown only once")
	if l := b.get("/admin/users/gus"); l.has("otpauth://") {
		t.Error("the enrolment link is shown again on the user's page")
	}
	if b.get("/admin/users").has("otpauth://") {
		t.Error("the enrolment link is in the list")
	}

	// Resetting dora's second factor: once enrolled, she is back to enrolment.
	_, codes, _ := enrol(t, e)
	b.get("/admin/users/dora")
	reset := b.post("/admin/users/dora", url.Values{"op": {"totp"}})
	if reset.status != http.StatusOK || !reset.has("every recovery code removed") || reset.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset TOTP: %d\n%s", reset.status, reset.body)
	}
	if r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "dora", "password": enrolPassword, "totp": codes[0]}); r.status != http.StatusUnauthorized {
		t.Errorf("a recovery code after the reset: %d", r.status)
	}
	startEnrol(t, e)
	if !hasAudit(t, e, "user.update", `"totp_reset":true`) {
		t.Error("the reset is not audited")
	}
}

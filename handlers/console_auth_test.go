package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/auth"
)

// Console sign-in with a second factor: enrolment with a QR code, recovery
// codes, and the API's login accepting a recovery code once.

var (
	enrolSecret  = regexp.MustCompile(`class="totp-secret"[^>]*>([A-Z2-7 ]+)<`)
	enrolTicket  = regexp.MustCompile(`name="ticket" value="([^"]+)"`)
	recoveryCode = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
)

const enrolPassword = "a long enough password"

// totpEnv is a portal that requires TOTP, with an editor "dora" added by
// the command line (so with a secret she has never confirmed).
func totpEnv(t *testing.T, vars ...string) (*env, string) {
	t.Helper()
	m := map[string]string{"PORTAL_REQUIRE_TOTP": "true"}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	e := newEnv(t, m)
	added, err := e.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: "dora", Password: enrolPassword, Roles: []string{"editor"}})
	if err != nil {
		t.Fatal(err)
	}
	return e, added.TOTPURI
}

// startEnrol signs a new browser in with dora's password and returns it
// on the enrolment page with the secret that page shows.
func startEnrol(t *testing.T, e *env) (*browser, *page, []byte) {
	t.Helper()
	b := e.browser()
	b.lang = "en"
	b.get("/admin/login")
	p := b.post("/admin/login", url.Values{"username": {"dora"}, "password": {enrolPassword}, "next": {"/admin"}})
	if p.status != http.StatusOK {
		t.Fatalf("sign in before enrolment: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "Set up your authenticator app", `<svg`, `class="qr"`, `name="ticket"`, `action="/admin/login/enrol"`)
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("enrolment page Cache-Control = %q, want no-store", cc)
	}
	m := enrolSecret.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", p.body)
	}
	return b, p, totpSecret(t, "otpauth://totp/x?secret="+strings.ReplaceAll(m[1], " ", ""))
}

// enrol completes dora's enrolment and returns her browser and recovery codes.
func enrol(t *testing.T, e *env) (*browser, []string, []byte) {
	t.Helper()
	b, p, secret := startEnrol(t, e)
	ticket := enrolTicket.FindStringSubmatch(p.body)[1]
	done := b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {totpAt(secret, e.clock.Now())}, "next": {"/admin"}})
	if done.status != http.StatusOK {
		t.Fatalf("confirm enrolment: %d\n%s", done.status, done.body)
	}
	var codes []string
	for _, m := range recoveryCode.FindAllStringSubmatch(done.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != app.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d:\n%s", len(codes), app.RecoveryCodeCount, done.body)
	}
	return b, codes, secret
}

func consoleSignIn(e *env, user, code string) (*browser, *page) {
	b := e.browser()
	b.lang = "en"
	b.get("/admin/login")
	return b, b.post("/admin/login", url.Values{"username": {user}, "password": {enrolPassword}, "totp": {code}})
}

func auditActions(t *testing.T, e *env) []string {
	t.Helper()
	evs, err := e.app.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action+" "+string(ev.Details))
	}
	return out
}

func hasAudit(t *testing.T, e *env, action, detail string) bool {
	t.Helper()
	for _, a := range auditActions(t, e) {
		if strings.HasPrefix(a, action+" ") && strings.Contains(a, detail) {
			return true
		}
	}
	return false
}

func TestConsoleEnrolmentEndToEnd(t *testing.T) {
	e, creatorURI := totpEnv(t)
	b, p, secret := startEnrol(t, e)
	if string(secret) == string(totpSecret(t, creatorURI)) {
		t.Fatal("the enrolment shows the secret the user's creator saw; want a fresh one")
	}
	ticket := enrolTicket.FindStringSubmatch(p.body)[1]

	// A wrong code: the form again, with the error tied to the field.
	wrong := b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {"000000"}})
	if wrong.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d\n%s", wrong.status, wrong.body)
	}
	wrong.mustHave(t, `href="#code"`, `id="code-error"`, `aria-describedby="code-hint code-error"`, ticket)
	if b.jar.Cookies(portalURL) != nil {
		for _, c := range b.jar.Cookies(&url.URL{Scheme: "http", Host: "example.com", Path: "/admin"}) {
			if c.Name == "portal_session" {
				t.Fatal("a wrong code started a session")
			}
		}
	}

	// The right code: signed in, shown ten recovery codes once.
	done := b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {totpAt(secret, e.clock.Now())}, "next": {"/admin"}})
	if done.status != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", done.status, done.body)
	}
	done.mustHave(t, "Your recovery codes", "keep them somewhere safe", "will not be shown again")
	if cc := done.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("recovery codes page Cache-Control = %q, want no-store", cc)
	}
	if n := len(recoveryCode.FindAllString(done.body, -1)); n != 10 {
		t.Errorf("%d recovery codes, want 10", n)
	}
	home := b.get("/admin")
	if home.status != http.StatusOK {
		t.Fatalf("console home after enrolment: %d", home.status)
	}
	home.mustHave(t, "signed in as dora", "Recovery codes left: 10.")
	if !hasAudit(t, e, "auth.totp_enrolled", `"username":"dora"`) || !hasAudit(t, e, "auth.enrolment_started", "dora") || !hasAudit(t, e, "auth.enrolment_failed", "wrong_code") {
		t.Errorf("enrolment not audited: %v", auditActions(t, e))
	}

	// The same ticket cannot enrol again, nor can the code be replayed.
	preSession := csrfField.FindStringSubmatch(p.body)[1] // the console's pages since carry the session's token
	again := b.post("/admin/login/enrol", url.Values{"_csrf": {preSession}, "ticket": {ticket}, "code": {totpAt(secret, e.clock.Now())}})
	if again.status != http.StatusUnauthorized || !again.has("Sign in again") {
		t.Fatalf("second use of an enrolment ticket: %d\n%s", again.status, again.body)
	}
	if _, p := consoleSignIn(e, "dora", totpAt(secret, e.clock.Now())); p.status != http.StatusUnauthorized {
		t.Fatalf("the enrolment's code replayed at sign-in: %d", p.status)
	}
	// Enrolled: a password alone is a failed sign-in, never a new enrolment.
	if _, p := consoleSignIn(e, "dora", ""); p.status != http.StatusUnauthorized || p.has("ticket") {
		t.Fatalf("password only for an enrolled user: %d\n%s", p.status, p.body)
	}
	// The creator's secret does not sign in; the enrolled one does, next step.
	e.clock.Add(30 * time.Second)
	if _, p := consoleSignIn(e, "dora", totpAt(totpSecret(t, creatorURI), e.clock.Now())); p.status != http.StatusUnauthorized {
		t.Fatalf("the creator's secret signed in: %d", p.status)
	}
	if _, p := consoleSignIn(e, "dora", totpAt(secret, e.clock.Now())); p.status != http.StatusSeeOther {
		t.Fatalf("sign in with the enrolled secret: %d\n%s", p.status, p.body)
	}
}

func TestConsoleEnrolmentRefused(t *testing.T) {
	e, _ := totpEnv(t)
	// Two browsers with the password get two tickets; the first to confirm wins.
	b1, p1, s1 := startEnrol(t, e)
	b2, p2, s2 := startEnrol(t, e)
	t1, t2 := enrolTicket.FindStringSubmatch(p1.body)[1], enrolTicket.FindStringSubmatch(p2.body)[1]

	// A ticket is good only in the browser it was given to.
	if p := b2.post("/admin/login/enrol", url.Values{"ticket": {t1}, "code": {totpAt(s1, e.clock.Now())}}); p.status != http.StatusUnauthorized {
		t.Fatalf("another browser's ticket: %d\n%s", p.status, p.body)
	}
	// A tampered ticket (another username) is refused.
	forged := "A" + t2[1:]
	if p := b2.post("/admin/login/enrol", url.Values{"ticket": {forged}, "code": {totpAt(s2, e.clock.Now())}}); p.status != http.StatusUnauthorized {
		t.Fatalf("a tampered ticket: %d", p.status)
	}
	// Without the form token: refused before anything is checked.
	if p := b1.post("/admin/login/enrol", url.Values{"_csrf": {""}, "ticket": {t1}, "code": {totpAt(s1, e.clock.Now())}}); p.status != http.StatusForbidden {
		t.Fatalf("enrolment without the form token: %d", p.status)
	}
	if p := b1.post("/admin/login/enrol", url.Values{"ticket": {t1}, "code": {totpAt(s1, e.clock.Now())}}); p.status != http.StatusOK {
		t.Fatalf("first enrolment: %d\n%s", p.status, p.body)
	}
	// Now enrolled: the second ticket, right code and all, cannot replace the factor.
	p := b2.post("/admin/login/enrol", url.Values{"ticket": {t2}, "code": {totpAt(s2, e.clock.Now())}})
	if p.status != http.StatusUnauthorized || !p.has("Sign in again") {
		t.Fatalf("enrolling an enrolled user: %d\n%s", p.status, p.body)
	}
	if !hasAudit(t, e, "auth.enrolment_failed", "already_enrolled") || !hasAudit(t, e, "auth.enrolment_failed", "bad_ticket") {
		t.Errorf("refusals not audited: %v", auditActions(t, e))
	}
	// An expired ticket is refused.
	e2, _ := totpEnv(t)
	b3, p3, s3 := startEnrol(t, e2)
	e2.clock.Add(11 * time.Minute)
	if p := b3.post("/admin/login/enrol", url.Values{"ticket": {enrolTicket.FindStringSubmatch(p3.body)[1]}, "code": {totpAt(s3, e2.clock.Now())}}); p.status != http.StatusUnauthorized {
		t.Fatalf("an expired ticket: %d", p.status)
	}
	// A password changed since the ticket was given voids it.
	b4, p4, s4 := startEnrol(t, e2)
	pw := "another long password"
	if _, err := e2.app.UpdateUser(context.Background(), app.ActorCLI, "dora", app.UserPatch{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if p := b4.post("/admin/login/enrol", url.Values{"ticket": {enrolTicket.FindStringSubmatch(p4.body)[1]}, "code": {totpAt(s4, e2.clock.Now())}}); p.status != http.StatusUnauthorized {
		t.Fatalf("a ticket from before a password change: %d", p.status)
	}
}

func TestConsoleSignInNeedsTheFormToken(t *testing.T) {
	e, _ := totpEnv(t)
	b := e.browser()
	b.get("/admin/login")
	p := b.post("/admin/login", url.Values{"_csrf": {"x"}, "username": {"dora"}, "password": {enrolPassword}})
	if p.status != http.StatusForbidden || p.has("ticket") {
		t.Fatalf("sign-in without the form token: %d", p.status)
	}
}

func TestConsoleEnrolmentIsRateLimited(t *testing.T) {
	e, _ := totpEnv(t, "PORTAL_RATE_LOGIN", "4/m")
	b, p, _ := startEnrol(t, e) // one attempt
	ticket := enrolTicket.FindStringSubmatch(p.body)[1]
	var last *page
	for range 5 {
		last = b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {"000000"}})
	}
	if last.status != http.StatusTooManyRequests {
		t.Fatalf("the sixth attempt in a minute: %d, want 429", last.status)
	}
}

func TestRecoveryCodes(t *testing.T) {
	e, _ := totpEnv(t)
	_, codes, _ := enrol(t, e)

	// At the console: once, and then never again; the page says how many remain.
	_, p := consoleSignIn(e, "dora", strings.ToUpper(codes[0]))
	if p.status != http.StatusOK {
		t.Fatalf("sign in with a recovery code: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "You signed in with a recovery code", "You have 9 recovery codes left.")
	if _, p := consoleSignIn(e, "dora", codes[0]); p.status != http.StatusUnauthorized {
		t.Fatalf("a recovery code used twice: %d", p.status)
	}
	if !hasAudit(t, e, "auth.login", `"method":"recovery_code","recovery_codes_left":9`) || !hasAudit(t, e, "auth.login_failed", "wrong_recovery_code") {
		t.Errorf("recovery codes not audited: %v", auditActions(t, e))
	}

	// Through the API's login, the same: once, then the one 401 of every failure.
	login := func(code string) *response {
		return e.do("POST", "/api/v1/auth/login", map[string]string{"username": "dora", "password": enrolPassword, "totp": code})
	}
	if r := login(strings.ReplaceAll(codes[1], "-", " ")); r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("API login with a recovery code: %d %s", r.status, r.body)
	}
	used, unknown := login(codes[1]), login("aaaa-aaaa-aaaa-aaaa")
	wantProblem(t, used, 401, "unauthorized")
	wantProblem(t, unknown, 401, "unauthorized")
	noID := regexp.MustCompile(`"request_id":"[^"]*"`)
	if noID.ReplaceAllString(string(used.body), "") != noID.ReplaceAllString(string(unknown.body), "") {
		t.Errorf("a used code and an unknown one answer differently:\n%s\n%s", used.body, unknown.body)
	}

	// New codes from the console: the old ones stop working.
	b, _ := consoleSignIn(e, "dora", codes[2])
	if p := b.post("/admin/recovery-codes", url.Values{"_csrf": {"nope"}}); p.status != http.StatusForbidden {
		t.Fatalf("new recovery codes without the form token: %d", p.status)
	}
	b.get("/admin")
	fresh := b.post("/admin/recovery-codes", nil)
	if fresh.status != http.StatusOK || fresh.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("new recovery codes: %d %q\n%s", fresh.status, fresh.header.Get("Cache-Control"), fresh.body)
	}
	fresh.mustHave(t, "Your old recovery codes no longer work")
	newCodes := recoveryCode.FindAllStringSubmatch(fresh.body, -1)
	if len(newCodes) != 10 {
		t.Fatalf("%d new codes", len(newCodes))
	}
	if r := login(codes[3]); r.status != http.StatusUnauthorized {
		t.Errorf("an old code after regeneration: %d", r.status)
	}
	if r := login(newCodes[0][1]); r.status != http.StatusOK {
		t.Errorf("a new code: %d %s", r.status, r.body)
	}
	if !hasAudit(t, e, "auth.recovery_codes_regenerated", "dora") {
		t.Error("regeneration not audited")
	}

	// Resetting the second factor removes the codes and sends the user back to enrolment.
	if _, err := e.app.UpdateUser(context.Background(), app.ActorCLI, "dora", app.UserPatch{ResetTOTP: true}); err != nil {
		t.Fatal(err)
	}
	if r := login(newCodes[1][1]); r.status != http.StatusUnauthorized {
		t.Errorf("a recovery code after a TOTP reset: %d", r.status)
	}
	if n, err := e.app.Store().RecoveryCodesLeft(context.Background(), "dora"); err != nil || n != 0 {
		t.Errorf("recovery codes left after a reset = %d, %v", n, err)
	}
	startEnrol(t, e)
}

// Uses of one recovery code at once, on two instances sharing a store
// (SQLite and PostgreSQL): exactly one signs in.
func TestRecoveryCodeConcurrentUse(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			cfg := testConfig(t, map[string]string{"PORTAL_REQUIRE_TOTP": "true"})
			a, b := newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)
			if _, err := a.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: "dora", Password: enrolPassword, Roles: []string{"editor"}}); err != nil {
				t.Fatal(err)
			}
			_, codes, _ := enrol(t, a)
			const n = 8
			results := make(chan error, n)
			start := make(chan struct{})
			for i := range n {
				inst := a
				if i%2 == 1 {
					inst = b
				}
				go func() {
					<-start
					_, err := inst.app.Login(context.Background(), app.LoginRequest{Username: "dora", Password: enrolPassword, Code: codes[4], IP: "192.0.2.1"})
					results <- err
				}()
			}
			close(start)
			ok := 0
			for range n {
				if err := <-results; err == nil {
					ok++
				}
			}
			if ok != 1 {
				t.Fatalf("%d of %d concurrent uses of one code succeeded, want 1", ok, n)
			}
		})
	}
}

// Without PORTAL_REQUIRE_TOTP a user without a secret signs in with a
// password alone, and is never sent to an enrolment.
func TestConsoleNoEnrolmentWithoutTOTP(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn("erin", "auditor")
	p := b.get("/admin?lang=en")
	p.mustHave(t, "does not require authenticator codes")
	if p.has("Make new recovery codes") {
		t.Error("recovery codes offered without a second factor")
	}
	if p := b.post("/admin/recovery-codes", nil); p.status != http.StatusConflict {
		t.Errorf("new recovery codes without a second factor: %d", p.status)
	}
}

var _ = auth.DeviceCookieName

// The console home: who is signed in, cards by role, and counts.
func TestConsoleHome(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	e.propose(reg, map[string]any{"kind": "suspend_credential", "certificate_no": "20191100141000123", "reason": "调查期间暂停"})

	rev := e.signIn("rita", "reviewer")
	rev.lang = "en"
	p := rev.get("/admin")
	p.mustHave(t, "signed in as rita", "Reviewer", "Waiting for your decision: 1.", `href="/admin/actions"`, `href="/admin/bans"`)
	if p.has(`href="/admin/users"`) || p.has(`href="/admin/audit"`) || p.has("Make new recovery codes") {
		t.Errorf("a reviewer's home offers what their role does not open:\n%s", p.body)
	}
	// The one who proposed sees it as theirs, not awaiting them.
	regB := e.browser()
	regB.lang = "en"
	regB.get("/admin/login")
	regB.post("/admin/login", url.Values{"username": {"reg"}, "password": {"correct horse battery reg"}})
	regB.get("/admin").mustHave(t, "Proposed by you and waiting for someone else: 1.", `href="/admin/credentials"`)

	adm := e.signIn("ada", "admin")
	adm.lang = "zh-CN"
	p = adm.get("/admin")
	p.mustHave(t, "您已登录：ada", "系统管理员", "管理后台用户：共 3 人。", "管理学校接入及其密钥：共 0 个。", `href="/admin/audit"`)
}

var (
	pageIDs     = regexp.MustCompile(` id="([^"]+)"`)
	pageInputs  = regexp.MustCompile(`<input ([^>]*)>`)
	inputType   = regexp.MustCompile(`type="([^"]+)"`)
	inputID     = regexp.MustCompile(`id="([^"]+)"`)
	describedBy = regexp.MustCompile(`aria-describedby="([^"]+)"`)
)

// lintPage checks what every console page of this area must hold: one h1,
// no inline script or style, unique ids, a label for every visible input,
// and aria-describedby naming ids that exist.
func lintPage(t *testing.T, what string, p *page) {
	t.Helper()
	if n := strings.Count(p.body, "<h1"); n != 1 {
		t.Errorf("%s: %d h1 elements", what, n)
	}
	for _, bad := range []string{"<script>", " style=", "<style", " onclick=", "javascript:", "%!"} {
		if p.has(bad) {
			t.Errorf("%s holds %q", what, bad)
		}
	}
	ids := map[string]bool{}
	for _, m := range pageIDs.FindAllStringSubmatch(p.body, -1) {
		if ids[m[1]] {
			t.Errorf("%s: id %q twice", what, m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range pageInputs.FindAllStringSubmatch(p.body, -1) {
		if ty := inputType.FindStringSubmatch(m[1]); ty != nil && ty[1] == "hidden" {
			continue
		}
		id := inputID.FindStringSubmatch(m[1])
		if id == nil || !p.has(`<label for="`+id[1]+`"`) {
			t.Errorf("%s: an input without a label: <input %s>", what, m[1])
		}
	}
	for _, m := range describedBy.FindAllStringSubmatch(p.body, -1) {
		for _, ref := range strings.Fields(m[1]) {
			if !ids[ref] {
				t.Errorf("%s: aria-describedby names %q, which is not on the page", what, ref)
			}
		}
	}
}

func TestConsoleAuthPagesAreWellFormed(t *testing.T) {
	e, _ := totpEnv(t)
	b, p, secret := startEnrol(t, e)
	lintPage(t, "enrolment", p)
	ticket := enrolTicket.FindStringSubmatch(p.body)[1]
	lintPage(t, "enrolment with an error", b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {"000000"}}))
	lintPage(t, "recovery codes", b.post("/admin/login/enrol", url.Values{"ticket": {ticket}, "code": {totpAt(secret, e.clock.Now())}}))
	if _, err := e.app.UpdateUser(context.Background(), app.ActorCLI, "dora", app.UserPatch{Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	lintPage(t, "console home", b.get("/admin"))
	lintPage(t, "users", b.get("/admin/users"))
	lintPage(t, "users with errors", b.post("/admin/users", url.Values{"username": {"X"}}))
	lintPage(t, "a user", b.get("/admin/users/dora"))
	lintPage(t, "a user with an error", b.post("/admin/users/dora", url.Values{"op": {"password"}, "password": {"x"}}))
	lintPage(t, "a new user's enrolment link", b.post("/admin/users", url.Values{"username": {"hal"}, "password": {enrolPassword}, "roles": {"auditor"}}))
	lintPage(t, "clients", b.get("/admin/clients"))
	lintPage(t, "clients with errors", b.post("/admin/clients", url.Values{"name": {""}}))
	made := b.post("/admin/clients", url.Values{"name": {"第二中学"}, "scopes": {"watch"}})
	lintPage(t, "a new client's key", made)
	id := shownClient.FindStringSubmatch(made.body)[1]
	lintPage(t, "a client", b.get("/admin/clients/"+id))
	lintPage(t, "a rotated key", b.post("/admin/clients/"+id, url.Values{"op": {"rotate_key"}}))
	lintPage(t, "the sign-in page", e.browser().get("/admin/login"))
	_, used := consoleSignIn(e, "dora", "")
	lintPage(t, "a failed sign-in", used)
}

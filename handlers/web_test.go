package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ethicsportal/app"
)

func TestPagesSpeakChineseFirst(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	p := b.get("/")
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("home: %d %s", p.status, p.header.Get("Content-Type"))
	}
	p.mustHave(t, `<html lang="zh-CN">`, "北京市教师师德信息公开平台", `href="#main"`, `<main id="main"`)
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}

	// Accept-Language decides when nothing was chosen...
	b.lang = "en-GB,en;q=0.9,zh;q=0.5"
	b.get("/").mustHave(t, `<html lang="en">`, "Beijing Teacher Ethics Portal")
	b.lang = "fr, zh-TW;q=0.8, en;q=0.3"
	b.get("/").mustHave(t, `<html lang="zh-CN">`)

	// ...and a choice by the switch is remembered over it.
	b.lang = "zh-CN"
	p = b.get("/?lang=en")
	p.mustHave(t, `<html lang="en">`, `href="/?lang=zh"`)
	b.get("/").mustHave(t, `<html lang="en">`)
	b.get("/?lang=zh").mustHave(t, `<html lang="zh-CN">`)
	b.get("/").mustHave(t, `<html lang="zh-CN">`)
}

func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/", "/admin/login", "/no-such-page"} {
		p := e.browser().get(path)
		for _, bad := range []string{"<script>", " style=", "<style", " onclick=", " onload=", "javascript:"} {
			if p.has(bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
	}
}

func TestStaticAssetsAreFingerprinted(t *testing.T) {
	e := newEnv(t, nil)
	p := e.browser().get("/")
	i := strings.Index(p.body, `href="/static/css/portal.css?v=`)
	if i < 0 {
		t.Fatalf("no fingerprinted stylesheet:\n%s", p.body)
	}
	href := p.body[i+6:]
	href = href[:strings.IndexByte(href, '"')]
	r := e.do("GET", strings.ReplaceAll(href, "&amp;", "&"), nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("%s: %d %v", href, r.status, r.header)
	}
	if r := e.do("GET", "/static/css/portal.css?v=stale", nil); r.status != 200 || strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stale fingerprint: %d %v", r.status, r.header)
	}
	if r := e.do("GET", "/static/../static.go", nil); r.status != 404 {
		t.Fatalf("outside the assets: %d", r.status)
	}
}

func TestErrorsArePagesForBrowsersAndProblemsForTheAPI(t *testing.T) {
	e := newEnv(t, nil)
	p := e.browser().get("/no-such-page")
	if p.status != 404 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("browser 404: %d %s", p.status, p.header.Get("Content-Type"))
	}
	p.mustHave(t, "未找到该页面")
	// A script asking for the same address, and a browser asking the API, get problems.
	r := e.do("GET", "/no-such-page", nil)
	wantProblem(t, r, 404, "not_found")
	r = e.do("GET", "/api/v1/nothing", nil, "Accept", "text/html")
	wantProblem(t, r, 404, "not_found")
}

func TestConsoleSignInSetsAStrictHttpOnlyCookie(t *testing.T) {
	e := newEnv(t, nil)
	// Unsigned visitors are sent to the sign-in page, and brought back.
	b := e.browser()
	p := b.get("/admin?x=1")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/login?next=%2Fadmin%3Fx%3D1" {
		t.Fatalf("redirect: %d %q", p.status, p.header.Get("Location"))
	}

	b = e.signIn("ann", "editor")
	p = b.get("/admin")
	p.mustHave(t, "ann", `name="_csrf"`)
	var session *http.Cookie
	for _, c := range b.jar.Cookies(&url.URL{Scheme: "http", Host: "example.com", Path: "/admin"}) {
		if c.Name == "portal_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	// The cookie's attributes are what the jar does not keep: read them off a fresh sign-in.
	e.addUser("bob", "editor")
	b2 := e.browser()
	b2.get("/admin/login")
	res := b2.post("/admin/login", url.Values{"username": {"bob"}, "password": {"correct horse battery bob"}})
	var raw string
	for _, v := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "portal_session=") {
			raw = strings.ToLower(v)
		}
	}
	for _, want := range []string{"httponly", "samesite=strict", "path=/admin"} {
		if !strings.Contains(raw, want) {
			t.Errorf("session cookie %q lacks %s", raw, want)
		}
	}

	// The API does not take the cookie in place of a bearer token.
	r := e.do("GET", "/api/v1/admin/me", nil, "Cookie", "portal_session="+session.Value)
	wantProblem(t, r, 401, "unauthorized")
}

func TestConsoleFormsNeedTheirToken(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn("ann", "editor")
	b.get("/admin")
	// Without the token, or with another session's, signing out is refused and the session stays.
	other := e.signIn("bob", "editor")
	other.get("/admin")
	for _, tok := range []string{"", "forged", other.lastCSRF} {
		p := b.post("/admin/logout", url.Values{"_csrf": {tok}})
		if p.status != 403 {
			t.Fatalf("token %q: %d", tok, p.status)
		}
		if b.get("/admin").status != 200 {
			t.Fatal("session ended by a forged form")
		}
	}
	p := b.post("/admin/logout", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d %s", p.status, p.body)
	}
	if p := b.get("/admin"); p.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", p.status)
	}
}

func TestConsoleSignInFormNeedsItsCookie(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ann", "editor")
	// A form posted from elsewhere carries no token matching the browser's cookie.
	b := e.browser()
	p := b.post("/admin/login", url.Values{"username": {"ann"}, "password": {"correct horse battery ann"}, "_csrf": {strings.Repeat("a", 43)}})
	if p.status != 403 {
		t.Fatalf("forged sign-in: %d", p.status)
	}
	b.get("/admin/login")
	p = b.post("/admin/login", url.Values{"username": {"ann"}, "password": {"wrong"}})
	if p.status != 401 {
		t.Fatalf("wrong password: %d", p.status)
	}
	p.mustHave(t, "用户名、密码或验证码不正确")
}

func TestSafeNextStaysOnTheConsole(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ann", "editor")
	for next, want := range map[string]string{
		"/admin/cases":         "/admin/cases",
		"//evil.example/admin": "/admin",
		"https://evil.example": "/admin",
		"/adminx/../..":        "/adminx/../..",
		"/cases":               "/admin",
	} {
		b := e.browser()
		b.get("/admin/login")
		p := b.post("/admin/login", url.Values{"username": {"ann"}, "password": {"correct horse battery ann"}, "next": {next}})
		if got := p.header.Get("Location"); got != want {
			t.Errorf("next %q: went to %q, want %q", next, got, want)
		}
	}
}

// Found by a trial: the language link of a 404 page must stay on this site.
func TestLanguageLinkStaysOnSite(t *testing.T) {
	e := newEnv(t, nil)
	p := e.browser().get("//evil.example/x")
	if p.has(`href="//evil.example`) || !p.has(`href="/evil.example/x?lang=en"`) {
		t.Fatalf("language link:\n%s", p.body)
	}
}

// A browser's form refused before any route runs still gets a page.
func TestRefusedFormsArePages(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	p := b.post("/verify", url.Values{"certificate_no": {"1"}, "name": {"x"}}, "Content-Encoding", "gzip")
	if p.status != 415 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("compressed form: %d %s", p.status, p.header.Get("Content-Type"))
	}
	p = b.post("/cases", nil)
	if p.status != 405 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("POST /cases: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// The sign-in form's token must be one the portal made, not any value a
// third party managed to plant as the cookie; and no form token is read
// from the address.
func TestFormTokensAreThePortals(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ann", "editor")
	planted := strings.Repeat("A", 22) + "." + strings.Repeat("B", 43)
	b := e.browser()
	p := b.post("/admin/login", url.Values{"username": {"ann"}, "password": {"correct horse battery ann"}, "_csrf": {planted}},
		"Cookie", "portal_form="+planted)
	if p.status != 403 {
		t.Fatalf("planted pre-session value: %d", p.status)
	}
	s := e.signIn("bob", "editor")
	s.get("/admin")
	tok := s.lastCSRF
	if p := s.post("/admin/logout?_csrf="+url.QueryEscape(tok), url.Values{"_csrf": {""}}); p.status != 403 {
		t.Fatalf("token in the query: %d", p.status)
	}
	if p := s.post("/admin/logout", url.Values{"_csrf": {tok}}); p.status != 303 {
		t.Fatalf("token in the body: %d", p.status)
	}
}

// A person at work in the console is not signed out when a token's short
// life ends: past half of it the session cookie gets a fresh token of the
// same session, and forms filled in before keep their token. Past
// app.MaxSession the session ends, and the sign-in page says so.
func TestConsoleSessionIsRenewedWhileInUse(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_TOKEN_TTL": "15m"})
	b := e.signIn("ann", "editor")
	b.get("/admin")
	form := b.lastCSRF
	var earlier []string     // the session cookies the browser held, one per renewal
	for i := 0; i < 8; i++ { // two hours of work, a request every quarter hour less a minute
		earlier = append(earlier, b.sessionCookie())
		e.clock.Add(14 * time.Minute)
		if p := b.get("/admin"); p.status != 200 {
			t.Fatalf("after %d minutes: %d", (i+1)*14, p.status)
		}
	}
	if b.lastCSRF != form {
		t.Fatal("the form token changed with the renewal")
	}
	// A renewed-away token is over: the session has one live token.
	if p := e.browser().get("/admin", "Cookie", earlier[len(earlier)-1]); p.status != 303 {
		t.Fatalf("the token renewed from still works: %d", p.status)
	}
	// Signing out ends the session, and no earlier token of it comes back.
	live := b.sessionCookie()
	if p := b.post("/admin/logout", nil); p.status != 303 {
		t.Fatalf("sign out: %d", p.status)
	}
	for _, ck := range append(earlier, live) {
		if p := e.browser().get("/admin", "Cookie", ck); p.status != 303 {
			t.Fatalf("a token of the signed-out session still works: %d", p.status)
		}
	}
	// Idle for longer than a token lives: signed out, and told why.
	b = e.signIn("cat", "editor")
	e.clock.Add(16 * time.Minute)
	p := b.get("/admin")
	if p.status != 303 || !strings.Contains(p.header.Get("Location"), "ended=1") {
		t.Fatalf("idle: %d %q", p.status, p.header.Get("Location"))
	}
	b.get(p.header.Get("Location")).mustHave(t, "您的登录已结束")

	// However busy, a session ends app.MaxSession after signing in.
	b = e.signIn("bob", "editor")
	for elapsed := time.Duration(0); elapsed < app.MaxSession; elapsed += 14 * time.Minute {
		if p := b.get("/admin"); p.status != 200 {
			t.Fatalf("at %v: %d", elapsed, p.status)
		}
		e.clock.Add(14 * time.Minute)
	}
	e.clock.Add(15 * time.Minute)
	if p := b.get("/admin"); p.status != 303 {
		t.Fatalf("past the session's limit: %d", p.status)
	}
}

func TestFavicon(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/favicon.ico", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(r.body), "<svg") {
		t.Fatalf("favicon: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

// Only a trusted proxy's X-Forwarded-Proto makes cookies Secure.
func TestForwardedProtoOnlyFromTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		proxies string
		secure  bool
	}{{"", false}, {"0.0.0.0/32", true}} {
		e := newEnv(t, map[string]string{"PORTAL_TRUSTED_PROXIES": c.proxies})
		p := e.browser().get("/?lang=en", "X-Forwarded-Proto", "https")
		got := strings.Contains(strings.ToLower(strings.Join(p.header.Values("Set-Cookie"), "\n")), "; secure")
		if got != c.secure {
			t.Errorf("proxies %q: Secure %v, want %v: %v", c.proxies, got, c.secure, p.header.Values("Set-Cookie"))
		}
	}
}

package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ethicsportal/app"
)

// browser is a visitor of the pages: it keeps cookies between requests as
// a browser would (paths, expiry), and fills each form's anti-forgery
// token from the last page it saw.
type browser struct {
	e        *env
	jar      *cookiejar.Jar
	lang     string // sent as Accept-Language when set
	lastCSRF string
}

// page is a finished page request.
type page struct {
	status int
	header http.Header
	body   string
}

func (p *page) has(s string) bool { return strings.Contains(p.body, s) }

// mustHave fails the test unless the page holds every one of texts.
func (p *page) mustHave(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !p.has(s) {
			t.Fatalf("page (status %d) lacks %q:\n%s", p.status, s, p.body)
		}
	}
}

var portalURL, _ = url.Parse("http://example.com/")

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, jar: jar}
}

func (b *browser) get(path string, headers ...string) *page {
	b.e.t.Helper()
	return b.send(httptest.NewRequest("GET", path, nil), headers)
}

// post submits form to path as a browser would, adding the token of the
// last page seen unless form carries one.
func (b *browser) post(path string, form url.Values, headers ...string) *page {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok && b.lastCSRF != "" {
		form.Set("_csrf", b.lastCSRF)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req, headers)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

func (b *browser) send(req *http.Request, headers []string) *page {
	b.e.t.Helper()
	u := *portalURL
	u.Path = req.URL.Path
	for _, c := range b.jar.Cookies(&u) {
		req.AddCookie(c)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.e.srv.Fiber().Test(req, -1)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	b.jar.SetCookies(&u, res.Cookies())
	p := &page{status: res.StatusCode, header: res.Header, body: string(raw)}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		b.lastCSRF = m[1]
	}
	return p
}

// signIn creates an administrator with roles and signs a new browser in
// through the console's form.
func (e *env) signIn(name string, roles ...string) *browser {
	e.t.Helper()
	password := "correct horse battery " + name
	if _, err := e.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: name, Password: password, Roles: roles}); err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.get("/admin/login")
	p := b.post("/admin/login", url.Values{"username": {name}, "password": {password}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: %d\n%s", name, p.status, p.body)
	}
	return b
}

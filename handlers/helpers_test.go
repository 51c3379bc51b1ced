package handlers_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/config"
	"ethicsportal/handlers"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// clock is a settable time source shared by an app under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a portal under test: a server on a real SQLite database in a
// temp dir (or the store a test hands in).
type env struct {
	t     *testing.T
	app   *app.App
	srv   *handlers.Server
	clock *clock
	// observe, when set, is shown every request do sends (its body read
	// into body) with the answer: the OpenAPI test checks them all.
	observe func(req *http.Request, body []byte, r *response)
}

// testConfig is the configuration a test starts from: defaults with
// generous rate limits and no TOTP unless the test asks.
func testConfig(t *testing.T, vars map[string]string) config.Config {
	t.Helper()
	base := map[string]string{
		"PORTAL_DATA_DIR":     t.TempDir(),
		"PORTAL_REQUIRE_TOTP": "false",
		"PORTAL_RATE_VERIFY":  "100000/s",
		"PORTAL_RATE_LOGIN":   "100000/s",
		"PORTAL_BASE_URL":     "http://portal.test",
	}
	for k, v := range vars {
		base[k] = v
	}
	l := config.NewLoader(flag.NewFlagSet("test", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := base[k]
		return v, ok
	})
	cfg, err := l.Load()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func newEnv(t *testing.T, vars map[string]string) *env {
	t.Helper()
	cfg := testConfig(t, vars)
	st, err := sqlite.Open(context.Background(), cfg.DataDir+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvOn(t, cfg, st, &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)})
}

// newEnvOn starts an app and server on st, which it closes at the end.
func newEnvOn(t *testing.T, cfg config.Config, st store.Store, ck *clock) *env {
	t.Helper()
	return newEnvWith(t, cfg, st, ck)
}

// newEnvWith is newEnvOn with more app options.
func newEnvWith(t *testing.T, cfg config.Config, st store.Store, ck *clock, opts ...app.Option) *env {
	t.Helper()
	return newEnvLogged(t, cfg, st, ck, io.Discard, opts...)
}

// newEnvLogged is newEnvWith with the server's and app's log written to w.
func newEnvLogged(t *testing.T, cfg config.Config, st store.Store, ck *clock, w io.Writer, opts ...app.Option) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(w, nil))
	opts = append([]app.Option{app.WithStore(st), app.WithClock(ck.Now),
		app.WithPasswordParams(auth.Params{Memory: 64, Time: 1, Threads: 1})}, opts...) // argon2 at production cost would dominate the run
	a, err := app.New(context.Background(), cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &env{t: t, app: a, srv: handlers.New(a, log), clock: ck}
}

// response is a finished request with its decoded JSON body.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r *response) str(key string) string { s, _ := r.json[key].(string); return s }

// do sends a request through the Fiber app. body may be nil, a string or
// []byte (sent as is), or anything else (sent as JSON).
func (e *env) do(method, path string, body any, headers ...string) *response {
	e.t.Helper()
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		sent = raw
	}
	var rd io.Reader
	ctype := ""
	if body != nil {
		rd, ctype = bytes.NewReader(sent), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Fiber().Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{status: res.StatusCode, header: res.Header, body: raw}
	if strings.Contains(res.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &out.json)
	}
	if e.observe != nil {
		e.observe(req, sent, out)
	}
	return out
}

// listen serves the portal on a loopback port for the rest of the test and
// returns its base URL: for what Fiber's in-memory Test cannot show, such
// as the server's own body limit.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go e.srv.Fiber().Listener(ln)
	e.t.Cleanup(func() { e.srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// addUser creates an administrator and returns a signed-in token.
func (e *env) addUser(name string, roles ...string) string {
	e.t.Helper()
	password := "correct horse battery " + name
	if _, err := e.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: name, Password: password, Roles: roles}); err != nil {
		e.t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": password})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	return r.str("access_token")
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// wantProblem asserts an RFC 9457 response with the status and code.
func wantProblem(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	if r.str("code") != code {
		t.Fatalf("code %q, want %q; body %s", r.str("code"), code, r.body)
	}
	if int(r.json["status"].(float64)) != status || r.str("title") == "" || r.str("type") == "" {
		t.Fatalf("incomplete problem: %s", r.body)
	}
}

// totpSecret reads the secret from an otpauth:// enrolment URI, as an
// authenticator app would.
func totpSecret(t *testing.T, uri string) []byte {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	s, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

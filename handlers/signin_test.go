package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"ethicsportal/auth"
)

// deviceCookie returns the device cookie a login response set, checking
// its attributes.
func deviceCookie(t *testing.T, r *response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name != auth.DeviceCookieName {
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Value == "" {
			t.Fatalf("device cookie %+v is not HttpOnly and SameSite=Strict", c)
		}
		return c.Value
	}
	t.Fatalf("the login set no device cookie: %v", r.header.Values("Set-Cookie"))
	return ""
}

// TestGuessingDoesNotLockOutAKnownDevice is finding 9: strangers guessing a
// username's password from many addresses use up its per-username allowance,
// and its owner still gets in from a device that signed in before; without
// that device cookie the cap holds.
func TestGuessingDoesNotLockOutAKnownDevice(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_LOGIN": "10/m", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"})
	e.addUser("alice", "editor")
	e.addUser("bob", "editor")
	right := map[string]string{"username": "alice", "password": "correct horse battery alice"}
	first := e.do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "198.51.100.1")
	if first.status != 200 {
		t.Fatalf("first login: %d %s", first.status, first.body)
	}
	cookie := deviceCookie(t, first)
	bobs := deviceCookie(t, e.do("POST", "/api/v1/auth/login", map[string]string{"username": "bob", "password": "correct horse battery bob"}, "X-Forwarded-For", "198.51.100.2"))
	e.clock.Add(2 * time.Minute) // those sign-ins' counts are over

	wrong := map[string]string{"username": "alice", "password": "not her password at all"}
	for i := 1; i <= 10; i++ {
		wantProblem(t, e.do("POST", "/api/v1/auth/login", wrong, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)), 401, "unauthorized")
	}
	wantProblem(t, e.do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "192.0.2.1"), 429, "rate_limited")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "192.0.2.2",
		"Cookie", auth.DeviceCookieName+"="+bobs), 429, "rate_limited")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "192.0.2.3",
		"Cookie", auth.DeviceCookieName+"="+cookie[:len(cookie)-2]+"AA"), 429, "rate_limited")
	r := e.do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "192.0.2.4", "Cookie", auth.DeviceCookieName+"="+cookie)
	if r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("the right password from a known device: %d %s", r.status, r.body)
	}
	if fresh := deviceCookie(t, r); fresh == cookie {
		t.Fatal("a successful sign-in did not issue a fresh device cookie")
	}
	// Guessing with a stolen device cookie is capped per cookie.
	for i := 2; i <= 10; i++ {
		e.do("POST", "/api/v1/auth/login", wrong, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", 100+i), "Cookie", auth.DeviceCookieName+"="+cookie)
	}
	wantProblem(t, e.do("POST", "/api/v1/auth/login", wrong, "X-Forwarded-For", "198.51.100.200",
		"Cookie", auth.DeviceCookieName+"="+cookie), 429, "rate_limited")
}

func TestDeviceCookieIsSecureUnderTLS(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"})
	e.addUser("alice", "editor")
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "correct horse battery alice"},
		"X-Forwarded-Proto", "https")
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	deviceCookie(t, r)
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, auth.DeviceCookieName+"=") && !strings.Contains(strings.ToLower(c), "; secure") {
			t.Fatalf("device cookie over https is not Secure: %s", c)
		}
	}
}

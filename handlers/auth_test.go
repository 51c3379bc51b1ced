package handlers_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ethicsportal/app"
	"ethicsportal/auth"
)

func TestLoginAndMe(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.addUser("alice", "registrar", "reviewer")
	r := e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...)
	if r.status != 200 || r.str("username") != "alice" || fmt.Sprint(r.json["roles"]) != "[registrar reviewer]" {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("admin response Cache-Control %q, want no-store", cc)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", "admin")
	var bodies []string
	for _, body := range []map[string]string{
		{"username": "alice", "password": "wrong password!!"},
		{"username": "nobody", "password": "correct horse battery alice"},
		{"username": "", "password": ""},
	} {
		r := e.do("POST", "/api/v1/auth/login", body)
		wantProblem(t, r, 401, "unauthorized")
		delete(r.json, "request_id")
		bodies = append(bodies, fmt.Sprint(r.json))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("failed logins differ:\n%s", strings.Join(bodies, "\n"))
	}
}

func TestLoginRejectsUnknownFieldsAndBadBodies(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/api/v1/auth/login", `{"username":"a","password":"b","admin":true}`)
	wantProblem(t, r, 400, "unknown_field")
	if r.str("field") != "admin" {
		t.Fatalf("field %q, want admin", r.str("field"))
	}
	wantProblem(t, e.do("POST", "/api/v1/auth/login", `{"username":`), 400, "invalid_json")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", "{\"username\":\"\xff\"}"), 400, "invalid_utf8")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", `{"username":"a"} {"x":1}`), 400, "invalid_json")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", `{"username":5}`), 400, "invalid_field")
	wantProblem(t, e.do("POST", "/api/v1/auth/login", "username=a", "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type")
}

func TestLoginWithTOTP(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_REQUIRE_TOTP": "true"})
	added, err := e.app.AddUser(context.Background(), app.ActorCLI, app.NewUser{Username: "bob", Password: "a long enough password", Roles: []string{"admin"}})
	if err != nil || !strings.HasPrefix(added.TOTPURI, "otpauth://totp/") {
		t.Fatalf("add user: %v %+v", err, added)
	}
	secret := totpSecret(t, added.TOTPURI)
	code := totpAt(secret, e.clock.Now())
	login := func(code string) *response {
		return e.do("POST", "/api/v1/auth/login", map[string]string{"username": "bob", "password": "a long enough password", "totp": code})
	}
	wantProblem(t, login(""), 401, "unauthorized")
	wantProblem(t, login("000000"), 401, "unauthorized")
	if r := login(code); r.status != 200 {
		t.Fatalf("login with a good code: %d %s", r.status, r.body)
	}
	wantProblem(t, login(code), 401, "unauthorized") // the same code twice is a replay
	e.clock.Add(30 * time.Second)
	if r := login(totpAt(secret, e.clock.Now())); r.status != 200 {
		t.Fatalf("login with the next code: %d %s", r.status, r.body)
	}
}

// totpAt computes an RFC 6238 code independently of the code under test.
func totpAt(secret []byte, t time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

func TestBadTokensAreAllRefused(t *testing.T) {
	e := newEnv(t, nil)
	good := e.addUser("alice", "admin")
	parts := strings.Split(good, ".")
	claims := func() jwt.MapClaims {
		now := e.clock.Now()
		return jwt.MapClaims{"iss": "http://portal.test", "sub": "alice", "aud": auth.TokenAudience,
			"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(), "jti": "x1"}
	}
	header := func(tok string) map[string]any {
		p, _ := jwt.NewParser().Parse(tok, nil)
		return p.Header
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	sign := func(c jwt.MapClaims, key ed25519.PrivateKey, kid any) string {
		tk := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tk.Header["kid"] = kid
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	kid := header(good)["kid"]
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hsTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims()).SignedString([]byte("secret"))
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"alice"`, `"admin"`, 1))) + "." + parts[2]
	otherAud := claims()
	otherAud["aud"] = "someone-else"
	otherIss := claims()
	otherIss["iss"] = "http://evil.test"
	noExp := claims()
	delete(noExp, "exp")

	cases := map[string]string{
		"alg none":            noneTok,
		"HS256":               hsTok,
		"tampered payload":    tampered,
		"another key":         sign(claims(), otherKey, kid),
		"another key, no kid": sign(claims(), otherKey, nil),
		"other audience":      sign(otherAud, otherKey, kid),
		"other issuer":        sign(otherIss, otherKey, kid),
		"no exp":              sign(noExp, otherKey, kid),
		"garbage":             "not.a.token",
		"empty signature":     parts[0] + "." + parts[1] + ".",
	}
	want := ""
	for name, tok := range cases {
		r := e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...)
		wantProblem(t, r, 401, "unauthorized")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: no WWW-Authenticate", name)
		}
		if want == "" {
			want = r.str("detail")
		} else if r.str("detail") != want {
			t.Fatalf("%s: detail %q differs from %q", name, r.str("detail"), want)
		}
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil), 401, "unauthorized")
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil, "Authorization", "Basic YTpi"), 401, "unauthorized")

	// The good token works until it expires.
	if r := e.do("GET", "/api/v1/admin/me", nil, bearer(good)...); r.status != 200 {
		t.Fatalf("good token: %d", r.status)
	}
	e.clock.Add(16 * time.Minute)
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil, bearer(good)...), 401, "unauthorized")
}

func TestLogoutEndsTokenAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.addUser("alice", "admin")
	other := e.addUser("carol", "admin")
	if r := e.do("POST", "/api/v1/auth/logout", nil, bearer(tok)...); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
	wantProblem(t, e.do("POST", "/api/v1/auth/logout", nil, bearer(tok)...), 401, "unauthorized")
	if r := e.do("GET", "/api/v1/admin/me", nil, bearer(other)...); r.status != 200 {
		t.Fatalf("another user's token must survive: %d", r.status)
	}
}

func TestRolesAreCheckedOnAdminRoutes(t *testing.T) {
	e := newEnv(t, nil)
	editor := e.addUser("ed", "editor")
	admin := e.addUser("root", "admin")
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/admin/credentials"},
		{"GET", "/api/v1/admin/credentials/20191100000001"},
		{"POST", "/api/v1/admin/credentials/import"},
	}
	for _, rt := range routes {
		wantProblem(t, e.do(rt.method, rt.path, "{}"), 401, "unauthorized")
		wantProblem(t, e.do(rt.method, rt.path, "{}", bearer(editor)...), 403, "forbidden")
		if r := e.do(rt.method, rt.path, "{}", bearer(admin)...); r.status == 401 || r.status == 403 {
			t.Fatalf("admin on %s %s: %d", rt.method, rt.path, r.status)
		}
	}
}

func TestLoginIsRateLimited(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_LOGIN": "3/m"})
	body := map[string]string{"username": "alice", "password": "wrong wrong wrong"}
	for i := 0; i < 3; i++ {
		wantProblem(t, e.do("POST", "/api/v1/auth/login", body), 401, "unauthorized")
	}
	r := e.do("POST", "/api/v1/auth/login", body)
	wantProblem(t, r, 429, "rate_limited")
	for _, h := range []string{"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
		if r.header.Get(h) == "" {
			t.Fatalf("429 lacks %s", h)
		}
	}
	// Another username from the same IP is still limited by the IP count.
	wantProblem(t, e.do("POST", "/api/v1/auth/login", map[string]string{"username": "bob", "password": "x"}), 429, "rate_limited")
}

func TestLoginIsRateLimitedPerUsernameAcrossIPs(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_LOGIN": "3/m", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"})
	body := map[string]string{"username": "alice", "password": "wrong wrong wrong"}
	for i := 1; i <= 3; i++ {
		wantProblem(t, e.do("POST", "/api/v1/auth/login", body, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)), 401, "unauthorized")
	}
	wantProblem(t, e.do("POST", "/api/v1/auth/login", body, "X-Forwarded-For", "203.0.113.9"), 429, "rate_limited")
	// Another user from a fresh address is not affected.
	wantProblem(t, e.do("POST", "/api/v1/auth/login", map[string]string{"username": "bob", "password": "x"}, "X-Forwarded-For", "203.0.113.10"), 401, "unauthorized")
}

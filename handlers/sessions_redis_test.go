package handlers_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/redis/redistest"
	"ethicsportal/store/sqlite"
)

// redisVars configures an instance to share Redis under this test's prefix.
func redisVars(url, prefix string) map[string]string {
	return map[string]string{"PORTAL_REDIS_URL": url, "PORTAL_REDIS_PREFIX": prefix}
}

// closedRedisURL is a redis:// URL where nothing listens.
func closedRedisURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "redis://" + addr + "/0"
}

// meUntil asks instance e for /admin/me with tok until it answers want (the
// first requests after an instance starts are answered from the store while
// Redis's copy of the deny list is made), failing after five seconds.
func meUntil(t *testing.T, e *env, tok string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...)
		if r.status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/admin/me: %d %s, want %d", r.status, r.body, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCopied waits until e's copy of the deny list is in Redis, from when
// Redis answers its token checks.
func waitCopied(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.app.SessionCopies() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the instance did not copy its sessions to Redis")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With Redis, the deny list and users' states are read from Redis, and a
// logout, a disabled user and a removed role made through one instance
// count on the other's next request, though the other had the user's
// state cached.
func TestSessionsSharedThroughRedis(t *testing.T) {
	cfg := testConfig(t, redisVars(redistest.URL(t), redistest.Prefix(t)))
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["postgres"](t)
	a, b := newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)

	waitCopied(t, b)
	admin := a.addUser("root", "admin")
	bob := a.addUser("bob", "registrar")
	carol := a.addUser("carol", "registrar")
	dave := a.addUser("dave", "registrar", "reviewer")
	for _, tok := range []string{bob, carol, dave} {
		meUntil(t, b, tok, 200) // b caches each state in Redis
	}
	registrarOnly := "/api/v1/admin/credentials/20191100141000123"
	if r := b.do("GET", registrarOnly, nil, bearer(dave)...); r.status != 404 {
		t.Fatalf("dave as registrar: %d %s", r.status, r.body)
	}

	if r := a.do("POST", "/api/v1/auth/logout", nil, bearer(bob)...); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	wantProblem(t, b.do("GET", "/api/v1/admin/me", nil, bearer(bob)...), 401, "unauthorized")

	if r := a.do("PATCH", "/api/v1/admin/users/carol", map[string]any{"disabled": true}, bearer(admin)...); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantProblem(t, b.do("GET", "/api/v1/admin/me", nil, bearer(carol)...), 401, "unauthorized")

	if r := a.do("PATCH", "/api/v1/admin/users/dave", map[string]any{"roles": []string{"reviewer"}}, bearer(admin)...); r.status != 200 {
		t.Fatalf("roles: %d %s", r.status, r.body)
	}
	wantProblem(t, b.do("GET", registrarOnly, nil, bearer(dave)...), 403, "forbidden")
	if r := b.do("GET", "/api/v1/admin/me", nil, bearer(dave)...); r.status != 200 || len(r.json["roles"].([]any)) != 1 {
		t.Fatalf("dave after the change: %d %s", r.status, r.body)
	}
}

// A logout made on an instance that cannot reach Redis is kept by the
// store, which that instance asks; the outbox carries it to Redis, after
// which an instance that reads Redis refuses the token too.
func TestSessionChangeCarriedByOutbox(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["sqlite"](t)
	cut := newEnvOn(t, testConfig(t, redisVars(closedRedisURL(t), prefix)), opener(), ck)
	b := newEnvOn(t, testConfig(t, redisVars(url, prefix)), opener(), ck)

	waitCopied(t, b)
	tok := cut.addUser("erin", "registrar")
	meUntil(t, b, tok, 200)
	if r := cut.do("POST", "/api/v1/auth/logout", nil, bearer(tok)...); r.status != 204 {
		t.Fatalf("logout with Redis out of reach: %d %s", r.status, r.body)
	}
	wantProblem(t, cut.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
	// b's worker takes the message (any instance's may) and writes Redis.
	if _, err := b.app.DrainOutbox(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, b.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
}

// With Redis down, sign-in, tokens, logout and disabling all work from the
// store, at once.
func TestSessionsWithRedisDown(t *testing.T) {
	e := newEnv(t, redisVars(closedRedisURL(t), "down:"))
	admin := e.addUser("root", "admin")
	tok := e.addUser("frank", "registrar")
	start := time.Now()
	if r := e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...); r.status != 200 {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a request took %v with Redis down", took)
	}
	if r := e.do("PATCH", "/api/v1/admin/users/frank", map[string]any{"disabled": true}, bearer(admin)...); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
	if r := e.do("POST", "/api/v1/auth/logout", nil, bearer(admin)...); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/me", nil, bearer(admin)...), 401, "unauthorized")
}

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// A load balancer probing /readyz during a Redis outage gets 503 naming
// redis every time, and the log says so once, not once per probe.
func TestReadyzLogsOutageOnce(t *testing.T) {
	var logs lockedBuffer
	cfg := testConfig(t, redisVars(closedRedisURL(t), "x:"))
	st, err := sqlite.Open(context.Background(), cfg.DataDir+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvLogged(t, cfg, st, &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}, &logs)
	for range 5 {
		wantProblem(t, e.do("GET", "/readyz", nil), 503, "unavailable")
	}
	if n := logs.count(`msg="not ready"`); n != 1 {
		t.Fatalf("%d 'not ready' lines for 5 probes, want 1:\n%s", n, logs.b.String())
	}
	if n := logs.count("level=ERROR"); n != 0 {
		t.Fatalf("%d error lines for an unreachable Redis:\n%s", n, logs.b.String())
	}
}

// An operator's change made by a process without Redis (the CLI run with
// only the database URL) reaches the servers that read Redis through the
// outbox.
func TestSessionChangeFromProcessWithoutRedis(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["postgres"](t)
	b := newEnvOn(t, testConfig(t, redisVars(url, prefix)), opener(), ck)
	cli := newEnvOn(t, testConfig(t, nil), opener(), ck)
	waitCopied(t, b)
	tok := b.addUser("gina", "registrar")
	meUntil(t, b, tok, 200) // cached in Redis as enabled
	yes := true
	if _, err := cli.app.UpdateUser(context.Background(), app.ActorCLI, "gina", app.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.DrainOutbox(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, b.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
}

package handlers_test

import (
	"testing"
	"time"

	"ethicsportal/redis/redistest"
)

// A real Redis stopped under two running instances, and started again
// (empty): verification and sign-in stay limited by the in-process twins,
// search keeps answering, /readyz names Redis, no request waits on the dead
// Redis; once it is back, the limit is shared again without a restart.
func TestRedisFaultAtRuntime(t *testing.T) {
	const bound = time.Second // a refused connection, never a timeout per request
	srv := redistest.NewServer(t)
	srv.Start()
	vars := redisVars(srv.URL(), "fault:")
	vars["PORTAL_RATE_VERIFY"] = "4/h"
	vars["PORTAL_RATE_LOGIN"] = "3/h"
	vars["PORTAL_RATE_SEARCH"] = "100000/s"
	cfg := testConfig(t, vars)
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["sqlite"](t)
	a, b := newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)
	body := `{"certificate_no":"20191100141000123","name":"张三"}`

	// verify sends n verifications to each of envs in turn and returns how
	// many were allowed, failing on a slow answer or anything but 200/429.
	verify := func(phase string, n int, envs ...*env) int {
		t.Helper()
		allowed := 0
		for i := range n {
			e := envs[i%len(envs)]
			start := time.Now()
			r := e.do("POST", "/api/v1/verifications", body)
			if took := time.Since(start); took > bound {
				t.Errorf("%s: request %d took %v", phase, i, took)
			}
			switch r.status {
			case 200:
				allowed++
			case 429:
			default:
				t.Fatalf("%s: request %d: %d %s", phase, i, r.status, r.body)
			}
		}
		return allowed
	}

	if n := verify("redis up", 6, a, b); n != 4 {
		t.Fatalf("redis up: %d of 6 allowed across two instances, want the shared 4", n)
	}

	srv.Stop()
	// Each instance admitted 2 of the shared 4; its own limit of 4 holds
	// the rest.
	for _, e := range []*env{a, b} {
		if n := verify("redis down", 6, e); n != 2 {
			t.Fatalf("redis down: %d of 6 allowed on one instance, want the 2 left of its own 4", n)
		}
	}
	login := map[string]string{"username": "nobody", "password": "wrong password"}
	for range 3 {
		wantProblem(t, a.do("POST", "/api/v1/auth/login", login), 401, "unauthorized")
	}
	wantProblem(t, a.do("POST", "/api/v1/auth/login", login), 429, "rate_limited")
	if r := a.do("GET", "/api/v1/cases?q=x", nil); r.status != 200 {
		t.Fatalf("search with redis down: %d %s", r.status, r.body)
	}
	r := a.do("GET", "/readyz", nil)
	wantProblem(t, r, 503, "unavailable")
	if st := a.app.RedisStats(); !st.BreakerOpen || st.LocalAnswers == 0 {
		t.Fatalf("stats during the outage: %+v", st)
	}

	srv.Start() // empty: the shared budget starts afresh
	for _, e := range []*env{a, b} {
		waitFor(t, "the breaker to close", func() bool {
			e.do("GET", "/api/v1/cases?q=x", nil) // a request lets the breaker probe Redis
			return !e.app.RedisStats().BreakerOpen
		})
	}
	if r := a.do("GET", "/readyz", nil); r.status != 200 {
		t.Fatalf("readyz with redis back: %d %s", r.status, r.body)
	}
	// Both in-process budgets are spent: only the shared limit can allow these.
	if n := verify("redis back", 6, a, b); n != 4 {
		t.Fatalf("redis back: %d of 6 allowed, want the shared 4", n)
	}
}

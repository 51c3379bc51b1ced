package handlers_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"ethicsportal/redis/redistest"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/sqlite"
)

// TestInstancesShareOneStore runs two application instances on one store,
// as a deployment behind a load balancer would, on each backend: tokens
// issued by one are honoured by the other, a logout on one ends the token
// on both, and a register entry written through one verifies on the other.
// sharedBackends makes, per backend, a fresh database and an opener that
// gives a new handle on it each call: one handle per application instance.
func sharedBackends() map[string]func(t *testing.T) func() store.Store {
	return map[string]func(t *testing.T) func() store.Store{
		"sqlite": func(t *testing.T) func() store.Store {
			path := t.TempDir() + "/portal.db"
			return func() store.Store {
				st, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		},
		"postgres": func(t *testing.T) func() store.Store {
			url := pgtest.URL(t)
			return func() store.Store {
				st, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		},
	}
}

// twoInstances starts two application instances, sharing one clock, on
// handles opened by opener on one database.
func twoInstances(t *testing.T, opener func() store.Store) (*env, *env) {
	t.Helper()
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, nil)
	return newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)
}

func TestInstancesShareOneStore(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))

			tok := a.addUser("alice", "registrar")
			if r := b.do("GET", "/api/v1/admin/me", nil, bearer(tok)...); r.status != 200 {
				t.Fatalf("instance B refuses A's token: %d %s", r.status, r.body)
			}
			ja, jb := a.do("GET", "/.well-known/jwks.json", nil), b.do("GET", "/.well-known/jwks.json", nil)
			if string(ja.body) != string(jb.body) {
				t.Fatalf("the instances publish different JWKS:\n%s\n%s", ja.body, jb.body)
			}

			b.registerCredential(tok, nil)
			v := a.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "张伟华"})
			if v.json["match"] != true {
				t.Fatalf("A does not see B's write: %s", v.body)
			}
			if rc := b.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": v.str("receipt")}); rc.json["valid"] != true {
				t.Fatalf("B does not accept A's receipt: %s", rc.body)
			}

			if r := b.do("POST", "/api/v1/auth/logout", nil, bearer(tok)...); r.status != 204 {
				t.Fatalf("logout on B: %d", r.status)
			}
			wantProblem(t, a.do("GET", "/api/v1/admin/me", nil, bearer(tok)...), 401, "unauthorized")
		})
	}
}

// TestInstancesShareOneRateLimitThroughRedis: with PORTAL_REDIS_URL, the
// verification limit holds across instances: 30 requests spread over two
// instances at a limit of 20 an hour let exactly 20 through, and /readyz
// checks Redis.
func TestInstancesShareOneRateLimitThroughRedis(t *testing.T) {
	vars := map[string]string{
		"PORTAL_REDIS_URL":    redistest.URL(t),
		"PORTAL_REDIS_PREFIX": redistest.Prefix(t),
		"PORTAL_RATE_VERIFY":  "20/h",
	}
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["sqlite"](t)
	cfg := testConfig(t, vars)
	a, b := newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	allowed := 0
	for i := range 30 {
		e := a
		if i%2 == 1 {
			e = b
		}
		switch r := e.do("POST", "/api/v1/verifications", body); r.status {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	if allowed != 20 {
		t.Fatalf("%d of 30 verifications allowed across two instances, want 20", allowed)
	}
	if r := a.do("GET", "/readyz", nil); r.status != 200 {
		t.Fatalf("readyz with Redis up: %d %s", r.status, r.body)
	}
}

// TestRedisDownFallsBackAndIsNamed: with Redis unreachable, verification
// is still limited (by the in-process twin, never open), answers at once,
// and /readyz names redis.
func TestRedisDownFallsBackAndIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens there now
	e := newEnv(t, map[string]string{"PORTAL_REDIS_URL": "redis://" + closed + "/0", "PORTAL_RATE_VERIFY": "3/h"})
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	allowed := 0
	for i := range 6 {
		start := time.Now()
		r := e.do("POST", "/api/v1/verifications", body)
		if r.status == 200 {
			allowed++
		} else if r.status != 429 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("request %d took %v with Redis down", i, d)
		}
	}
	if allowed != 3 {
		t.Fatalf("%d of 6 allowed with Redis down, want the fallback's 3", allowed)
	}
	r := e.do("GET", "/readyz", nil)
	wantProblem(t, r, 503, "unavailable")
	if !strings.Contains(r.str("detail"), "redis") {
		t.Fatalf("readyz detail %q does not name redis", r.str("detail"))
	}
}

// TestSearchAnswersSharedThroughRedis: with Redis, a search answer computed
// on one instance serves the same search on another, here one that could
// not open the embedded index the first holds, so it can only answer from
// the shared cache; a publication moves the generation, after which the old
// answer is never served again.
func TestSearchAnswersSharedThroughRedis(t *testing.T) {
	vars := map[string]string{
		"PORTAL_REDIS_URL":    redistest.URL(t),
		"PORTAL_REDIS_PREFIX": redistest.Prefix(t),
		"PORTAL_RATE_SEARCH":  "100000/s",
	}
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["sqlite"](t)
	cfg := testConfig(t, vars)
	a := newEnvOn(t, cfg, opener(), ck)
	b := newEnvOn(t, cfg, opener(), ck) // the index directory is a's
	a.putCase("某小学教师體罰學生案", "朝阳区", []int{5})
	path := "/api/v1/cases?q=" + url.QueryEscape("体罚")
	ra := a.do("GET", path, nil)
	if ra.status != 200 || ra.json["total"] != 1.0 {
		t.Fatalf("a: %d %s", ra.status, ra.body)
	}
	if rb := b.do("GET", path, nil); rb.status != 200 || string(rb.body) != string(ra.body) {
		t.Fatalf("b did not get a's answer from the shared cache: %d %s", rb.status, rb.body)
	}
	a.putCase("某中学教师体罚学生案", "海淀区", []int{5})
	wantProblem(t, b.do("GET", path, nil), 503, "unavailable") // the old answer is not served
	if ra := a.do("GET", path, nil); ra.status != 200 || ra.json["total"] != 2.0 {
		t.Fatalf("a after the publication: %d %s", ra.status, ra.body)
	}
	if rb := b.do("GET", path, nil); rb.status != 200 || rb.json["total"] != 2.0 {
		t.Fatalf("b after a's new answer: %d %s", rb.status, rb.body)
	}
}

package handlers_test

import (
	"context"
	"testing"
	"time"

	"ethicsportal/store/sqlite"
)

// Every request's context carries the configured deadline down to the
// store: with a deadline that has passed before any query runs, each
// request that reads the store is refused with 503, and nothing else is.
func TestRequestDeadlineReachesTheStore(t *testing.T) {
	cfg := testConfig(t, map[string]string{"PORTAL_REQUEST_TIMEOUT": "1s"})
	if cfg.RequestTimeout != time.Second {
		t.Fatalf("PORTAL_REQUEST_TIMEOUT: %v", cfg.RequestTimeout)
	}
	cfg.RequestTimeout = time.Nanosecond // no valid setting is this short; a test may set it directly
	st, err := sqlite.Open(context.Background(), cfg.DataDir+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, cfg, st, &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)})
	if r := e.do("GET", "/healthz", nil); r.status != 200 {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100000000001", "name": "王芳"})
	wantProblem(t, r, 503, "unavailable")
	r = e.do("POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "not a password"})
	wantProblem(t, r, 503, "unavailable")
}

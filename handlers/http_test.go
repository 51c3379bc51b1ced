package handlers_test

import (
	"maps"
	"strings"
	"testing"

	"ethicsportal/redis/redistest"
)

func TestRequestIDs(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/healthz", nil, "X-Request-ID", "abc-123.xyz")
	if got := r.header.Get("X-Request-ID"); got != "abc-123.xyz" {
		t.Fatalf("echoed id %q", got)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("a", 200), "<script>"} {
		r := e.do("GET", "/healthz", nil, "X-Request-ID", bad)
		if got := r.header.Get("X-Request-ID"); got == bad || len(got) != 24 {
			t.Fatalf("for %q got id %q, want a fresh one", bad, got)
		}
	}
	// Errors carry the id too, in the header and in the problem.
	r = e.do("GET", "/nowhere", nil, "X-Request-ID", "trace-1")
	wantProblem(t, r, 404, "not_found")
	if r.header.Get("X-Request-ID") != "trace-1" || r.str("request_id") != "trace-1" {
		t.Fatalf("404 request id: %v %s", r.header, r.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/healthz", "/api/v1/taxonomy", "/nowhere"} {
		r := e.do("GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Fatalf("%s CSP %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Fatalf("%s headers %v", path, r.header)
		}
	}
}

func TestErrorsAreProblems(t *testing.T) {
	e := newEnv(t, nil)
	wantProblem(t, e.do("GET", "/api/v1/nothing", nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/api/v1/taxonomy?x=%ff", nil), 400, "invalid_utf8")
	wantProblem(t, e.do("GET", "/api/v1/%ff", nil), 400, "invalid_utf8")
	wantProblem(t, e.do("POST", "/api/v1/verifications", `{"certificate_no":"1"}`, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	wantProblem(t, e.do("POST", "/api/v1/verifications", "", "Content-Type", "application/json"), 400, "invalid_json")
	wantProblem(t, e.doNet(e.listen(), "POST", "/api/v1/verifications", strings.Repeat(" ", 1<<20+10)), 413, "body_too_large")
}

func TestTaxonomy(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/api/v1/taxonomy", nil)
	if r.status != 200 {
		t.Fatal(r.status)
	}
	count := map[string]int{"districts": 16, "stages": 6, "categories": 10, "ban_scopes": 2, "credential_kinds": 7}
	for k, n := range count {
		list, _ := r.json[k].([]any)
		if len(list) != n {
			t.Fatalf("%s has %d entries, want %d", k, len(list), n)
		}
		for _, item := range list {
			m := item.(map[string]any)
			if m["zh"] == "" || m["en"] == "" || m["id"] == nil {
				t.Fatalf("%s entry %v lacks zh/en/id", k, m)
			}
		}
	}
	cats := r.json["categories"].([]any)
	if c := cats[4].(map[string]any); c["id"] != 5.0 || c["zh"] != "关心爱护学生" {
		t.Fatalf("category 5: %v", c)
	}
	if d := r.json["districts"].([]any)[0].(map[string]any); d["id"] != "东城区" {
		t.Fatalf("first district %v", d)
	}
	sanctions := map[string]bool{}
	for _, s := range r.json["sanctions"].([]any) {
		sanctions[s.(map[string]any)["id"].(string)] = true
	}
	for _, want := range []string{"warning", "demerit", "demotion", "removal", "dismissal", "public_criticism",
		"disqualified_from_honours", "removed_from_teaching", "revoke_qualification", "industry_ban"} {
		if !sanctions[want] {
			t.Fatalf("sanction %s missing", want)
		}
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("GET", "/healthz", nil); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := e.do("GET", "/readyz", nil); r.status != 200 || r.str("status") != "ready" {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	e.do("GET", "/api/v1/taxonomy", nil)
	e.do("GET", "/no/such/page", nil)
	r := e.do("GET", "/metrics", nil)
	body := string(r.body)
	for _, want := range []string{
		`portal_http_requests_total{method="GET",route="/api/v1/taxonomy",status="200"} 1`,
		`portal_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`portal_http_request_duration_seconds_bucket{method="GET",route="/api/v1/taxonomy"`,
		"portal_outbox_pending 0", "portal_outbox_lag_seconds 0", "portal_outbox_delivered_total 0",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %s:\n%s", want, body)
		}
	}
	// A closed store makes /readyz name it.
	e.app.Store().Close()
	r = e.do("GET", "/readyz", nil)
	wantProblem(t, r, 503, "unavailable")
	if !strings.Contains(r.str("detail"), "store") {
		t.Fatalf("readyz detail %q does not name the store", r.str("detail"))
	}
}

// eachLimiter runs fn once with the in-process limiter and once with the
// limiter shared through Redis, with vars added to each configuration.
func eachLimiter(t *testing.T, vars map[string]string, fn func(t *testing.T, e *env)) {
	for _, name := range []string{"memory", "redis"} {
		t.Run(name, func(t *testing.T) {
			all := maps.Clone(vars)
			if name == "redis" {
				maps.Copy(all, redisVars(redistest.URL(t), redistest.Prefix(t)))
			}
			fn(t, newEnv(t, all))
		})
	}
}

func TestClientIPIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	eachLimiter(t, map[string]string{"PORTAL_RATE_VERIFY": "1/h"}, func(t *testing.T, e *env) {
		body := `{"certificate_no":"20191100141000123","name":"张三"}`
		if r := e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", "203.0.113.1"); r.status != 200 {
			t.Fatal(r.status)
		}
		// A client cannot escape its limit by claiming another address.
		wantProblem(t, e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", "203.0.113.2"), 429, "rate_limited")
	})
}

func TestClientIPBehindTrustedProxy(t *testing.T) {
	// Fiber's test transport connects from 0.0.0.0.
	eachLimiter(t, map[string]string{"PORTAL_RATE_VERIFY": "1/h", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"}, func(t *testing.T, e *env) {
		body := `{"certificate_no":"20191100141000123","name":"张三"}`
		for _, xff := range []string{"203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.3"} {
			if r := e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", xff); r.status != 200 {
				t.Fatalf("%s: %d", xff, r.status)
			}
		}
		// The rightmost untrusted hop counts: a spoofed left part does not help.
		wantProblem(t, e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", "10.9.9.9, 203.0.113.3"), 429, "rate_limited")
	})
}

// TestIPv6ClientsAreLimitedPerAllocation: a client that rotates addresses
// inside its /64 keeps one limit; a client in another /64 has its own.
func TestIPv6ClientsAreLimitedPerAllocation(t *testing.T) {
	eachLimiter(t, map[string]string{"PORTAL_RATE_VERIFY": "2/h", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"}, func(t *testing.T, e *env) {
		body := `{"certificate_no":"20191100141000123","name":"张三"}`
		for _, xff := range []string{"2001:db8:5:6::1", "2001:db8:5:6:a:b:c:d"} {
			if r := e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", xff); r.status != 200 {
				t.Fatalf("%s: %d", xff, r.status)
			}
		}
		wantProblem(t, e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", "2001:db8:5:6:ffff::99"), 429, "rate_limited")
		if r := e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", "2001:db8:5:7::1"); r.status != 200 {
			t.Fatalf("another /64 refused: %d %s", r.status, r.body)
		}
	})
}

// Behind a trusted proxy, an X-Forwarded-For element with a port counts as
// its address, empty elements are skipped, and an element that is no
// address makes the proxy stand for the client.
func TestForwardedForForms(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_VERIFY": "1/h", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"})
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	for _, xff := range []string{"7.7.7.7:1234", "[2001:db8:1:3::2]:443", "14.14.14.14,,,", "unknown"} {
		if r := e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", xff); r.status != 200 {
			t.Fatalf("%s: %d, want its own allowance", xff, r.status)
		}
	}
	for _, same := range []string{"7.7.7.7", "2001:db8:1:3::99", "14.14.14.14", "notanip"} {
		wantProblem(t, e.do("POST", "/api/v1/verifications", body, "X-Forwarded-For", same), 429, "rate_limited")
	}
}

package handlers_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	clientIDPattern = regexp.MustCompile(`^cl_[a-z2-7]{16}$`)
	apiKeyPattern   = regexp.MustCompile(`^epk_cl_[a-z2-7]{16}_[a-z2-7]{32}$`)
)

// newClient creates a school client as the admin with token root and
// returns the creation's answer, failing the test unless it is 201.
func (e *env) newClient(root, name string, scopes ...string) *response {
	e.t.Helper()
	r := e.do("POST", "/api/v1/admin/clients", map[string]any{"name": name, "scopes": scopes}, bearer(root)...)
	if r.status != 201 {
		e.t.Fatalf("create client %s: %d %s", name, r.status, r.body)
	}
	return r
}

func apiKey(key string) []string { return []string{"X-API-Key", key} }

// eligibilityBy makes an eligibility check with the headers given.
func (e *env) eligibilityBy(headers ...string) *response {
	e.t.Helper()
	return e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idNumber(7), "name": "王五"}, headers...)
}

// checksOf returns a client's own checks, as GET /api/v1/client/checks
// answers them.
func (e *env) checksOf(key string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/api/v1/client/checks", nil, apiKey(key)...)
	if r.status != 200 {
		e.t.Fatalf("client checks: %d %s", r.status, r.body)
	}
	var out []map[string]any
	for _, c := range r.json["checks"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// TestClientKeyStates: a school client's key on two instances of one
// store, through every state: valid, unknown, garbage, without the scope,
// disabled, enabled again, rotated (the old key within its grace period
// and after it, the new key). Every refusal of a key reads the same.
func TestClientKeyStates(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			root := a.addUser("root", "admin")
			x := a.newClient(root, "北京市第一中学", "eligibility", "watch", "eligibility")
			keyX := x.str("api_key")
			if !clientIDPattern.MatchString(x.str("client_id")) || !apiKeyPattern.MatchString(keyX) ||
				!strings.HasPrefix(keyX, "epk_"+x.str("client_id")+"_") || len(x.str("secret")) != 43 {
				t.Fatalf("creation answer: %s", x.body)
			}
			if sc := x.json["scopes"].([]any); len(sc) != 2 || sc[0] != "eligibility" || sc[1] != "watch" {
				t.Fatalf("scopes %v, want [eligibility watch]", sc)
			}
			if x.header.Get("Location") != "/api/v1/admin/clients/"+x.str("client_id") {
				t.Fatalf("Location %q", x.header.Get("Location"))
			}
			idX := x.str("client_id")
			y := a.newClient(root, "北京市第二中学", "verify_batch")
			keyY := y.str("api_key")

			// Kept hashed: the store has SHA-256 of the key and of the secret, never either.
			stored, err := a.app.Store().ClientByID(context.Background(), idX)
			if err != nil {
				t.Fatal(err)
			}
			kh, sh := sha256.Sum256([]byte(keyX)), sha256.Sum256([]byte(x.str("secret")))
			if string(stored.KeyHash) != string(kh[:]) || string(stored.SecretHash) != string(sh[:]) || stored.SecretVersion != 1 {
				t.Fatalf("stored client: %+v", stored)
			}
			// Keys and secrets are shown once: never in the list.
			list := a.do("GET", "/api/v1/admin/clients", nil, bearer(root)...)
			if list.status != 200 || len(list.json["clients"].([]any)) != 2 ||
				strings.Contains(string(list.body), keyX) || strings.Contains(string(list.body), x.str("secret")) ||
				strings.Contains(string(list.body), "api_key") || strings.Contains(string(list.body), "secret") {
				t.Fatalf("list: %d %s", list.status, list.body)
			}

			// A valid key with the scope, on either instance.
			for _, e := range []*env{a, b} {
				if r := e.eligibilityBy(apiKey(keyX)...); r.status != 200 || r.json["match"] != false || r.str("receipt") == "" {
					t.Fatalf("eligibility with a valid key: %d %s", r.status, r.body)
				}
			}
			refused := func(e *env, what string, headers ...string) string {
				t.Helper()
				r := e.eligibilityBy(headers...)
				if r.status != 401 {
					t.Fatalf("%s: %d %s, want 401", what, r.status, r.body)
				}
				wantProblem(t, r, 401, "unauthorized")
				return r.str("detail")
			}
			unknown := "epk_" + idX[:len(idX)-1] + "a_" + strings.Repeat("a", 32)
			if unknown[4:len(idX)+4] == idX {
				unknown = "epk_" + idX[:len(idX)-1] + "b_" + strings.Repeat("a", 32)
			}
			detail := refused(b, "unknown client", apiKey(unknown)...)
			for what, k := range map[string]string{
				"garbage":            "hello",
				"wrong secret":       keyX[:len(keyX)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(keyX, "a")],
				"upper case":         strings.ToUpper(keyX),
				"X's secret, Y's id": "epk_" + y.str("client_id") + keyX[len("epk_")+len(idX):],
			} {
				if d := refused(b, what, apiKey(k)...); d != detail {
					t.Errorf("%s: detail %q, want the same as for an unknown key (%q)", what, d, detail)
				}
			}
			wantProblem(t, b.eligibilityBy(), 401, "unauthorized")
			// A valid key without the scope.
			wantProblem(t, b.eligibilityBy(apiKey(keyY)...), 403, "forbidden")

			// Disabled on A: refused on B at once, as any bad key; enabled again: accepted.
			if r := a.do("PATCH", "/api/v1/admin/clients/"+idX, map[string]any{"disabled": true}, bearer(root)...); r.status != 200 || r.json["disabled"] != true {
				t.Fatalf("disable: %d %s", r.status, r.body)
			}
			if d := refused(b, "disabled", apiKey(keyX)...); d != detail {
				t.Errorf("disabled: detail %q, want %q", d, detail)
			}
			wantProblem(t, b.do("GET", "/api/v1/client/checks", nil, apiKey(keyX)...), 401, "unauthorized")
			if r := a.do("PATCH", "/api/v1/admin/clients/"+idX, map[string]any{"disabled": false}, bearer(root)...); r.status != 200 || r.json["disabled"] != false {
				t.Fatalf("enable: %d %s", r.status, r.body)
			}
			if r := b.eligibilityBy(apiKey(keyX)...); r.status != 200 {
				t.Fatalf("enabled again: %d %s", r.status, r.body)
			}

			// Rotated on A: the new key works at once; the old one for 24 hours.
			rot := a.do("POST", "/api/v1/admin/clients/"+idX+"/rotate", nil, bearer(root)...)
			newKey := rot.str("api_key")
			if rot.status != 200 || !apiKeyPattern.MatchString(newKey) || newKey == keyX || rot.str("client_id") != idX {
				t.Fatalf("rotate: %d %s", rot.status, rot.body)
			}
			until, err := time.Parse(time.RFC3339, rot.str("previous_key_until"))
			if err != nil || !until.Equal(a.clock.Now().Add(24*time.Hour)) {
				t.Fatalf("previous_key_until %q, want 24 h from now", rot.str("previous_key_until"))
			}
			if r := b.eligibilityBy(apiKey(newKey)...); r.status != 200 {
				t.Fatalf("new key: %d %s", r.status, r.body)
			}
			a.clock.Add(24*time.Hour - time.Second)
			if r := b.eligibilityBy(apiKey(keyX)...); r.status != 200 {
				t.Fatalf("old key within its grace period: %d %s", r.status, r.body)
			}
			a.clock.Add(time.Second)
			if d := refused(b, "old key after its grace period", apiKey(keyX)...); d != detail {
				t.Errorf("expired key: detail %q, want %q", d, detail)
			}
			if r := b.eligibilityBy(apiKey(newKey)...); r.status != 200 {
				t.Fatalf("new key after the grace period: %d %s", r.status, r.body)
			}
			// A second rotation ends the key it replaces after its own grace
			// period, and the first key stays refused.
			login := a.do("POST", "/api/v1/auth/login", map[string]string{"username": "root", "password": "correct horse battery root"})
			root = login.str("access_token") // the first one expired with the day that passed
			rot2 := a.do("POST", "/api/v1/admin/clients/"+idX+"/rotate", nil, bearer(root)...)
			if rot2.status != 200 {
				t.Fatalf("second rotation: %d %s", rot2.status, rot2.body)
			}
			for k, want := range map[string]int{keyX: 401, newKey: 200, rot2.str("api_key"): 200} {
				if r := b.eligibilityBy(apiKey(k)...); r.status != want {
					t.Errorf("after the second rotation: %d, want %d (%s)", r.status, want, r.body)
				}
			}

			// Every admin change is an audit event naming the admin.
			audit := a.do("GET", "/api/v1/admin/audit?limit=1000", nil, bearer(root)...)
			counts := map[string]int{}
			for _, ev := range audit.json["events"].([]any) {
				m := ev.(map[string]any)
				if act, _ := m["action"].(string); strings.HasPrefix(act, "client.") {
					if m["actor"] != "root" {
						t.Errorf("%s by %v, want root", act, m["actor"])
					}
					for _, secret := range []string{keyX, newKey, x.str("secret")} {
						if strings.Contains(fmt.Sprint(m), secret) {
							t.Errorf("%s holds a key or secret: %v", act, m)
						}
					}
					counts[act]++
				}
			}
			if counts["client.create"] != 2 || counts["client.update"] != 2 || counts["client.rotate_key"] != 2 {
				t.Fatalf("audited client events %v, want 2 creations, 2 updates, 2 rotations", counts)
			}
		})
	}
}

// TestClientChecksAndUsage: each client reads its own checks and never
// another's; an admin reads any client's usage, paged; no ID number is
// kept.
func TestClientChecksAndUsage(t *testing.T) {
	e := newEnv(t, nil)
	root := e.addUser("root", "admin")
	registrar := e.addUser("reg", "registrar")
	x := e.newClient(root, "School X", "eligibility")
	y := e.newClient(root, "School Y", "eligibility", "verify_batch")
	keyX, keyY := x.str("api_key"), y.str("api_key")

	var receiptsX []string
	for range 2 {
		r := e.eligibilityBy(apiKey(keyX)...)
		if r.status != 200 {
			t.Fatalf("eligibility: %d %s", r.status, r.body)
		}
		receiptsX = append(receiptsX, receiptClaims(t, r.str("receipt"))["jti"].(string))
	}
	if r := e.eligibilityBy(apiKey(keyY)...); r.status != 200 {
		t.Fatalf("eligibility: %d %s", r.status, r.body)
	}
	// An admin's own check is nobody's client usage.
	if r := e.eligibilityBy(bearer(registrar)...); r.status != 200 {
		t.Fatalf("eligibility by a registrar: %d %s", r.status, r.body)
	}

	cx, cy := e.checksOf(keyX), e.checksOf(keyY)
	if len(cx) != 2 || len(cy) != 1 {
		t.Fatalf("X sees %d checks, Y %d; want 2 and 1", len(cx), len(cy))
	}
	for i, c := range cx {
		if c["kind"] != "eligibility" || c["match"] != false || c["receipt_id"] != receiptsX[len(receiptsX)-1-i] {
			t.Errorf("X's check %d: %v (newest first, receipts %v)", i, c, receiptsX)
		}
		if _, ok := c["certificate_no"]; ok {
			t.Errorf("an eligibility check names a certificate: %v", c)
		}
	}
	if r := e.do("GET", "/api/v1/client/checks", nil, apiKey(keyX)...); strings.Contains(string(r.body), idNumber(7)) ||
		strings.Contains(string(r.body), y.str("client_id")) || r.str("client_id") != x.str("client_id") {
		t.Fatalf("X's checks: %s", r.body)
	}
	// A key opens no admin route, and a token no school route.
	wantProblem(t, e.do("GET", "/api/v1/admin/clients/"+y.str("client_id")+"/usage", nil, apiKey(keyX)...), 401, "unauthorized")
	wantProblem(t, e.do("GET", "/api/v1/client/checks", nil, bearer(root)...), 401, "unauthorized")

	// The admin reads any client's usage, paged.
	r := e.do("GET", "/api/v1/admin/clients/"+x.str("client_id")+"/usage?per_page=1&page=2", nil, bearer(root)...)
	checks, _ := r.json["checks"].([]any)
	if r.status != 200 || r.json["total"] != float64(2) || len(checks) != 1 || checks[0].(map[string]any)["receipt_id"] != receiptsX[0] {
		t.Fatalf("usage page 2 of X: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/clients/"+x.str("client_id")+"/usage", nil, bearer(registrar)...), 403, "forbidden")
	wantProblem(t, e.do("GET", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa/usage", nil, bearer(root)...), 404, "not_found")
	wantProblem(t, e.do("GET", "/api/v1/admin/clients/"+x.str("client_id")+"/usage?per_page=101", nil, bearer(root)...), 400, "invalid_field")
	wantProblem(t, e.do("GET", "/api/v1/client/checks?page=0", nil, apiKey(keyX)...), 400, "invalid_field")
}

// TestClientRateLimit: each key has its own allowance (PORTAL_RATE_CLIENT);
// past it, 429 with Retry-After and the RateLimit headers.
func TestClientRateLimit(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_CLIENT": "3/m"})
	root := e.addUser("root", "admin")
	keyX := e.newClient(root, "School X", "eligibility").str("api_key")
	keyY := e.newClient(root, "School Y", "eligibility").str("api_key")
	for i, want := range []string{"2", "1", "0"} {
		r := e.eligibilityBy(apiKey(keyX)...)
		if r.status != 200 || r.header.Get("RateLimit-Limit") != "3" || r.header.Get("RateLimit-Remaining") != want {
			t.Fatalf("check %d: %d, RateLimit-Limit %q, -Remaining %q; want 200, 3, %s", i, r.status,
				r.header.Get("RateLimit-Limit"), r.header.Get("RateLimit-Remaining"), want)
		}
	}
	r := e.eligibilityBy(apiKey(keyX)...)
	wantProblem(t, r, 429, "rate_limited")
	if r.header.Get("Retry-After") != "20" || r.header.Get("RateLimit-Limit") != "3" || r.header.Get("RateLimit-Remaining") != "0" || r.header.Get("RateLimit-Reset") == "" {
		t.Fatalf("429 headers: %v", r.header)
	}
	// The refused check is not recorded; the other key is not limited.
	if n := len(e.checksOf(keyY)); n != 0 {
		t.Fatalf("Y has %d checks before its first", n)
	}
	wantProblem(t, e.do("GET", "/api/v1/client/checks", nil, apiKey(keyX)...), 429, "rate_limited")
	if r := e.eligibilityBy(apiKey(keyY)...); r.status != 200 {
		t.Fatalf("another key: %d %s", r.status, r.body)
	}
	e.clock.Add(20 * time.Second)
	if r := e.eligibilityBy(apiKey(keyX)...); r.status != 200 {
		t.Fatalf("after Retry-After: %d %s", r.status, r.body)
	}
}

// TestClientBadInput: bad creations and changes are clear problems and
// create or change nothing.
func TestClientBadInput(t *testing.T) {
	e := newEnv(t, nil)
	root := e.addUser("root", "admin")
	editor := e.addUser("ed", "editor")
	create := func(body any, headers ...string) *response {
		return e.do("POST", "/api/v1/admin/clients", body, append(bearer(root), headers...)...)
	}
	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown scope", map[string]any{"name": "S", "scopes": []string{"eligibility", "admin"}}, 400, "invalid_field", "scopes"},
		{"empty scopes", map[string]any{"name": "S", "scopes": []string{}}, 400, "missing_field", "scopes"},
		{"no scopes", map[string]any{"name": "S"}, 400, "missing_field", "scopes"},
		{"scopes not a list", map[string]any{"name": "S", "scopes": "watch"}, 400, "invalid_field", "scopes"},
		{"unknown field", map[string]any{"name": "S", "scopes": []string{"watch"}, "api_key": "mine"}, 400, "unknown_field", ""},
		{"long name", map[string]any{"name": strings.Repeat("校", 101), "scopes": []string{"watch"}}, 400, "invalid_field", "name"},
		{"empty name", map[string]any{"name": "  ", "scopes": []string{"watch"}}, 400, "missing_field", "name"},
		{"control character", map[string]any{"name": "S\u0007", "scopes": []string{"watch"}}, 400, "invalid_field", "name"},
		{"bidi override", map[string]any{"name": "S\u202e", "scopes": []string{"watch"}}, 400, "invalid_field", "name"},
		{"line break", map[string]any{"name": "S\nT", "scopes": []string{"watch"}}, 400, "invalid_field", "name"},
	} {
		r := create(c.body)
		wantProblem(t, r, c.status, c.code)
		if c.field != "" && r.str("field") != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.name, r.str("field"), c.field, r.body)
		}
	}
	wantProblem(t, e.do("POST", "/api/v1/admin/clients", "name=S", append(bearer(root), "Content-Type", "text/plain")...), 415, "unsupported_media_type")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients", map[string]any{"name": "S", "scopes": []string{"watch"}}, bearer(editor)...), 403, "forbidden")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients", map[string]any{"name": "S", "scopes": []string{"watch"}}), 401, "unauthorized")

	if r := e.do("GET", "/api/v1/admin/clients", nil, bearer(root)...); r.status != 200 || len(r.json["clients"].([]any)) != 0 {
		t.Fatalf("clients after bad creations: %d %s", r.status, r.body)
	}
	// The longest name is fine.
	x := e.newClient(root, strings.Repeat("校", 100), "watch")
	id := x.str("client_id")

	for _, c := range []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"empty patch", "/api/v1/admin/clients/" + id, map[string]any{}, 400, "missing_field"},
		{"disabled not a boolean", "/api/v1/admin/clients/" + id, map[string]any{"disabled": "yes"}, 400, "invalid_field"},
		{"unknown field", "/api/v1/admin/clients/" + id, map[string]any{"disabled": true, "name": "T"}, 400, "unknown_field"},
		{"unknown client", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa", map[string]any{"disabled": true}, 404, "not_found"},
	} {
		wantProblem(t, e.do("PATCH", c.path, c.body, bearer(root)...), c.status, c.code)
	}
	wantProblem(t, e.do("POST", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa/rotate", nil, bearer(root)...), 404, "not_found")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients/"+id+"/rotate", nil, bearer(editor)...), 403, "forbidden")
	list := e.do("GET", "/api/v1/admin/clients", nil, bearer(root)...)
	cs := list.json["clients"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["disabled"] != false || cs[0].(map[string]any)["previous_key_until"] != nil {
		t.Fatalf("the client after refused changes: %s", list.body)
	}
	// Setting the state a client has already changes nothing and audits nothing.
	if r := e.do("PATCH", "/api/v1/admin/clients/"+id, map[string]any{"disabled": false}, bearer(root)...); r.status != 200 {
		t.Fatalf("no-op patch: %d %s", r.status, r.body)
	}
	audit := e.do("GET", "/api/v1/admin/audit?limit=1000", nil, bearer(root)...)
	n := 0
	for _, ev := range audit.json["events"].([]any) {
		if a, _ := ev.(map[string]any)["action"].(string); strings.HasPrefix(a, "client.") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d client audit events, want the one creation", n)
	}
}

// Two X-API-Key headers are refused, whichever is valid.
func TestSeveralAPIKeyHeaders(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	key := e.newClient(tm.admin, "朝阳区某小学", "verify_batch", "eligibility", "watch").str("api_key")
	if r := e.do("GET", "/api/v1/client/checks", nil, "X-API-Key", key); r.status != 200 {
		t.Fatalf("one key: %d %s", r.status, r.body)
	}
	req := httptest.NewRequest("GET", "/api/v1/client/checks", nil)
	req.Header.Add("X-API-Key", key)
	req.Header.Add("X-API-Key", key)
	res, err := e.srv.Fiber().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("two X-API-Key headers: %d, want 401", res.StatusCode)
	}
}

// An eligibility body with a field the API does not know is refused, by
// key and by token alike, and records nothing.
func TestEligibilityUnknownField(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	key := e.newClient(tm.admin, "朝阳区某小学", "eligibility").str("api_key")
	body := map[string]any{"id_number": idNumber(7), "name": "王五", "idnumber": "x"}
	wantProblem(t, e.do("POST", "/api/v1/eligibility", body, apiKey(key)...), 400, "unknown_field")
	wantProblem(t, e.do("POST", "/api/v1/eligibility", body, bearer(tm.registrar)...), 400, "unknown_field")
	if checks := e.checksOf(key); len(checks) != 0 {
		t.Fatalf("a refused check was recorded: %v", checks)
	}
}

package handlers_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// registerCredential adds a credential through the admin API.
func (e *env) registerCredential(token string, fields map[string]string) {
	e.t.Helper()
	body := map[string]string{
		"certificate_no": "20191100141000123", "holder_name": "张伟华", "kind": "senior_secondary",
		"subject": "数学", "issuer": "北京市海淀区教育委员会", "issued_on": "2019-07-01", "registered_until": "2029-06-30",
	}
	for k, v := range fields {
		body[k] = v
	}
	r := e.do("POST", "/api/v1/admin/credentials", body, bearer(token)...)
	if r.status != 201 {
		e.t.Fatalf("register credential: %d %s", r.status, r.body)
	}
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestVerifyMatchAndNormalisation(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	for _, in := range []struct{ no, name string }{
		{"20191100141000123", "张伟华"},
		{"2019-1100-1410-00123", "张伟华"},
		{" 2019 1100 1410 00123 ", " 张伟华 "},
		{"２０１９１１００１４１０００１２３", "張偉華"}, // full-width digits, Traditional name
		{"2019\u2013110014100\u20140123", "張偉華"},
	} {
		r := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": in.no, "name": in.name})
		if r.status != 200 || r.json["match"] != true {
			t.Fatalf("%q/%q: %d %s", in.no, in.name, r.status, r.body)
		}
		if r.str("status") != "active" || r.json["eligible"] != true {
			t.Fatalf("%q: status %q eligible %v", in.no, r.str("status"), r.json["eligible"])
		}
		cred := r.json["credential"].(map[string]any)
		if cred["certificate_no"] != "20191100141000123" || cred["holder_name"] != "张伟华" || cred["registered_until"] != "2029-06-30" {
			t.Fatalf("credential: %v", cred)
		}
		if _, leaked := cred["id_number"]; leaked {
			t.Fatal("verification must not show an ID number")
		}
		if got := keys(r.json); got != "bans,checked_at,credential,eligible,match,receipt,status" {
			t.Fatalf("match keys %s", got)
		}
	}
}

func TestVerifyMissesLookTheSame(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	unknown := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100999999999", "name": "张伟华"})
	wrongName := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "李四"})
	for _, r := range []*response{unknown, wrongName} {
		if r.status != 200 || r.json["match"] != false {
			t.Fatalf("miss: %d %s", r.status, r.body)
		}
		if got := keys(r.json); got != "checked_at,match,receipt" {
			t.Fatalf("miss keys %s, want only checked_at,match,receipt", got)
		}
	}
	// The receipts differ only in what was asked and when.
	c1, c2 := receiptClaims(t, unknown.str("receipt")), receiptClaims(t, wrongName.str("receipt"))
	if st, ok := c1["status"]; !ok || st != nil || c1["match"] != false || c1["eligible"] != false {
		t.Fatalf("miss receipt claims %v, want status null, match and eligible false", c1)
	}
	for _, k := range []string{"iat", "jti", "checked_at", "certificate_no", "name"} {
		delete(c1, k)
		delete(c2, k)
	}
	if !reflect.DeepEqual(c1, c2) {
		t.Fatalf("miss receipts differ: %v vs %v", c1, c2)
	}
}

func TestVerifyBadInput(t *testing.T) {
	e := newEnv(t, nil)
	for name, tc := range map[string]struct {
		body  string
		code  string
		field string
	}{
		"empty number":    {`{"certificate_no":"","name":"张三"}`, "missing_field", "certificate_no"},
		"only hyphens":    {`{"certificate_no":"---","name":"张三"}`, "missing_field", "certificate_no"},
		"symbols":         {`{"certificate_no":"2019*1100","name":"张三"}`, "invalid_field", "certificate_no"},
		"too long":        {`{"certificate_no":"` + strings.Repeat("1", 41) + `","name":"张三"}`, "invalid_field", "certificate_no"},
		"no name":         {`{"certificate_no":"20191100141000123"}`, "missing_field", "name"},
		"long name":       {`{"certificate_no":"20191100141000123","name":"` + strings.Repeat("张", 65) + `"}`, "invalid_field", "name"},
		"number as int":   {`{"certificate_no":2019,"name":"张三"}`, "invalid_field", "certificate_no"},
		"array":           {`[1,2]`, "invalid_json", ""},
		"not json":        {`certificate_no=1`, "invalid_json", ""},
		"control in name": {`{"certificate_no":"20191100141000123","name":"张\u0007三"}`, "invalid_field", "name"},
	} {
		r := e.do("POST", "/api/v1/verifications", tc.body)
		wantProblem(t, r, 400, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("%s: field %q, want %q", name, r.str("field"), tc.field)
		}
	}
}

func TestVerifyLapsed(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, map[string]string{"issued_on": "2014-07-01", "registered_until": "2019-06-30"})
	r := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "张伟华"})
	if r.json["match"] != true || r.str("status") != "lapsed" || r.json["eligible"] != false {
		t.Fatalf("lapsed credential: %s", r.body)
	}
}

func receiptClaims(t *testing.T, receipt string) map[string]any {
	t.Helper()
	parts := strings.Split(receipt, ".")
	if len(parts) != 3 {
		t.Fatalf("receipt %q is not a compact JWS", receipt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReceiptVerifiesOfflineWithJWKS does what a school's auditor would:
// fetch the JWKS once, then check a receipt with no further help.
func TestReceiptVerifiesOfflineWithJWKS(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	v := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "張偉華"})
	jwks := e.do("GET", "/.well-known/jwks.json", nil)
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid, Alg string }
	}
	if err := json.Unmarshal(jwks.body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %s", err, jwks.body)
	}
	k := set.Keys[0]
	if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "EdDSA" || k.Kid == "" {
		t.Fatalf("jwk: %+v", k)
	}
	pub, _ := base64.RawURLEncoding.DecodeString(k.X)
	tok, err := jwt.Parse(v.str("receipt"), func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != k.Kid {
			return nil, fmt.Errorf("kid %v not in JWKS", tk.Header["kid"])
		}
		return ed25519.PublicKey(pub), nil
	}, jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil {
		t.Fatalf("receipt does not verify offline: %v", err)
	}
	c := tok.Claims.(jwt.MapClaims)
	for _, claim := range []string{"iss", "iat", "jti", "certificate_no", "match", "status", "eligible", "checked_at"} {
		if _, ok := c[claim]; !ok {
			t.Fatalf("receipt lacks claim %s: %v", claim, c)
		}
	}
	if c["certificate_no"] != "20191100141000123" || c["match"] != true || c["status"] != "active" || c["eligible"] != true || c["iss"] != "http://portal.test" {
		t.Fatalf("receipt claims: %v", c)
	}
	// Token keys are not receipt keys: the JWKS must not verify admin tokens.
	if _, err := jwt.Parse(reg, func(*jwt.Token) (any, error) { return ed25519.PublicKey(pub), nil }); err == nil {
		t.Fatal("an admin token verified with the receipt key")
	}
}

func TestReceiptCheck(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	v := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "张伟华"})
	receipt := v.str("receipt")

	r := e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": receipt})
	if r.status != 200 || r.json["valid"] != true || r.json["changed"] != false {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	if cur := r.json["current"].(map[string]any); cur["match"] != true || cur["status"] != "active" {
		t.Fatalf("current: %v", cur)
	}
	if cl := r.json["claims"].(map[string]any); cl["certificate_no"] != "20191100141000123" || cl["match"] != true {
		t.Fatalf("claims: %v", cl)
	}

	// A changed register entry shows as changed (the holder's name was corrected).
	id := e.propose(reg, map[string]any{"kind": "correct_credential", "certificate_no": "20191100141000123", "holder_name": "张卫华", "reason": "姓名更正"})
	if r := e.approve(e.addUser("rev", "reviewer"), id); r.status != 200 {
		t.Fatalf("approve the correction: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": receipt})
	if r.json["valid"] != true || r.json["changed"] != true || r.json["current"].(map[string]any)["match"] != false {
		t.Fatalf("after the change: %s", r.body)
	}

	// Altered or foreign receipts are not valid, and say so without an error.
	parts := strings.Split(receipt, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"match":true`, `"match":false`, 1)
	for name, bad := range map[string]string{
		"tampered": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2],
		"token":    reg,
		"garbage":  "abc",
	} {
		r := e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": bad})
		if r.status != 200 || r.json["valid"] != false || r.json["current"] != nil {
			t.Fatalf("%s receipt: %d %s", name, r.status, r.body)
		}
	}
	wantProblem(t, e.do("POST", "/api/v1/receipts/check", `{}`), 400, "missing_field")
}

func TestVerifyIsRateLimited(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_VERIFY": "2/m"})
	body := map[string]string{"certificate_no": "20191100141000123", "name": "张三"}
	first := e.do("POST", "/api/v1/verifications", body)
	if first.status != 200 || first.header.Get("RateLimit-Limit") != "2" || first.header.Get("RateLimit-Remaining") != "1" {
		t.Fatalf("first: %d %v", first.status, first.header)
	}
	e.do("POST", "/api/v1/verifications", body)
	r := e.do("POST", "/api/v1/verifications", body)
	wantProblem(t, r, 429, "rate_limited")
	if r.header.Get("Retry-After") != "30" || r.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", r.header)
	}
	e.clock.Add(30 * 1e9)
	if r := e.do("POST", "/api/v1/verifications", body); r.status != 200 {
		t.Fatalf("after Retry-After: %d", r.status)
	}
}

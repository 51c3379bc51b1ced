package handlers_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ethicsportal/app"
	"ethicsportal/store"
)

// checkReceipt posts a receipt to /receipts/check on e.
func (e *env) checkReceipt(receipt string) *response {
	e.t.Helper()
	r := e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": receipt})
	if r.status != 200 {
		e.t.Fatalf("receipts/check: %d %s", r.status, r.body)
	}
	return r
}

// TestIssuerOutlivesTheAddress starts instances on one store under
// different listen addresses and no public URL, as an operator moving the
// portal or adding instances would: each accepts the others' tokens and
// receipts, and so does an instance started later on yet another address
// or with a public URL configured after the store was made.
func TestIssuerOutlivesTheAddress(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			on := func(vars map[string]string) *env {
				vars["PORTAL_BASE_URL"] = "" // unset: the issuer must not come from the address
				return newEnvOn(t, testConfig(t, vars), opener(), ck)
			}
			a := on(map[string]string{"PORTAL_ADDR": "127.0.0.1:8080"})
			b := on(map[string]string{"PORTAL_ADDR": "127.0.0.1:8097"})

			tokA, tokB := a.addUser("alice", "registrar"), b.addUser("bob", "registrar")
			if r := b.do("GET", "/api/v1/admin/me", nil, bearer(tokA)...); r.status != 200 {
				t.Fatalf("the instance on :8097 refuses a token from :8080: %d %s", r.status, r.body)
			}
			if r := a.do("GET", "/api/v1/admin/me", nil, bearer(tokB)...); r.status != 200 {
				t.Fatalf("the instance on :8080 refuses a token from :8097: %d %s", r.status, r.body)
			}
			a.registerCredential(tokA, nil)
			recA := a.verifyCert(certNo, holder).str("receipt")
			recB := b.verifyCert(certNo, holder).str("receipt")
			iss, _ := receiptClaims(t, recA)["iss"].(string)
			if !strings.HasPrefix(iss, "urn:uuid:") || strings.Contains(iss, "8080") {
				t.Fatalf("iss %q: want a name generated for the store, not the address", iss)
			}
			if other := receiptClaims(t, recB)["iss"]; other != iss {
				t.Fatalf("the instances issue as %q and %q", iss, other)
			}
			for _, c := range []struct {
				on      *env
				receipt string
			}{{a, recB}, {b, recA}} {
				if r := c.on.checkReceipt(c.receipt); r.json["valid"] != true {
					t.Fatalf("a receipt of the other instance: %s", r.body)
				}
			}

			// A restart on another address, and one with a public URL set
			// only now: what was signed stays valid, under the same issuer.
			for _, vars := range []map[string]string{
				{"PORTAL_ADDR": "127.0.0.1:9000"},
				{"PORTAL_ADDR": "127.0.0.1:9001", "PORTAL_BASE_URL": "https://portal.example.cn"},
			} {
				later := newEnvOn(t, testConfig(t, vars), opener(), ck)
				if r := later.checkReceipt(recA); r.json["valid"] != true {
					t.Fatalf("after a restart with %v the receipt is not valid: %s", vars, r.body)
				}
				if r := later.do("GET", "/api/v1/admin/me", nil, bearer(tokA)...); r.status != 200 {
					t.Fatalf("after a restart with %v the token is refused: %d", vars, r.status)
				}
				if got := receiptClaims(t, later.verifyCert(certNo, holder).str("receipt"))["iss"]; got != iss {
					t.Fatalf("after a restart with %v the issuer is %q, want %q", vars, got, iss)
				}
			}
		})
	}
}

// TestIssuerIsTheURLTheStoreWasMadeWith: a public URL configured when the
// store is created is its issuer for good.
func TestIssuerIsTheURLTheStoreWasMadeWith(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			first := newEnvOn(t, testConfig(t, map[string]string{"PORTAL_BASE_URL": "https://a.example.cn"}), opener(), ck)
			tok := first.addUser("reg", "registrar")
			first.registerCredential(tok, nil)
			rec := first.verifyCert(certNo, holder).str("receipt")
			if iss := receiptClaims(t, rec)["iss"]; iss != "https://a.example.cn" {
				t.Fatalf("iss %v, want the public URL at creation", iss)
			}
			moved := newEnvOn(t, testConfig(t, map[string]string{"PORTAL_BASE_URL": "https://b.example.cn"}), opener(), ck)
			if r := moved.checkReceipt(rec); r.json["valid"] != true {
				t.Fatalf("the receipt is not valid after the public URL changed: %s", r.body)
			}
			if r := moved.do("GET", "/api/v1/admin/me", nil, bearer(tok)...); r.status != 200 {
				t.Fatalf("the token is refused after the public URL changed: %d", r.status)
			}
			if iss := receiptClaims(t, moved.verifyCert(certNo, holder).str("receipt"))["iss"]; iss != "https://a.example.cn" {
				t.Fatalf("iss %v after the move, want the one fixed at creation", iss)
			}
		})
	}
}

// TestReceiptCheckSaysWhyNotValid: a receipt of another portal, one of ours
// that was altered and something that is no receipt at all each get their
// own reason.
func TestReceiptCheckSaysWhyNotValid(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	receipt := e.verifyCert(certNo, holder).str("receipt")

	// Another portal: its own store, even with the same public URL.
	other := newEnv(t, nil)
	otherReg := other.addUser("reg", "registrar")
	other.registerCredential(otherReg, nil)
	foreign := other.verifyCert(certNo, holder).str("receipt")

	// Signed with our receipt key but naming another issuer.
	keys, err := e.app.Store().SigningKeys(t.Context(), store.KeyPurposeReceipt)
	if err != nil || len(keys) == 0 {
		t.Fatalf("receipt keys: %v", err)
	}
	claims := receiptClaims(t, receipt)
	claims["iss"] = "https://elsewhere.example.cn"
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims(claims))
	tok.Header["kid"] = keys[0].KID
	otherIssuer, err := tok.SignedString(ed25519.PrivateKey(keys[0].PrivateKey))
	if err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(receipt, ".")
	forgedPayload := strings.Replace(string(mustDecode(t, parts[1])), `"eligible":true`, `"eligible":false`, 1)
	altered := parts[0] + "." + encode(forgedPayload) + "." + parts[2]
	noneHeader := encode(`{"alg":"none","kid":"` + keys[0].KID + `","typ":"receipt+jwt"}`)

	for _, c := range []struct {
		name, receipt, reason string
	}{
		{"another store's receipt", foreign, app.ReasonOtherPortal},
		{"another issuer", otherIssuer, app.ReasonOtherPortal},
		{"altered claims", altered, app.ReasonAltered},
		{"alg none", noneHeader + "." + parts[1] + ".", app.ReasonAltered},
		{"garbage", "abc", app.ReasonNotAReceipt},
		{"an admin token", reg, app.ReasonNotAReceipt},
	} {
		r := e.checkReceipt(c.receipt)
		if r.json["valid"] != false || r.str("reason") != c.reason || r.json["current"] != nil || r.json["claims"] != nil {
			t.Errorf("%s: %s, want reason %q", c.name, r.body, c.reason)
		}
	}
	if !strings.Contains(app.ReasonOtherPortal, "issued by another portal") || strings.Contains(app.ReasonOtherPortal, "altered") {
		t.Fatalf("the reason for a foreign receipt must say it was issued by another portal: %q", app.ReasonOtherPortal)
	}
	if r := e.checkReceipt(receipt); r.json["valid"] != true {
		t.Fatalf("our own receipt: %s", r.body)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

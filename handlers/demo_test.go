package handlers_test

import (
	"context"
	"testing"

	"ethicsportal/app"
)

func TestDemoDataLoadsOnce(t *testing.T) {
	e := newEnv(t, nil) // as under --demo: no TOTP
	loaded, err := e.app.LoadDemo(context.Background())
	if err != nil || !loaded {
		t.Fatalf("first load: %v %v", loaded, err)
	}
	if again, err := e.app.LoadDemo(context.Background()); err != nil || again {
		t.Fatalf("second load: %v %v, want a no-op", again, err)
	}
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "demo-registrar", "password": app.DemoPassword})
	if r.status != 200 {
		t.Fatalf("demo login: %d %s", r.status, r.body)
	}
	v := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "2019-1100-1410-00123", "name": "張偉華"})
	if v.json["match"] != true || v.str("status") != "active" {
		t.Fatalf("demo credential: %s", v.body)
	}
	g := e.do("GET", "/api/v1/admin/credentials/20141111200000001", nil, bearer(r.str("access_token"))...)
	if g.status != 200 || g.str("holder_name") != "曹梅" {
		t.Fatalf("demo register entry: %d %s", g.status, g.body)
	}
}

func TestAccountsWithoutSecondFactorAreRefusedWhenTOTPIsRequired(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_REQUIRE_TOTP": "true"})
	if _, err := e.app.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "demo-admin", "password": app.DemoPassword, "totp": "123456"})
	wantProblem(t, r, 401, "unauthorized")
}

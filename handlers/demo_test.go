package handlers_test

import (
	"context"
	"strings"
	"testing"

	"ethicsportal/app"
	"ethicsportal/demo"
	"ethicsportal/store"
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

// The demo store holds the synthetic cases, and a verification of a demo
// certificate that is revoked, suspended, lapsed or banned shows a state
// that a published case explains.
func TestDemoCasesExplainTheRegister(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.app.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	cases, total, err := e.app.Store().Cases(ctx, store.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	linked := map[string]store.Case{}
	for _, c := range cases {
		counts[c.Status]++
		if c.CertificateNo != "" {
			linked[c.CertificateNo] = c
		}
	}
	if total != len(cases) || total != app.DemoCases+len(linked) || len(linked) < 8 ||
		counts[store.CasePublished] < total*9/10 || counts[store.CaseWithdrawn] == 0 || counts[store.CaseDraft] == 0 {
		t.Fatalf("%d cases (%d linked to credentials): %v", total, len(linked), counts)
	}
	today := store.Today(e.clock.Now())
	token := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "demo-registrar", "password": app.DemoPassword}).str("access_token")
	exampleNo, exampleName, _ := strings.Cut(app.DemoRevokedExample, " ") // the example serve --demo logs
	for _, tt := range []struct {
		no, name, status string
		eligible, banned bool
	}{
		{exampleNo, exampleName, "revoked", false, true},
		{"20191112800000021", "胡真馥", "revoked", false, false},
		{"20211116300000022", "丁燕", "suspended", false, false},
		{"20231107100000026", "冯珊勤", "active", false, true},
		{"20161107500000024", "邹婵怡", "lapsed", false, false},
	} {
		v := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": tt.no, "name": tt.name})
		bans, _ := v.json["bans"].([]any)
		if v.json["match"] != true || v.str("status") != tt.status || v.json["eligible"] != tt.eligible || (len(bans) > 0) != tt.banned {
			t.Fatalf("%s: %s", tt.no, v.body)
		}
		c, ok := linked[tt.no]
		if !ok || !c.Visible(today) || c.SubjectName != demo.MaskName(tt.name) {
			t.Fatalf("%s: linked case %+v", tt.no, c)
		}
		g := e.do("GET", "/api/v1/admin/credentials/"+tt.no, nil, bearer(token)...)
		hist, _ := g.json["history"].([]any)
		last, _ := hist[len(hist)-1].(map[string]any)
		if tt.status == "revoked" || tt.status == "suspended" {
			if last["to"] != tt.status || last["case_id"] != c.ID {
				t.Fatalf("%s: history %s", tt.no, g.body)
			}
		}
		if tt.banned {
			b := e.do("GET", "/api/v1/admin/bans?certificate_no="+tt.no, nil, bearer(token)...)
			list, _ := b.json["bans"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["case_id"] != c.ID {
				t.Fatalf("%s: bans %s", tt.no, b.body)
			}
		}
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

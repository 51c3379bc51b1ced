package handlers_test

import (
	"database/sql"
	"path/filepath"
	"testing"
)

func TestEverythingIsAudited(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team() // five users added and five logins
	e.do("POST", "/api/v1/auth/login", map[string]string{"username": "reg", "password": "wrong password here"})
	e.registerCredential(tm.registrar, nil)
	id := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"})
	e.approve(tm.reviewer, id)
	id2 := e.propose(tm.registrar, map[string]any{"kind": "reinstate_credential", "certificate_no": certNo, "reason": "调查结束"})
	e.do("POST", "/api/v1/admin/actions/"+id2+"/reject", map[string]string{"reason": "尚未结束"}, bearer(tm.reviewer)...)
	e.do("POST", "/api/v1/auth/logout", nil, bearer(tm.editor)...)

	r := e.do("GET", "/api/v1/admin/audit?limit=1000", nil, bearer(tm.admin)...)
	if r.status != 200 {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	count := map[string]int{}
	var prevHash string
	for i, ev := range r.json["events"].([]any) {
		m := ev.(map[string]any)
		count[m["action"].(string)]++
		if int(m["seq"].(float64)) != i+1 {
			t.Fatalf("event %d has seq %v", i+1, m["seq"])
		}
		if i > 0 && m["prev_hash"] != prevHash {
			t.Fatalf("event %d does not link to %s", i+1, prevHash)
		}
		prevHash = m["hash"].(string)
	}
	for action, n := range map[string]int{"user.create": 5, "auth.login": 5, "auth.login_failed": 1, "credential.create": 1,
		"action.propose": 2, "action.apply": 1, "action.reject": 1, "auth.logout": 1} {
		if count[action] != n {
			t.Errorf("%s: %d events, want %d (all: %v)", action, count[action], n, count)
		}
	}
	v := e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(tm.admin)...)
	if v.json["ok"] != true || v.json["events"] != float64(len(r.json["events"].([]any))) || v.str("head") != prevHash {
		t.Fatalf("verify: %s", v.body)
	}
	// Paging.
	p := e.do("GET", "/api/v1/admin/audit?after=3&limit=2", nil, bearer(tm.admin)...)
	if evs := p.json["events"].([]any); len(evs) != 2 || evs[0].(map[string]any)["seq"] != 4.0 || p.json["next_after"] != 5.0 {
		t.Fatalf("page: %s", p.body)
	}
	for _, q := range []string{"limit=0", "limit=1001", "after=-1", "after=x"} {
		wantProblem(t, e.do("GET", "/api/v1/admin/audit?"+q, nil, bearer(tm.admin)...), 400, "invalid_field")
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/audit", nil, bearer(tm.registrar)...), 403, "forbidden")
}

func TestTamperedAuditRowIsFound(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		bad       int64
	}{
		{"edited actor", `UPDATE audit_events SET actor = 'nobody' WHERE seq = 4`, 4},
		{"edited details", `UPDATE audit_events SET details = '{"username":"mallory"}' WHERE seq = 3`, 3},
		{"deleted row", `DELETE FROM audit_events WHERE seq = 2`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tm := e.team()
			before := e.auditCount(tm.admin)
			db, err := sql.Open("sqlite", filepath.Join(e.app.Config().DataDir, "portal.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			v := e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(tm.admin)...)
			if v.json["ok"] != false || v.json["first_bad_seq"] != float64(tc.bad) || v.str("problem") == "" {
				t.Fatalf("after tampering (%d events before): %s", before, v.body)
			}
		})
	}
}

package handlers_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// team is the set of administrators most action tests need.
type team struct{ registrar, reviewer, reviewer2, editor, admin string }

func (e *env) team() team {
	return team{
		registrar: e.addUser("reg", "registrar"),
		reviewer:  e.addUser("rev", "reviewer"),
		reviewer2: e.addUser("rev2", "reviewer"),
		editor:    e.addUser("ed", "editor"),
		admin:     e.addUser("root", "admin"),
	}
}

// propose proposes an action and returns its id, failing the test unless 201.
func (e *env) propose(token string, body map[string]any) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/admin/actions", body, bearer(token)...)
	if r.status != 201 || r.str("status") != "pending" {
		e.t.Fatalf("propose %v: %d %s", body, r.status, r.body)
	}
	return fmt.Sprint(int64(r.json["id"].(float64)))
}

func (e *env) approve(token, id string) *response {
	return e.do("POST", "/api/v1/admin/actions/"+id+"/approve", nil, bearer(token)...)
}

func (e *env) verifyCert(no, name string) *response {
	return e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": no, "name": name})
}

const certNo, holder = "20191100141000123", "张伟华"

func TestRevokeNeedsTwoPeople(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	receipt := e.verifyCert(certNo, holder).str("receipt")

	id := e.propose(tm.admin, map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "严重违反师德，依法撤销"})
	wantProblem(t, e.approve(tm.admin, id), 403, "four_eyes")
	if v := e.verifyCert(certNo, holder); v.str("status") != "active" {
		t.Fatalf("a refused approval changed the status: %s", v.body)
	}
	wantProblem(t, e.approve(tm.registrar, id), 403, "forbidden") // no reviewer role
	r := e.approve(tm.reviewer, id)
	if r.status != 200 || r.str("status") != "applied" || r.str("decided_by") != "rev" {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	v := e.verifyCert(certNo, holder)
	if v.str("status") != "revoked" || v.json["eligible"] != false {
		t.Fatalf("after revocation: %s", v.body)
	}
	rc := e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": receipt})
	if rc.json["valid"] != true || rc.json["changed"] != true {
		t.Fatalf("an old receipt must report the change: %s", rc.body)
	}
	wantProblem(t, e.approve(tm.reviewer2, id), 409, "conflict")
	g := e.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
	hist := g.json["history"].([]any)
	if len(hist) != 2 { // the registration, then the revocation
		t.Fatalf("history %v", hist)
	}
	if h := hist[1].(map[string]any); h["kind"] != "status" || h["actor"] != "rev" || h["from"] != "active" || h["to"] != "revoked" ||
		h["approved_by"] != "rev" || h["proposed_by"] != "root" || h["reason"] != "严重违反师德，依法撤销" ||
		fmt.Sprint(h["source"]) != "map[action_id:"+id+" type:action]" {
		t.Fatalf("history entry %v", h)
	}
	// Revocation is final.
	r = e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "reinstate_credential", "certificate_no": certNo, "reason": "试图恢复"}, bearer(tm.registrar)...)
	wantProblem(t, r, 409, "conflict")
}

func TestFourEyesCanBeTurnedOff(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_FOUR_EYES": "false"})
	tok := e.addUser("solo", "admin")
	e.registerCredential(tok, nil)
	id := e.propose(tok, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"})
	if r := e.approve(tok, id); r.status != 200 {
		t.Fatalf("self-approval with four-eyes off: %d %s", r.status, r.body)
	}
}

func TestWhoMayProposeWhat(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "理由充分"}, bearer(tm.editor)...), 403, "forbidden")
	c1 := e.draftID(tm.editor, nil)
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "publish_case", "case_id": c1, "reason": "理由充分"}, bearer(tm.registrar)...), 403, "forbidden")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "publish_case", "case_id": c1, "reason": "理由充分"}, bearer(tm.reviewer)...), 403, "forbidden")
	e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": c1, "reason": "理由充分"})
	c2 := e.publish(tm.editor, tm.reviewer, nil, "")
	e.propose(tm.admin, map[string]any{"kind": "withdraw_case", "case_id": c2, "reason": "理由充分"})
	e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": c2, "changes": map[string]string{"title": "新标题"}, "note": "更正错字", "reason": "更正"})
}

func TestActionBadInputChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, map[string]string{"id_number": "11010519491231002X"})
	before := e.auditCount(tm.admin)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"no kind", map[string]any{"reason": "理由充分"}, 400, "missing_field", "kind"},
		{"unknown kind", map[string]any{"kind": "delete_everything", "reason": "理由充分"}, 400, "invalid_field", "kind"},
		{"no reason", map[string]any{"kind": "revoke_credential", "certificate_no": certNo}, 400, "missing_field", "reason"},
		{"missing param", map[string]any{"kind": "revoke_credential", "reason": "理由充分"}, 400, "missing_field", "certificate_no"},
		{"extra param", map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "until": "2030-01-01", "reason": "理由充分"}, 400, "unknown_field", "until"},
		{"wrong type", map[string]any{"kind": "revoke_credential", "certificate_no": 5, "reason": "理由充分"}, 400, "invalid_field", "certificate_no"},
		{"unknown certificate", map[string]any{"kind": "revoke_credential", "certificate_no": "20191100999999999", "reason": "理由充分"}, 422, "unknown_reference", "certificate_no"},
		{"bad until", map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "until": "2020-01-01", "reason": "理由充分"}, 400, "invalid_field", "until"},
		{"reinstate active", map[string]any{"kind": "reinstate_credential", "certificate_no": certNo, "reason": "理由充分"}, 409, "conflict", "certificate_no"},
		{"bad id number", map[string]any{"kind": "impose_ban", "id_number": "110105194912310021", "name": "张三", "scope": "education", "starts_on": "2026-01-01", "reason": "理由充分"}, 400, "invalid_field", "id_number"},
		{"both targets", map[string]any{"kind": "impose_ban", "id_number": "11010519491231002X", "certificate_no": certNo, "name": holder, "scope": "education", "starts_on": "2026-01-01", "reason": "理由充分"}, 400, "invalid_field", "id_number"},
		{"no target", map[string]any{"kind": "impose_ban", "name": holder, "scope": "education", "starts_on": "2026-01-01", "reason": "理由充分"}, 400, "missing_field", "certificate_no"},
		{"bad scope", map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "everything", "starts_on": "2026-01-01", "reason": "理由充分"}, 400, "invalid_field", "scope"},
		// A name that is not the register's is the register's code, by certificate and by ID number alike.
		{"wrong name", map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": "李四", "scope": "education", "starts_on": "2026-01-01", "reason": "理由充分"}, 422, "id_name_mismatch", "name"},
		{"wrong name for id number", map[string]any{"kind": "impose_ban", "id_number": "11010519491231002x", "name": "李四", "scope": "education", "starts_on": "2026-01-01", "reason": "理由充分"}, 422, "id_name_mismatch", "name"},
		{"ends before start", map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "teaching", "starts_on": "2026-01-01", "ends_on": "2025-01-01", "reason": "理由充分"}, 400, "invalid_field", "ends_on"},
		{"unknown ban", map[string]any{"kind": "lift_ban", "ban_id": 999, "reason": "理由充分"}, 422, "unknown_reference", "ban_id"},
		{"bad case id", map[string]any{"kind": "publish_case", "case_id": "../x", "reason": "理由充分"}, 400, "invalid_field", "case_id"},
	} {
		r := e.do("POST", "/api/v1/admin/actions", tc.body, bearer(tm.admin)...)
		wantProblem(t, r, tc.status, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, r.str("field"), tc.field)
		}
	}
	if l := e.do("GET", "/api/v1/admin/actions", nil, bearer(tm.reviewer)...); l.json["total"] != 0.0 {
		t.Fatalf("bad proposals were stored: %s", l.body)
	}
	if after := e.auditCount(tm.admin); after != before {
		t.Fatalf("bad proposals were audited as changes: %d -> %d events", before, after)
	}
	// Deciding: unknown, twice, without a reason.
	wantProblem(t, e.approve(tm.reviewer, "424242"), 404, "not_found")
	id := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"})
	wantProblem(t, e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": ""}, bearer(tm.reviewer)...), 400, "missing_field")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "证据不足", "x": "y"}, bearer(tm.reviewer)...), 400, "unknown_field")
	if r := e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "证据不足"}, bearer(tm.reviewer)...); r.status != 200 || r.str("status") != "rejected" || r.str("decision_reason") != "证据不足" {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	wantProblem(t, e.approve(tm.reviewer2, id), 409, "conflict")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "再次"}, bearer(tm.reviewer)...), 409, "conflict")
	if v := e.verifyCert(certNo, holder); v.str("status") != "active" {
		t.Fatalf("a rejected suspension took effect: %s", v.body)
	}
}

func (e *env) auditCount(token string) int {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(token)...)
	if r.status != 200 || r.json["ok"] != true {
		e.t.Fatalf("audit verify: %d %s", r.status, r.body)
	}
	return int(r.json["events"].(float64))
}

func TestActionLists(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	a1 := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"})
	e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": e.draftID(tm.editor, nil), "reason": "公开"})
	e.approve(tm.reviewer, a1)
	l := e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...)
	if l.json["total"] != 1.0 || l.json["actions"].([]any)[0].(map[string]any)["kind"] != "publish_case" {
		t.Fatalf("pending: %s", l.body)
	}
	l = e.do("GET", "/api/v1/admin/actions?per_page=1&page=2", nil, bearer(tm.reviewer)...)
	if l.json["total"] != 2.0 || len(l.json["actions"].([]any)) != 1 || l.json["actions"].([]any)[0].(map[string]any)["status"] != "applied" {
		t.Fatalf("page 2: %s", l.body)
	}
	for _, q := range []string{"status=done", "per_page=0", "per_page=101", "page=0", "page=x"} {
		wantProblem(t, e.do("GET", "/api/v1/admin/actions?"+q, nil, bearer(tm.reviewer)...), 400, "invalid_field")
	}
}

func TestSuspensionEndsByItself(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	id := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "until": "2026-06-30", "reason": "停职检查一个月"})
	e.approve(tm.reviewer, id)
	if v := e.verifyCert(certNo, holder); v.str("status") != "suspended" || v.json["eligible"] != false {
		t.Fatalf("suspended: %s", v.body)
	}
	e.clock.Add(29 * 24 * time.Hour) // 2026-06-30 in Beijing: the last day
	if v := e.verifyCert(certNo, holder); v.str("status") != "suspended" {
		t.Fatalf("on the last day: %s", v.body)
	}
	e.clock.Add(24 * time.Hour)
	if v := e.verifyCert(certNo, holder); v.str("status") != "active" || v.json["eligible"] != true {
		t.Fatalf("after the end: %s", v.body)
	}
}

func TestReinstateEndsASuspension(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"}))
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "reinstate_credential", "certificate_no": certNo, "reason": "调查结束"}))
	if v := e.verifyCert(certNo, holder); v.str("status") != "active" {
		t.Fatalf("after reinstatement: %s", v.body)
	}
}

func TestBanByCertificateThenLift(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	caseID := e.draftID(tm.editor, nil)
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{
		"kind": "impose_ban", "certificate_no": certNo, "name": "張偉華", "scope": "education",
		"starts_on": "2026-05-01", "ends_on": nil, "case_id": caseID, "reason": "性骚扰学生，终身禁入"}))
	v := e.verifyCert(certNo, holder)
	bans := v.json["bans"].([]any)
	if v.str("status") != "active" || v.json["eligible"] != false || len(bans) != 1 {
		t.Fatalf("banned holder: %s", v.body)
	}
	if b := bans[0].(map[string]any); b["scope"] != "education" || b["permanent"] != true || b["ends_on"] != nil || b["starts_on"] != "2026-05-01" {
		t.Fatalf("ban %v", b)
	}
	g := e.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
	banID := g.json["bans"].([]any)[0].(map[string]any)["id"]
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "lift_ban", "ban_id": banID, "reason": "复核撤销处分"}))
	if v := e.verifyCert(certNo, holder); v.json["eligible"] != true || len(v.json["bans"].([]any)) != 0 {
		t.Fatalf("after lifting: %s", v.body)
	}
	r := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "lift_ban", "ban_id": banID, "reason": "再次"}, bearer(tm.registrar)...)
	wantProblem(t, r, 409, "conflict")
}

func TestBanByIDNumberAndEligibility(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	const idNo = "11010519491231002X"
	check := func(id, name string) *response {
		return e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": id, "name": name}, bearer(tm.reviewer)...)
	}
	if r := check(idNo, "王五"); r.status != 200 || r.json["match"] != false || r.json["eligible"] != false || r.str("receipt") == "" {
		t.Fatalf("before any record: %d %s", r.status, r.body)
	}
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{
		"kind": "impose_ban", "id_number": idNo, "name": "王五", "scope": "teaching",
		"starts_on": "2026-01-01", "ends_on": "2031-01-01", "reason": "体罚学生，五年内不得从教"}))
	r := check(strings.ToLower(idNo), "王五")
	if r.json["match"] != true || r.json["eligible"] != false || len(r.json["bans"].([]any)) != 1 {
		t.Fatalf("banned: %s", r.body)
	}
	if r := check(idNo, "王六"); r.json["match"] != false || r.json["eligible"] != false {
		t.Fatalf("same ID number, other name: %s", r.body)
	}
	if r := check("110105194912310021", "王五"); r.status != 400 {
		t.Fatalf("bad ID number: %d", r.status)
	}
	assertNotInDatabase(t, e, idNo)
	assertNotInDatabase(t, e, strings.ToLower(idNo))
	// The eligibility receipt can be checked later, without the ID number in it.
	rc := e.do("POST", "/api/v1/receipts/check", map[string]string{"receipt": r.str("receipt")})
	if rc.json["valid"] != true || rc.json["changed"] != false || strings.Contains(string(rc.body), idNo) {
		t.Fatalf("eligibility receipt: %s", rc.body)
	}
	wantProblem(t, e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idNo, "name": "王五"}), 401, "unauthorized")
	wantProblem(t, e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idNo, "name": "王五"}, bearer(tm.editor)...), 403, "forbidden")
}

// TestConcurrentApprovalsApplyOnce races two reviewers on each backend: one
// approval applies, the other is a 409, and the action is applied once.
func TestConcurrentApprovalsApplyOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			a.registerCredential(tm.registrar, nil)
			for round := 0; round < 5; round++ {
				kind := map[bool]string{true: "suspend_credential", false: "reinstate_credential"}[round%2 == 0]
				id := a.propose(tm.registrar, map[string]any{"kind": kind, "certificate_no": certNo, "reason": "并发审批测试"})
				var wg sync.WaitGroup
				statuses := make([]int, 2)
				for i, inst := range []*env{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						tok := []string{tm.reviewer, tm.reviewer2}[i]
						statuses[i] = inst.approve(tok, id).status
					}()
				}
				wg.Wait()
				if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
					t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
				}
			}
			g := a.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
			if n := len(g.json["history"].([]any)); n != 6 {
				t.Fatalf("history has %d entries after the registration and 5 actions: %s", n, g.body)
			}
			if a.auditCount(tm.admin) < 5 {
				t.Fatal("approvals missing from the audit log")
			}
		})
	}
}

// TestRevokeIsSeenByAnotherInstance: the approval returns, and the other
// instance's very next verification shows it.
func TestRevokeIsSeenByAnotherInstance(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			a.registerCredential(tm.registrar, nil)
			if v := b.verifyCert(certNo, holder); v.str("status") != "active" {
				t.Fatal(v.str("status"))
			}
			a.approve(tm.reviewer, a.propose(tm.registrar, map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "撤销教师资格"}))
			if v := b.verifyCert(certNo, holder); v.str("status") != "revoked" {
				t.Fatalf("instance B after the approval on A: %s", v.body)
			}
		})
	}
}

package handlers_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestBansListedAndLifted: a ban imposed by ID number, for a holder no
// credential names, can be found and lifted; so can one imposed by
// certificate, and both count for a holder who has a credential and an ID
// number on record.
func TestBansListedAndLifted(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	idNo, otherID := "11010519491231002X", idNumber(13)
	e.registerCredential(tm.registrar, map[string]string{"id_number": idNo})

	caseID := e.draftID(tm.editor, nil)
	// One ban by certificate, one by the same holder's ID number, one by
	// the ID number of someone with no credential.
	byCert := appliedBan(t, e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{
		"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "education",
		"starts_on": "2026-05-01", "ends_on": nil, "case_id": caseID, "reason": "性骚扰学生，终身禁入"})))
	byID := appliedBan(t, e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{
		"kind": "impose_ban", "id_number": strings.ToLower(idNo), "name": "張偉華", "scope": "teaching",
		"starts_on": "2026-06-01", "ends_on": "2031-05-31", "reason": "体罚学生，五年内不得从教"})))
	other := appliedBan(t, e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{
		"kind": "impose_ban", "id_number": otherID, "name": "王五", "scope": "teaching",
		"starts_on": "2026-01-01", "ends_on": "2030-12-31", "reason": "索要礼品"})))

	for _, q := range []string{"certificate_no=" + certNo, "certificate_no=2019-1100-1410-0012-3", "id_number=" + idNo, "id_number=" + strings.ToLower(idNo)} {
		r := e.do("GET", "/api/v1/admin/bans?"+q, nil, bearer(tm.registrar)...)
		if r.status != 200 {
			t.Fatalf("bans?%s: %d %s", q, r.status, r.body)
		}
		bans := r.json["bans"].([]any)
		if len(bans) != 2 {
			t.Fatalf("bans?%s: %s; want the two bans of the holder", q, r.body)
		}
		first, second := bans[0].(map[string]any), bans[1].(map[string]any)
		if first["id"] != float64(byCert) || first["scope"] != "education" || first["starts_on"] != "2026-05-01" ||
			first["ends_on"] != nil || first["permanent"] != true || first["reason"] != "性骚扰学生，终身禁入" ||
			first["case_id"] != caseID || first["lifted_at"] != nil {
			t.Fatalf("bans?%s: first ban %v", q, first)
		}
		if second["id"] != float64(byID) || second["ends_on"] != "2031-05-31" || second["permanent"] != false ||
			second["case_id"] != nil || second["lifted_at"] != nil {
			t.Fatalf("bans?%s: second ban %v", q, second)
		}
		for _, k := range []string{"id", "scope", "starts_on", "ends_on", "permanent", "reason", "case_id", "lifted_at"} {
			if _, ok := first[k]; !ok {
				t.Fatalf("bans?%s: no %q in %v", q, k, first)
			}
		}
	}
	if ids := e.banIDs(tm.reviewer, "id_number="+otherID); len(ids) != 1 || ids[0] != other {
		t.Fatalf("the other person's bans: %v, want [%d]", ids, other)
	}

	// Lift the ban imposed by ID number with the id the list gave.
	e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "lift_ban", "ban_id": byID, "reason": "复核撤销处分"}))
	r := e.do("GET", "/api/v1/admin/bans?id_number="+idNo, nil, bearer(tm.admin)...)
	lifted := r.json["bans"].([]any)[1].(map[string]any)
	if lifted["id"] != float64(byID) || lifted["lifted_at"] == nil {
		t.Fatalf("after lifting: %s", r.body)
	}
	if v := e.verifyCert(certNo, holder); len(v.json["bans"].([]any)) != 1 {
		t.Fatalf("verification after lifting one of two bans: %s", v.body)
	}

	assertNotInDatabase(t, e, idNo)
	assertNotInDatabase(t, e, otherID)
}

// TestBansListLeaksNothing: an unknown certificate or ID number lists no
// bans, byte for byte as a holder on record without bans does.
func TestBansListLeaksNothing(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	const idNo = "11010519491231002X"
	e.registerCredential(tm.registrar, map[string]string{"id_number": idNo})
	var bodies [][]byte
	for _, q := range []string{
		"certificate_no=" + certNo, "id_number=" + idNo, // on record, no bans
		"certificate_no=20191100999999999", "id_number=" + idNumber(7), // not on record
	} {
		r := e.do("GET", "/api/v1/admin/bans?"+q, nil, bearer(tm.reviewer)...)
		if r.status != 200 {
			t.Fatalf("bans?%s: %d %s", q, r.status, r.body)
		}
		bodies = append(bodies, r.body)
	}
	for i, b := range bodies {
		if !bytes.Equal(b, []byte(`{"bans":[]}`)) {
			t.Fatalf("answer %d is %s, want {\"bans\":[]} for every holder without bans", i, b)
		}
	}
}

func TestBansListRefusals(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	const idNo = "11010519491231002X"
	wantProblem(t, e.do("GET", "/api/v1/admin/bans?certificate_no="+certNo, nil), 401, "unauthorized")
	wantProblem(t, e.do("GET", "/api/v1/admin/bans?certificate_no="+certNo, nil, bearer(tm.editor)...), 403, "forbidden")
	for _, tc := range []struct {
		query, code, field string
	}{
		{"", "missing_field", "certificate_no"},
		{"certificate_no=", "missing_field", "certificate_no"},
		{"certificate_no=%20&id_number=", "missing_field", "certificate_no"},
		{"certificate_no=" + certNo + "&id_number=" + idNo, "invalid_field", "id_number"},
		{"certificate_no=" + certNo + "&certificate_no=" + certNo, "invalid_field", "certificate_no"},
		{"id_number=110105194912310021", "invalid_field", "id_number"}, // wrong check digit
		{"id_number=1101051949", "invalid_field", "id_number"},
		{"certificate_no=!!", "invalid_field", "certificate_no"},
	} {
		r := e.do("GET", "/api/v1/admin/bans?"+tc.query, nil, bearer(tm.registrar)...)
		wantProblem(t, r, 400, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("bans?%s: field %q, want %q", tc.query, r.str("field"), tc.field)
		}
		if strings.Contains(string(r.body), "1101051949") {
			t.Errorf("bans?%s: the answer repeats the ID number: %s", tc.query, r.body)
		}
	}
}

// TestApprovalAnswersBanID: only an approval that imposed a ban carries
// ban_id, and it is the id the holder's list shows.
func TestApprovalAnswersBanID(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"}))
	if _, ok := r.json["ban_id"]; r.status != 200 || ok {
		t.Fatalf("a suspension's approval: %d %s; want no ban_id", r.status, r.body)
	}
	id := appliedBan(t, e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo,
		"name": holder, "scope": "teaching", "starts_on": "2026-06-01", "ends_on": nil, "reason": "体罚学生"})))
	if ids := e.banIDs(tm.registrar, "certificate_no="+certNo); len(ids) != 1 || ids[0] != id {
		t.Fatalf("listed %v, the approval answered ban_id %d", ids, id)
	}
	if l := e.do("GET", "/api/v1/admin/audit?limit=100", nil, bearer(tm.admin)...); !strings.Contains(string(l.body), fmt.Sprintf(`"ban_id":%d`, id)) {
		t.Fatalf("the audit event of the approval does not name ban %d: %s", id, l.body)
	}
}

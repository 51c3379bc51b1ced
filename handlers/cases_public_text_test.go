package handlers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// findingFields lists the field:kind of the findings in a refusal.
func findingFields(r *response) []string {
	var out []string
	fs, _ := r.json["findings"].([]any)
	for _, f := range fs {
		f := f.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%s", f["field"], f["kind"]))
	}
	return out
}

// TestPublicNoteAndReasonAreChecked: the public note of an amendment and
// the public reason of a withdrawal are plain text (HTML refused at
// proposal) and go through the redaction check at approval, which needs
// their findings acknowledged.
func TestPublicNoteAndReasonAreChecked(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil) // 张伟华
	id := e.publish(tm.editor, tm.reviewer, map[string]any{"certificate_no": certNo}, "")

	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "<script>alert(1)</script>撤回"}, "reason"},
		{map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "撤回 &lt;b&gt;"}, "reason"},
		{map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正", "changes": map[string]any{"title": "新标题"}, "note": "<b>更正</b>"}, "note"},
		{map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正", "changes": map[string]any{"title": "新标题"}, "note": "更正&#60;"}, "note"},
	} {
		r := e.do("POST", "/api/v1/admin/actions", tc.body, bearer(tm.editor)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != tc.field {
			t.Errorf("%v: field %q, want %q", tc.body, r.str("field"), tc.field)
		}
	}
	// The reason of other kinds is not published, and stays free text.
	e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": e.draftID(tm.editor, nil), "reason": "依 <条例> 公开"})

	// An amendment whose note holds a phone number: refused until acknowledged.
	const phone, idNo = "13812345678", "11010519491231002X"
	amend := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正",
		"changes": map[string]any{"title": "某小学教师体罚学生被记过"}, "note": "如有疑问请致电" + phone})
	r := e.approve(tm.reviewer, amend)
	wantProblem(t, r, 422, "redaction_findings")
	if got := findingFields(r); !slices.Equal(got, []string{"note:phone"}) {
		t.Fatalf("amendment findings %v, want note:phone", got)
	}
	if p := e.publicCase(id); strings.Contains(string(p.body), phone) {
		t.Fatalf("a refused amendment published its note: %s", p.body)
	}
	if r := e.approveWith(tm.reviewer, amend, map[string]any{"acknowledge_findings": "该号码为教委公开的咨询电话"}); r.status != 200 {
		t.Fatalf("acknowledged amendment: %d %s", r.status, r.body)
	}

	// A withdrawal whose reason names the holder and holds an ID number.
	wd := e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "张伟华（身份证号" + idNo + "）申请复核，决定撤销"})
	r = e.approve(tm.reviewer, wd)
	wantProblem(t, r, 422, "redaction_findings")
	if got := findingFields(r); !slices.Equal(got, []string{"reason:holder_name", "reason:id_number"}) {
		t.Fatalf("withdrawal findings %v", got)
	}
	if p := e.publicCase(id); p.status != 200 {
		t.Fatalf("a refused withdrawal withdrew the case: %d %s", p.status, p.body)
	}
	if r := e.approveWith(tm.reviewer, wd, map[string]any{"acknowledge_findings": "当事人书面同意公开"}); r.status != 200 {
		t.Fatalf("acknowledged withdrawal: %d %s", r.status, r.body)
	}
	if p := e.publicCase(id); p.status != 410 || !strings.Contains(p.str("reason"), idNo) {
		t.Fatalf("withdrawn: %d %s", p.status, p.body)
	}

	// A withdrawal with a clean reason needs nothing acknowledged.
	id2 := e.publish(tm.editor, tm.reviewer, nil, "")
	if r := e.approve(tm.reviewer, e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id2, "reason": "处理决定已撤销"})); r.status != 200 {
		t.Fatalf("clean withdrawal: %d %s", r.status, r.body)
	}
}

// TestCaseTextRefusesMarkup: what a browser reads as a tag or a character
// reference, and invisible characters, are refused in a draft and in an
// amendment's changes, in every text field; "5<6" and "AT&T" are text.
func TestCaseTextRefusesMarkup(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	id := e.publish(tm.editor, tm.reviewer, nil, "")
	bad := []string{"<svg/onload=alert(1)>", "<img/src=x onerror=alert(1)>", "<script/x>", "<o:p>", "<?php ?>",
		"&lt", "&amp", "&copy", "&#60", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
	for _, field := range []string{"title", "summary", "school"} {
		for _, b := range bad {
			v := "某小学" + b + "教师"
			r := e.do("POST", "/api/v1/admin/cases", withField(field, v), bearer(tm.editor)...)
			wantProblem(t, r, 400, "invalid_field")
			if r.str("field") != field {
				t.Errorf("draft %s with %+q: field %q", field, b, r.str("field"))
			}
			r = e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正",
				"changes": map[string]any{field: v}, "note": "更正"}, bearer(tm.editor)...)
			wantProblem(t, r, 400, "invalid_field")
			if r.str("field") != field {
				t.Errorf("amend %s with %+q: field %q", field, b, r.str("field"))
			}
		}
	}
	for _, ok := range []string{"5<6", "a < b", "AT&T"} {
		e.draft(tm.editor, map[string]any{"title": "某小学 " + ok, "summary": "摘要 " + ok + "。", "school": "学校 " + ok})
		e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正",
			"changes": map[string]any{"summary": "摘要 " + ok + "。"}, "note": "更正 " + ok})
	}
}

func withField(field, v string) map[string]any {
	body := caseDraft()
	body[field] = v
	return body
}

package handlers_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestCaseActionsApproveTheVersionProposed: a reviewer approves the case
// as it was when the action was proposed. A draft edited after its
// publish_case was proposed is not published (409, the action stays
// pending, the draft stays a draft); proposing again publishes the edited
// draft. Likewise for an amendment or a withdrawal of a case amended since.
func TestCaseActionsApproveTheVersionProposed(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()

	// The normal path: proposed and approved on the same version.
	plain := e.draftID(tm.editor, nil)
	if r := e.approve(tm.reviewer, e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": plain, "reason": "经审核，依规公开"})); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if p := e.publicCase(plain); p.status != 200 {
		t.Fatalf("published: %d %s", p.status, p.body)
	}

	id := e.draftID(tm.editor, nil)
	act := e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	if a := e.do("GET", "/api/v1/admin/actions/"+act, nil, bearer(tm.reviewer)...); a.json["params"].(map[string]any)["version"] != 1.0 {
		t.Fatalf("the action does not keep the version proposed: %s", a.body)
	}
	const edited = "编辑后未经审核的标题"
	if r := e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": edited}, bearer(tm.editor)...); r.status != 200 {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	if g := e.adminCase(tm.editor, id); fmt.Sprint(g.json["pending_actions"]) != "["+act+"]" {
		t.Fatalf("the admin view does not show the pending action %s: %s", act, g.body)
	}
	r := e.approve(tm.reviewer, act)
	wantPendingLoser(t, e, tm.reviewer, act, r)
	if d := r.str("detail"); !strings.Contains(d, "changed since") || !strings.Contains(d, "propose the action again") {
		t.Fatalf("the refusal does not say why: %s", r.body)
	}
	wantProblem(t, e.publicCase(id), 404, "not_found")
	if g := e.adminCase(tm.editor, id); g.str("status") != "draft" || g.str("title") != edited {
		t.Fatalf("a refused approval changed the draft: %s", g.body)
	}
	again := e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	if r := e.approve(tm.reviewer, again); r.status != 200 {
		t.Fatalf("publish proposed again: %d %s", r.status, r.body)
	}
	if p := e.publicCase(id); p.status != 200 || p.str("title") != edited {
		t.Fatalf("published: %d %s", p.status, p.body)
	}
	// The first action can be rejected, and never applies.
	if r := e.do("POST", "/api/v1/admin/actions/"+act+"/reject", map[string]any{"reason": "已重新提交"}, bearer(tm.reviewer)...); r.status != 200 {
		t.Fatalf("reject the stale action: %d %s", r.status, r.body)
	}
	if g := e.adminCase(tm.editor, id); fmt.Sprint(g.json["pending_actions"]) != "[]" {
		t.Fatalf("no action is pending, but %s", g.body)
	}

	// An amendment and a withdrawal proposed before another amendment applied.
	amend := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "changes": map[string]any{"title": "第一次更正"}, "note": "更正标题", "reason": "更正"})
	late := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "changes": map[string]any{"summary": "第二次更正的摘要。"}, "note": "更正摘要", "reason": "更正"})
	wd := e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "处理决定已撤销"})
	if r := e.approve(tm.reviewer, amend); r.status != 200 {
		t.Fatalf("amend: %d %s", r.status, r.body)
	}
	wantPendingLoser(t, e, tm.reviewer, late, e.approve(tm.reviewer, late))
	wantPendingLoser(t, e, tm.reviewer, wd, e.approve(tm.reviewer, wd))
	if p := e.publicCase(id); p.status != 200 || p.str("title") != "第一次更正" || len(p.json["revisions"].([]any)) != 1 {
		t.Fatalf("after the refused actions: %d %s", p.status, p.body)
	}
}

package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var actionLocation = regexp.MustCompile(`^/admin/actions/([0-9]+)\?result=proposed$`)

// proposeFromCase proposes kind (publish_case or withdraw_case) from the
// case's page as b, and returns the action's id.
func proposeFromCase(t *testing.T, b *browser, caseID, kind, reason string) string {
	t.Helper()
	b.get("/admin/cases/" + caseID)
	p := b.post("/admin/cases/"+caseID+"/propose", url.Values{"kind": {kind}, "reason": {reason}})
	m := actionLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("propose %s: %d %q\n%s", kind, p.status, p.header.Get("Location"), p.body)
	}
	return m[1]
}

// The path: a draft with a finding, proposed by its editor, who
// cannot approve it; a reviewer sees the findings, must acknowledge them,
// approves, and the case is public.
func TestConsoleActionsFourEyesAndFindings(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor", "reviewer") // a reviewer too: only the four-eyes rule stops them
	form := draftForm()
	form.Set("body", "经查，张某某（联系电话13812345678）多次体罚学生。")
	id := createDraft(t, ed, form)
	ed.get("/admin/cases/"+id).mustHave(t, `id="body-findings"`, "疑似电话号码")

	// A proposal needs a reason, shown beside its field.
	ed.get("/admin/cases/" + id)
	p := ed.post("/admin/cases/"+id+"/propose", url.Values{"kind": {"publish_case"}, "reason": {""}})
	if p.status != 400 {
		t.Fatalf("no reason: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#publish-reason"`, `id="publish-reason-error"`)
	act := proposeFromCase(t, ed, id, "publish_case", "经审核，依规公开")

	// The proposer sees the result, no approve button, and why.
	p = ed.get("/admin/actions/" + act + "?result=proposed")
	p.mustHave(t, "已提出", "公开案例", "这是您提出的操作，须由另一人批准", `href="/admin/cases/`+id+`"`, "经审核，依规公开")
	if p.has(`action="/admin/actions/` + act + `/approve"`) {
		t.Fatal("the proposer is offered the approve button")
	}
	q := ed.get("/admin/actions")
	q.mustHave(t, "这是您提出的操作，须由另一人批准", "操作 "+act, `<a href="/admin/cases/`+id+`">某小学教师体罚学生</a> <code>`+id+`</code>`)
	// Posting the approval anyway is refused with the app's four-eyes message.
	p = ed.post("/admin/actions/"+act+"/approve", url.Values{"acknowledge_findings": {"电话为学校公开电话"}})
	if p.status != 403 {
		t.Fatalf("own approval: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "您不能批准自己提出的操作", "待审批")
	if r := e.publicCase(id); r.status != 404 {
		t.Fatalf("public after a refused approval: %d", r.status)
	}

	// Another reviewer, in another browser, sees the findings and must acknowledge them.
	rev := e.signIn("rev", "reviewer")
	p = rev.get("/admin/actions/" + act)
	p.mustHave(t, `action="/admin/actions/`+act+`/approve"`, `id="approve-findings"`, "疑似电话号码", "13812345678",
		`<label for="acknowledge">`, `aria-describedby="acknowledge-hint approve-findings"`)
	p = rev.post("/admin/actions/"+act+"/approve", url.Values{})
	if p.status != 422 {
		t.Fatalf("approval without acknowledgement: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#acknowledge"`, `id="acknowledge-error"`, "13812345678",
		`aria-describedby="acknowledge-hint acknowledge-error approve-findings"`)
	if r := e.publicCase(id); r.status != 404 {
		t.Fatalf("public after an unacknowledged approval: %d", r.status)
	}
	// In English, the same refusal.
	p = rev.post("/admin/actions/"+act+"/approve?lang=en", url.Values{"acknowledge_findings": {" "}})
	p.mustHave(t, "Say why publishing the findings above is right", "Looks like a phone number")
	rev.get("/admin/actions?lang=zh")

	p = rev.post("/admin/actions/"+act+"/approve", url.Values{"acknowledge_findings": {"该电话为学校对外公开电话"}})
	if p.status != 303 || p.header.Get("Location") != "/admin/actions/"+act+"?result=applied" {
		t.Fatalf("approval: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	rev.get(p.header.Get("Location")).mustHave(t, "已批准，已生效", "已批准", "rev")
	if r := e.publicCase(id); r.status != 200 {
		t.Fatalf("public after approval: %d %s", r.status, r.body)
	}
	// The queue: no longer pending; in the applied tab.
	if rev.get("/admin/actions").has("操作 " + act) {
		t.Fatal("an applied action is still in the pending queue")
	}
	rev.get("/admin/actions?status=applied").mustHave(t, "操作 "+act, "公开案例")

	// Deciding it again is a conflict with a clear message.
	p = rev.post("/admin/actions/"+act+"/reject", url.Values{"reason": {"重复"}})
	if p.status != 409 {
		t.Fatalf("reject an applied action: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "此操作已由 rev 处理（已批准）")

	// A published case cannot be edited: its page explains and offers an amendment.
	ed.get("/admin/cases/"+id+"?lang=zh").mustHave(t, "此案例已公开，不能直接修改", `href="/admin/cases/`+id+`/amend"`)
	if p := ed.get("/admin/cases/" + id + "/edit"); p.status != 303 || !strings.Contains(p.header.Get("Location"), "not_draft=1") {
		t.Fatalf("edit a published case: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestConsoleActionsAmendWithdrawAndReject(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	rev := e.signIn("rev", "reviewer")
	id := createDraft(t, ed, draftForm())
	act := proposeFromCase(t, ed, id, "publish_case", "依规公开")
	rev.get("/admin/actions/"+act).mustHave(t, "批准后立即生效")
	if p := rev.post("/admin/actions/"+act+"/approve", nil); p.status != 303 {
		t.Fatalf("approve: %d\n%s", p.status, p.body)
	}

	// Amend: the form holds the case; changes are proposed with a note and a reason.
	p := ed.get("/admin/cases/" + id + "/amend")
	p.mustHave(t, "此案例已公开，不能直接修改", `value="某小学教师体罚学生"`, `<label for="note">`)
	form := draftForm()
	form.Set("note", "更正标题")
	form.Set("reason", "标题有误")
	p = ed.post("/admin/cases/"+id+"/amend", form)
	if p.status != 400 || !p.has("您没有做任何修改") || !p.has(`href="#title"`) {
		t.Fatalf("amend without changes: %d\n%s", p.status, p.body)
	}
	form.Set("title", "某小学教师体罚学生（更正）")
	form.Set("note", "更正标题")
	form.Set("reason", "")
	p = ed.post("/admin/cases/"+id+"/amend", form)
	if p.status != 400 || !p.has(`id="reason-error"`) || !p.has(`value="某小学教师体罚学生（更正）"`) {
		t.Fatalf("amend without a reason: %d\n%s", p.status, p.body)
	}
	form.Set("reason", "标题有误")
	p = ed.post("/admin/cases/"+id+"/amend", form)
	m := actionLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != 303 || m == nil {
		t.Fatalf("amend: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	amend := m[1]
	// The reviewer sees only the changed field, in words.
	p = rev.get("/admin/actions/" + amend)
	p.mustHave(t, "更正案例", "修改内容", "某小学教师体罚学生（更正）", "更正标题", "标题有误")
	if p.has("北京市海淀区教育委员会") {
		t.Fatal("unchanged fields are listed as changes")
	}

	// Reject: a reason is required, then the action is closed and the case unchanged.
	p = rev.post("/admin/actions/"+amend+"/reject", url.Values{"reason": {""}})
	if p.status != 400 {
		t.Fatalf("reject without a reason: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#reject-reason"`, `id="reject-reason-error"`, "“理由”为必填项")
	p = rev.post("/admin/actions/"+amend+"/reject", url.Values{"reason": {"无需更正"}})
	if p.status != 303 || p.header.Get("Location") != "/admin/actions/"+amend+"?result=rejected" {
		t.Fatalf("reject: %d %q", p.status, p.header.Get("Location"))
	}
	rev.get(p.header.Get("Location")).mustHave(t, "已驳回。", "无需更正")
	rev.get("/admin/actions?status=rejected").mustHave(t, "操作 "+amend)
	if r := e.publicCase(id); !strings.Contains(string(r.body), `"title":"某小学教师体罚学生"`) {
		t.Fatalf("a rejected amendment changed the case: %s", r.body)
	}

	// Withdraw: proposed from the case's page, approved, and the case is gone.
	wd := proposeFromCase(t, ed, id, "withdraw_case", "决定已被撤销")
	if p := rev.post("/admin/actions/"+wd+"/approve", nil); p.status != 303 {
		t.Fatalf("approve withdrawal: %d\n%s", p.status, p.body)
	}
	if r := e.publicCase(id); r.status != 410 {
		t.Fatalf("withdrawn case: %d", r.status)
	}
	ed.get("/admin/cases/"+id).mustHave(t, "此案例已撤回")
	// Proposing on a withdrawn case is refused beside the form's field, not a crash.
	ed.get("/admin/cases/" + id)
	if p := ed.post("/admin/cases/"+id+"/propose", url.Values{"kind": {"withdraw_case"}, "reason": {"再次撤回"}}); p.status != 409 {
		t.Fatalf("withdraw a withdrawn case: %d\n%s", p.status, p.body)
	}
	if p := ed.post("/admin/cases/"+id+"/propose", url.Values{"kind": {"delete_everything"}, "reason": {"x"}}); p.status != 400 {
		t.Fatalf("unknown kind: %d", p.status)
	}
}

func TestConsoleActionsRolesAndOtherKinds(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	id := createDraft(t, ed, draftForm())
	act := proposeFromCase(t, ed, id, "publish_case", "依规公开")

	// An editor without the reviewer role sees the queue but gets a 403 page on approving.
	ed2 := e.signIn("ed2", "editor")
	p := ed2.get("/admin/actions/" + act)
	p.mustHave(t, "只有审批人可以批准或驳回")
	if p.has("/approve") {
		t.Fatal("an editor is offered the approve button")
	}
	p = ed2.post("/admin/actions/"+act+"/approve", nil)
	if p.status != 403 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("editor approves: %d %s", p.status, p.header.Get("Content-Type"))
	}
	p.mustHave(t, "无权访问")
	if p := ed2.post("/admin/actions/"+act+"/reject", url.Values{"reason": {"不同意"}}); p.status != 403 {
		t.Fatalf("editor rejects: %d", p.status)
	}
	// Without the form token, a reviewer's approval is refused too.
	rev := e.signIn("rev", "reviewer")
	rev.get("/admin/actions/" + act)
	if p := rev.post("/admin/actions/"+act+"/approve", url.Values{"_csrf": {"forged"}}); p.status != 403 {
		t.Fatalf("forged token: %d", p.status)
	}
	if r := e.publicCase(id); r.status != 404 {
		t.Fatalf("public after refused approvals: %d", r.status)
	}

	// Credential and ban kinds, proposed through the API, are in the queue in words.
	regTok := e.addUser("reg", "registrar")
	r := e.do("POST", "/api/v1/admin/credentials", map[string]any{"certificate_no": "20261100000000001", "holder_name": "张伟华",
		"kind": "primary", "subject": "语文", "issuer": "北京市海淀区教育委员会", "issued_on": "2015-07-01", "registered_until": "2030-06-30"}, bearer(regTok)...)
	if r.status != 201 {
		t.Fatalf("credential: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "impose_ban", "reason": "依规禁入", "certificate_no": "20261100000000001",
		"name": "张伟华", "scope": "education", "starts_on": "2026-05-01", "ends_on": nil}, bearer(regTok)...)
	if r.status != 201 {
		t.Fatalf("propose ban: %d %s", r.status, r.body)
	}
	ban := strings.TrimPrefix(r.header.Get("Location"), "/api/v1/admin/actions/")
	r = e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "suspend_credential", "reason": "调查期间暂停",
		"certificate_no": "20261100000000001", "until": "2026-12-31"}, bearer(regTok)...)
	if r.status != 201 {
		t.Fatalf("propose suspension: %d %s", r.status, r.body)
	}
	p = rev.get("/admin/actions?lang=zh")
	p.mustHave(t, "实施行业禁入", "暂停教师资格", "公开案例", `href="/admin/credentials/20261100000000001"`, "终身", "教育行业")
	rev.get("/admin/actions?lang=en").mustHave(t, "Impose a ban", "Suspend a qualification", "Permanent", "Certificate number")
	rev.get("/admin/actions?lang=zh")

	// Approving a ban shows its number after the redirect.
	p = rev.post("/admin/actions/"+ban+"/approve", nil)
	loc := p.header.Get("Location")
	if p.status != 303 || !strings.HasPrefix(loc, "/admin/actions/"+ban+"?result=applied&ban_id=") {
		t.Fatalf("approve ban: %d %q\n%s", p.status, loc, p.body)
	}
	banID := strings.TrimPrefix(loc, "/admin/actions/"+ban+"?result=applied&ban_id=")
	rev.get(loc).mustHave(t, "已建立禁入记录，编号 "+banID)

	// Unknown and malformed ids are 404 pages; bad tabs 400.
	for _, path := range []string{"/admin/actions/999999", "/admin/actions/abc"} {
		if p := rev.get(path); p.status != 404 {
			t.Fatalf("%s: %d", path, p.status)
		}
	}
	if p := rev.post("/admin/actions/999999/approve", nil); p.status != 404 {
		t.Fatalf("approve unknown: %d", p.status)
	}
	if p := rev.get("/admin/actions?status=all"); p.status != 400 {
		t.Fatalf("bad status: %d", p.status)
	}
}

// A draft edited after its publication was proposed cannot be published
// by that proposal: the approval is refused with a message, and nothing
// is published.
func TestConsoleActionsConflictWhenTheCaseChanged(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	rev := e.signIn("rev", "reviewer")
	id := createDraft(t, ed, draftForm())
	act := proposeFromCase(t, ed, id, "publish_case", "依规公开")
	edit := ed.get("/admin/cases/" + id + "/edit")
	form := draftForm()
	form.Set("title", "改过的标题")
	form.Set("version", regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(edit.body)[1])
	if p := ed.post("/admin/cases/"+id+"/edit", form); p.status != 303 {
		t.Fatalf("edit: %d\n%s", p.status, p.body)
	}
	rev.get("/admin/actions/" + act)
	p := rev.post("/admin/actions/"+act+"/approve", nil)
	if p.status != 409 {
		t.Fatalf("approve a stale proposal: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "此操作现在无法生效", `role="alert"`)
	if r := e.publicCase(id); r.status != 404 {
		t.Fatalf("a stale proposal published the case: %d", r.status)
	}
	p = rev.post("/admin/actions/"+act+"/approve?lang=en", nil)
	p.mustHave(t, "This action cannot be applied now", "changed since action "+act+" was proposed")
}

// The console's case and action pages keep to the CSP: no inline script
// or style, no handlers in attributes.
func TestConsoleCasesPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor", "reviewer")
	id := createDraft(t, ed, draftForm())
	act := proposeFromCase(t, ed, id, "publish_case", "依规公开")
	for _, path := range []string{"/admin/cases", "/admin/cases/new", "/admin/cases/" + id, "/admin/cases/" + id + "/edit",
		"/admin/actions", "/admin/actions/" + act} {
		p := ed.get(path)
		if p.status != 200 {
			t.Fatalf("%s: %d", path, p.status)
		}
		for _, bad := range []string{"<script>", " style=", "<style", " onclick=", " onload=", "javascript:"} {
			if p.has(bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
		if n := strings.Count(p.body, "<h1"); n != 1 {
			t.Errorf("%s has %d h1", path, n)
		}
	}
}

// With the four-eyes rule off (PORTAL_FOUR_EYES=false), a reviewer's own
// proposal has its approve button and no note.
func TestConsoleActionsWithoutFourEyes(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_FOUR_EYES": "false"})
	ed := e.signIn("ed", "editor", "reviewer")
	id := createDraft(t, ed, draftForm())
	act := proposeFromCase(t, ed, id, "publish_case", "依规公开")
	p := ed.get("/admin/actions/" + act)
	p.mustHave(t, `action="/admin/actions/`+act+`/approve"`)
	if p.has("须由另一人批准。您不能批准它") {
		t.Fatal("the four-eyes note shows with the rule off")
	}
	if p := ed.post("/admin/actions/"+act+"/approve", nil); p.status != 303 {
		t.Fatalf("own approval with the rule off: %d\n%s", p.status, p.body)
	}
	if r := e.publicCase(id); r.status != 200 {
		t.Fatalf("public: %d", r.status)
	}
}

package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ethicsportal/app"
)

// TestRedactionFindingsNeedAcknowledgement: a draft that holds an ID
// number, a phone number and the linked holder's full name (in
// Traditional characters) shows them as findings; approving its
// publication is refused until the approver acknowledges them, and the
// acknowledgement is audited without the personal data.
func TestRedactionFindingsNeedAcknowledgement(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil) // 张伟华
	const idNo, phone = "11010519491231002X", "13812345678"
	body := "經查，張偉華在擔任班主任期間多次體罰學生。\n\n其身份证号" + idNo + "，联系电话" + phone + "。"
	r := e.draft(tm.editor, map[string]any{"body": body, "certificate_no": certNo})
	id := r.str("id")
	var got []string
	for _, f := range e.adminCase(tm.reviewer, id).json["findings"].([]any) {
		f := f.(map[string]any)
		got = append(got, fmt.Sprintf("%s:%s", f["field"], f["kind"]))
		if f["kind"] == "holder_name" && (f["suggestion"] != "张某某" || !strings.Contains(f["excerpt"].(string), "張偉華")) {
			t.Errorf("holder name finding %v", f)
		}
	}
	if want := []string{"body:holder_name", "body:id_number", "body:phone"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v", got, want)
	}

	act := e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	refused := e.approve(tm.reviewer, act)
	wantProblem(t, refused, 422, "redaction_findings")
	if fs, _ := refused.json["findings"].([]any); len(fs) != 3 || refused.str("field") != "acknowledge_findings" {
		t.Fatalf("the refusal does not list the findings: %s", refused.body)
	}
	wantProblem(t, e.approveWith(tm.reviewer, act, map[string]any{"acknowledge_findings": " "}), 422, "redaction_findings")
	wantProblem(t, e.approveWith(tm.reviewer, act, map[string]any{"acknowledge": "是"}), 400, "unknown_field")
	if a := e.do("GET", "/api/v1/admin/actions/"+act, nil, bearer(tm.reviewer)...); a.str("status") != "pending" {
		t.Fatalf("a refused approval decided the action: %s", a.body)
	}
	wantProblem(t, e.publicCase(id), 404, "not_found")
	if g := e.adminCase(tm.editor, id); g.str("status") != "draft" {
		t.Fatalf("a refused approval published the case: %s", g.body)
	}

	// Removing the personal data clears the findings; putting one back brings it back.
	e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"body": "經查，張某某多次體罰學生。"}, bearer(tm.editor)...)
	if fs := e.adminCase(tm.editor, id).json["findings"].([]any); len(fs) != 0 {
		t.Fatalf("findings after the edit: %v", fs)
	}
	e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"body": "經查，張某某多次體罰學生，电话" + phone + "。"}, bearer(tm.editor)...)

	// The draft changed since the proposal: that action no longer applies.
	const why = "该号码为学校公开的办公电话"
	wantProblem(t, e.approveWith(tm.reviewer, act, map[string]any{"acknowledge_findings": why}), 409, "conflict")
	act = e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	wantProblem(t, e.approve(tm.reviewer, act), 422, "redaction_findings")
	ok := e.approveWith(tm.reviewer, act, map[string]any{"acknowledge_findings": why})
	if ok.status != 200 || ok.str("status") != "applied" {
		t.Fatalf("acknowledged approval: %d %s", ok.status, ok.body)
	}
	if p := e.publicCase(id); p.status != 200 {
		t.Fatalf("published case: %d %s", p.status, p.body)
	}
	audit := e.do("GET", "/api/v1/admin/audit?after=0&limit=1000", nil, bearer(tm.admin)...)
	if !strings.Contains(string(audit.body), why) || !strings.Contains(string(audit.body), `"kind":"phone"`) {
		t.Fatalf("the acknowledgement is not in the audit log: %.300s", audit.body)
	}

	// An amendment that brings an ID number back needs acknowledging too.
	amend := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "reason": "补充事实",
		"changes": map[string]any{"summary": "当事人身份证号" + idNo + "。"}, "note": "补充了事实"})
	wantProblem(t, e.approve(tm.reviewer, amend), 422, "redaction_findings")
	if r := e.approveWith(tm.reviewer2, amend, map[string]any{"acknowledge_findings": "经法务确认可以公开"}); r.status != 200 {
		t.Fatalf("acknowledged amendment: %d %s", r.status, r.body)
	}

	// The audit log keeps for ever what it holds: the text of drafts and
	// amendments, which held the ID number and the phone number, is
	// recorded there only as a digest, and findings only by field and kind.
	audit = e.do("GET", "/api/v1/admin/audit?after=0&limit=1000", nil, bearer(tm.admin)...)
	for _, s := range []string{idNo, phone, "張偉華"} {
		if strings.Contains(string(audit.body), s) {
			t.Fatalf("the audit log holds %q", s)
		}
	}
}

// TestPublishAmendWithdraw follows a case through its public life.
func TestPublishAmendWithdraw(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	id := e.draftID(tm.editor, map[string]any{"certificate_no": certNo})

	// Four eyes: the proposer may not approve, an editor cannot approve at all.
	own := e.propose(tm.admin, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	wantProblem(t, e.approve(tm.admin, own), 403, "four_eyes")
	wantProblem(t, e.approve(tm.editor, own), 403, "forbidden")
	wantProblem(t, e.publicCase(id), 404, "not_found")
	if r := e.approve(tm.reviewer, own); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}

	p := e.publicCase(id)
	if p.status != 200 || p.str("id") != id || p.str("title") != "某小学教师体罚学生" || p.str("subject_name") != "张某某" ||
		p.str("district") != "海淀区" || p.str("decision_date") != "2026-04-20" || p.str("incident_date") != "2026-03-02" ||
		p.str("authority") != "北京市海淀区教育委员会" || p.str("url") != "http://portal.test/cases/"+id ||
		p.str("published_at") != "2026-06-01T04:00:00Z" || p.json["amended_at"] != nil || len(p.json["revisions"].([]any)) != 0 ||
		p.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("public case: %d %s", p.status, p.body)
	}
	wantNoPrivateFields(t, p)
	if g := e.adminCase(tm.editor, id); g.str("status") != "published" || g.str("publish_until") != "2027-04-20" {
		t.Fatalf("published: %s", g.body)
	}

	// A published case is not edited: it is amended.
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "改标题"}, bearer(tm.editor)...), 409, "conflict")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "publish_case", "case_id": id, "reason": "再次公开"}, bearer(tm.editor)...), 409, "conflict")
	for _, tc := range []struct {
		changes map[string]any
		code    string
		field   string
	}{
		{map[string]any{"titel": "x"}, "unknown_field", "changes.titel"},
		{map[string]any{"district": "浦东新区"}, "invalid_field", "district"},
		{map[string]any{"body": "<p>改</p>"}, "invalid_field", "body"},
		{map[string]any{"title": "某小学教师体罚学生"}, "invalid_field", "changes"},
	} {
		r := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "amend_case", "case_id": id, "changes": tc.changes, "note": "更正", "reason": "更正"}, bearer(tm.editor)...)
		wantProblem(t, r, 400, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("amend %v: field %q, want %q", tc.changes, r.str("field"), tc.field)
		}
	}
	e.later(time.Hour, &tm)
	amend := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正处分结果",
		"changes": map[string]any{"title": "某小学教师体罚学生被记过", "sanctions": []map[string]string{{"type": "demerit", "detail": "记过处分一次"}}},
		"note":    "更正了处分的表述"})
	if r := e.approve(tm.reviewer, amend); r.status != 200 {
		t.Fatalf("amend: %d %s", r.status, r.body)
	}
	p = e.publicCase(id)
	revs := p.json["revisions"].([]any)
	if p.str("title") != "某小学教师体罚学生被记过" || p.str("amended_at") != "2026-06-01T05:00:00Z" || len(revs) != 1 ||
		revs[0].(map[string]any)["note"] != "更正了处分的表述" || revs[0].(map[string]any)["at"] != "2026-06-01T05:00:00Z" ||
		p.str("published_at") != "2026-06-01T04:00:00Z" {
		t.Fatalf("amended: %s", p.body)
	}
	if strings.Contains(string(p.body), "某小学教师体罚学生\"") {
		t.Fatalf("the public sees the replaced title: %s", p.body)
	}
	wantNoPrivateFields(t, p)
	g := e.adminCase(tm.editor, id)
	prev := g.json["revisions"].([]any)[0].(map[string]any)
	if prev["previous"].(map[string]any)["title"] != "某小学教师体罚学生" || prev["seq"] != 1.0 || g.str("publish_until") != "2027-04-20" {
		t.Fatalf("the admin view keeps the replaced text: %s", g.body)
	}

	// Withdrawal: final, and the address answers 410 with the reason.
	wd := e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "经复核，处理决定已撤销"})
	late := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "changes": map[string]any{"title": "再改"}, "note": "再改", "reason": "再改"})
	if r := e.approve(tm.reviewer, wd); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	p = e.publicCase(id)
	if p.status != 410 || p.str("status") != "withdrawn" || p.str("reason") != "经复核，处理决定已撤销" || p.str("withdrawn_at") != "2026-06-01T05:00:00Z" ||
		!strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Fatalf("withdrawn: %d %s", p.status, p.body)
	}
	wantNoPrivateFields(t, p)
	wantProblem(t, e.approve(tm.reviewer, late), 409, "conflict")
	for _, kind := range []string{"withdraw_case", "publish_case"} {
		wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": kind, "case_id": id, "reason": "再次"}, bearer(tm.editor)...), 409, "conflict")
	}
	if l := e.do("GET", "/api/v1/admin/cases?status=withdrawn", nil, bearer(tm.editor)...); l.json["total"] != 1.0 {
		t.Fatalf("withdrawn list: %s", l.body)
	}
	if n := e.caseMessages(t, id); n != 3 {
		t.Fatalf("%d case.changed messages, want one each for the publication, the amendment and the withdrawal", n)
	}

	// The case actions name real cases in the right state.
	draft := e.draftID(tm.editor, nil)
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"kind": "publish_case", "case_id": "aaaaaaaaaaaaaaaa", "reason": "公开"}, 422, "unknown_reference"},
		{map[string]any{"kind": "withdraw_case", "case_id": draft, "reason": "撤回"}, 409, "conflict"},
		{map[string]any{"kind": "amend_case", "case_id": draft, "changes": map[string]any{"title": "新标题"}, "note": "改标题", "reason": "改标题"}, 409, "conflict"},
		{map[string]any{"kind": "publish_case", "case_id": draft, "publish_until": "2026-05-31", "reason": "公开"}, 400, "invalid_field"},
		{map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "case_id": "aaaaaaaaaaaaaaaa", "reason": "撤销"}, 422, "unknown_reference"},
		{map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "education", "starts_on": "2026-05-01", "case_id": "nope", "reason": "禁入"}, 422, "unknown_reference"},
	} {
		r := e.do("POST", "/api/v1/admin/actions", tc.body, bearer(tm.admin)...)
		wantProblem(t, r, tc.status, tc.code)
	}
}

// wantNoPrivateFields checks that a public answer carries no link to the
// register and nothing of who drafted the case.
func wantNoPrivateFields(t *testing.T, r *response) {
	t.Helper()
	for _, s := range []string{"certificate_no", certNo, "created_by", "findings", "previous", "version"} {
		if strings.Contains(string(r.body), s) {
			t.Fatalf("a public answer holds %q: %s", s, r.body)
		}
	}
}

// TestDisclosurePeriod: a case leaves public view, and the feed, after its
// publish_until, but stays on record; the sweep marks it and queues its
// removal from the index.
func TestDisclosurePeriod(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_DISCLOSURE_PERIODS": "warning=1"})
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	// A warning decided on 2026-05-15: one month, to 2026-06-15.
	id := e.publish(tm.editor, tm.reviewer, map[string]any{"sanctions": []map[string]string{{"type": "warning"}}, "decision_date": "2026-05-15"}, "")
	long := e.publish(tm.editor, tm.reviewer, nil, "")
	if g := e.adminCase(tm.editor, id); g.str("publish_until") != "2026-06-15" {
		t.Fatalf("publish_until %s", g.str("publish_until"))
	}
	ctx := context.Background()
	if n, err := e.app.SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("an early sweep expired %d: %v", n, err)
	}
	e.later(14*24*time.Hour, &tm) // 2026-06-15 in Beijing: the last day
	if p := e.publicCase(id); p.status != 200 {
		t.Fatalf("on the last day: %d", p.status)
	}
	e.later(24*time.Hour, &tm)
	gone, unknown := e.publicCase(id), e.publicCase("aaaaaaaaaaaaaaaa")
	wantProblem(t, gone, 404, "not_found")
	if gone.str("detail") != unknown.str("detail") {
		t.Fatal("an expired case's 404 differs from an unknown id's")
	}
	if ids := feedIDs(t, e); len(ids) != 1 || !strings.HasSuffix(ids[0], long) {
		t.Fatalf("feed after expiry: %v", ids)
	}
	before := e.caseMessages(t, id)
	if n, err := e.app.SweepExpired(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if n, err := e.app.SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("a second sweep expired %d again: %v", n, err)
	}
	if after := e.caseMessages(t, id); after != before+1 {
		t.Fatalf("case.changed messages for the case %d -> %d, want one more", before, after)
	}
	g := e.adminCase(tm.editor, id)
	if g.str("status") != "published" || g.json["expired_at"] == nil {
		t.Fatalf("an expired case stays on record: %s", g.body)
	}
	// A publication may set its own period, not in the past.
	own := e.draftID(tm.editor, map[string]any{"sanctions": []map[string]string{{"type": "warning"}}, "decision_date": "2026-01-05", "incident_date": nil})
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "publish_case", "case_id": own, "reason": "公开"}, bearer(tm.editor)...), 409, "conflict")
	act := e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": own, "publish_until": "2026-12-31", "reason": "公开"})
	e.approve(tm.reviewer, act)
	if g := e.adminCase(tm.editor, own); g.str("publish_until") != "2026-12-31" {
		t.Fatalf("publish_until given: %s", g.str("publish_until"))
	}
}

// caseMessages counts the case.changed messages the outbox holds for a
// case, delivered or not, as the SQLite database has them.
func (e *env) caseMessages(t *testing.T, id string) int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.app.Config().DataDir, "portal.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE topic = ? AND object_key = ? AND payload = ?`,
		app.TopicCaseChanged, "case:"+id, `{"case_id":"`+id+`"}`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDisclosureFollowsTheBan: an industry ban that names the case sets
// the period: its end, or none for a permanent ban.
func TestDisclosureFollowsTheBan(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	ban := []map[string]string{{"type": "industry_ban", "detail": "五年内不得从事教学工作"}, {"type": "warning"}}
	for _, tc := range []struct {
		endsOn any
		want   any
	}{{"2031-05-31", "2031-05-31"}, {nil, nil}} {
		id := e.draftID(tm.editor, map[string]any{"sanctions": ban, "certificate_no": certNo})
		e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder,
			"scope": "teaching", "starts_on": "2026-05-01", "ends_on": tc.endsOn, "case_id": id, "reason": "体罚学生"}))
		e.approve(tm.reviewer, e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "公开"}))
		if g := e.adminCase(tm.editor, id); g.json["publish_until"] != tc.want {
			t.Fatalf("ban ending %v: publish_until %v, want %v", tc.endsOn, g.json["publish_until"], tc.want)
		}
	}
	// Without a ban naming it, an industry ban counts 60 months.
	id := e.publish(tm.editor, tm.reviewer, map[string]any{"sanctions": ban}, "")
	if g := e.adminCase(tm.editor, id); g.str("publish_until") != "2031-04-20" {
		t.Fatalf("no ban on record: publish_until %s", g.str("publish_until"))
	}
}

// TestRunExpirySweepsAtStart: the sweep serve runs takes an expired case
// out at once, without waiting for its first tick, and stops with its
// context.
func TestRunExpirySweepsAtStart(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_DISCLOSURE_PERIODS": "warning=1"})
	tm := e.team()
	id := e.publish(tm.editor, tm.reviewer, map[string]any{"sanctions": []map[string]string{{"type": "warning"}}, "decision_date": "2026-05-15"}, "")
	e.later(20*24*time.Hour, &tm)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.RunExpiry(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.adminCase(tm.editor, id).json["expired_at"] == nil {
		if time.Now().After(deadline) {
			t.Fatal("RunExpiry did not sweep at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunExpiry did not stop with its context")
	}
	if n := e.caseMessages(t, id); n != 2 {
		t.Fatalf("%d case.changed messages, want the publication's and the expiry's", n)
	}
}

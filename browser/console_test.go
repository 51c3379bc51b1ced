package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ethicsportal/app"
)

// signIn signs the tab's person in through the console's form and
// returns the page it lands on.
func (tb *tab) signIn(user string) {
	tb.t.Helper()
	tb.open("/admin")
	if !strings.HasPrefix(tb.location(), "/admin/login") {
		tb.fail("sign in as "+user, errMissing("the sign-in page", tb.location()+" (a fresh browser context must not be signed in)"))
	}
	tb.typeInto("#username", user)
	tb.typeInto("#password", app.DemoPassword)
	if st := tb.click("form[action='/admin/login'] button[type=submit]"); st != http.StatusOK {
		tb.fail("sign in as "+user, errMissing("status 200 after signing in", tb.location()))
	}
	if loc := tb.location(); loc != "/admin" {
		tb.fail("sign in as "+user, errMissing("/admin after signing in", loc))
	}
}

// An editor drafts a case whose text holds a telephone number; the
// console shows the redaction finding. The editor proposes its
// publication; a reviewer, at another computer (another browser context:
// no shared cookies), sees the finding, cannot approve without
// acknowledging it, acknowledges it and approves; the case is public.
func TestEditorDraftsAndReviewerApproves(t *testing.T) {
	p := thePortal(t)
	b := newBrowser(t, p.URL)
	ed := b.tab("editor")
	ed.signIn("demo-editor")
	ed.axe("console home (editor)")

	title := "浏览器测试：某小学教师体罚学生案 " + time.Now().UTC().Format("150405.000")
	if st := ed.open("/admin/cases/new"); st != http.StatusOK {
		t.Fatalf("/admin/cases/new: status %d", st)
	}
	ed.must("label[for=title]", "#title", "#summary", "#body", "#district", "#stage")
	ed.axe("new case form")
	ed.narrow("new case form")
	ed.typeInto("#title", title)
	ed.typeInto("#summary", "某小学教师在课堂上体罚学生，区教委给予警告处分。")
	ed.typeInto("#body", "经查，该教师多次罚站学生。如有疑问请致电 13812345678 联系学校。")
	ed.typeInto("#subject_name", "王某某")
	ed.typeInto("#school", "北京市海淀区某小学")
	ed.typeInto("#authority", "海淀区教育委员会")
	ed.run("choose district, stage, guideline, sanction and dates",
		chromedp.SetValue(chromedp.CSS("#district"), "海淀区", chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("#stage"), "primary", chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#category-5"), chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("select[name=sanction_type_1]"), "warning", chromedp.NodeVisible),
		// Recent, so that a warning's disclosure period has not ended yet.
		chromedp.SetValue(chromedp.CSS("#incident_date"), time.Now().AddDate(0, 0, -60).Format(time.DateOnly), chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("#decision_date"), time.Now().AddDate(0, 0, -7).Format(time.DateOnly), chromedp.NodeVisible),
	)
	ed.typeInto("input[name=sanction_detail_1]", "给予警告处分")
	ed.shot("draft-form")
	if st := ed.click("#case-form button[type=submit]:not([name])"); st != http.StatusOK {
		t.Fatalf("save the draft: status %d", st)
	}
	u, _ := url.Parse(ed.location())
	caseID := strings.TrimPrefix(u.Path, "/admin/cases/")
	if caseID == u.Path || caseID == "" || strings.Contains(caseID, "/") {
		t.Fatalf("after saving the draft: %s, want /admin/cases/{id}", u)
	}
	ed.must(".cases-findings-notice")
	ed.mustSay("13812345678")
	ed.shot("draft-findings")
	ed.axe("draft with a redaction finding")

	// The public cannot see a draft.
	pub := b.person("public")
	if st := pub.open("/cases/" + caseID); st != http.StatusNotFound {
		t.Errorf("a draft's public address: status %d, want 404", st)
	}

	ed.typeInto("#publish-reason", "处理决定已生效，依规公开。")
	if st := ed.click("#publish-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("propose publication: status %d\n%s", st, ed.text("main"))
	}
	u, _ = url.Parse(ed.location())
	actionPath := u.Path
	if !strings.HasPrefix(actionPath, "/admin/actions/") {
		t.Fatalf("after proposing: %s, want /admin/actions/{id}", u)
	}
	if ed.has("#approve-form") {
		t.Error("the editor who proposed is offered the approval")
	}
	ed.shot("proposed")
	ed.axe("proposed action (editor)")

	// The reviewer, in a browser context of their own.
	rv := b.person("reviewer")
	rv.signIn("demo-reviewer")
	if st := rv.open("/admin/actions"); st != http.StatusOK {
		t.Fatalf("/admin/actions: status %d", st)
	}
	rv.axe("actions list (reviewer)")
	if st := rv.click("main a[href='" + actionPath + "']"); st != http.StatusOK {
		t.Fatalf("open the action: status %d", st)
	}
	rv.must("#approve-form", "#acknowledge")
	rv.mustSay(title, "13812345678")
	rv.shot("action-with-finding")
	rv.axe("action with a finding (reviewer)")
	rv.narrow("action with a finding (reviewer)")

	// Approving without a word on the finding is refused.
	if st := rv.click("#approve-form button[type=submit]"); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("approve without acknowledging: status %d, want 422", st)
	}
	rv.must(".error-summary")
	if st := pub.open("/cases/" + caseID); st != http.StatusNotFound {
		t.Errorf("after a refused approval, the case's public address: status %d, want 404", st)
	}
	rv.shot("approve-refused")
	rv.axe("approval refused (reviewer)")

	rv.typeInto("#acknowledge", "电话号码为学校公开的总机号码，不属于个人信息。")
	if st := rv.click("#approve-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("approve: status %d", st)
	}
	if loc := rv.location(); !strings.HasPrefix(loc, actionPath) {
		t.Errorf("after approving: %s", loc)
	}
	rv.must("main .notice.good")
	rv.shot("approved")
	rv.axe("approved action (reviewer)")

	// Public now.
	if st := pub.open("/cases/" + caseID); st != http.StatusOK {
		t.Fatalf("the approved case's public address: status %d, want 200", st)
	}
	if h1 := pub.text("main h1"); h1 != title {
		t.Errorf("the public case's heading %q, want %q", h1, title)
	}
	pub.shot("published")
	pub.axe("the newly published case (zh)")
}

package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// draftForm is the console's draft form filled as caseDraft fills the API's body.
func draftForm() url.Values {
	return url.Values{
		"title":             {"某小学教师体罚学生"},
		"summary":           {"该教师在课堂上多次体罚学生，造成不良影响。"},
		"body":              {"经查，张某某在担任班主任期间多次体罚学生。\r\n\r\n区教委依据有关规定给予处分。"},
		"subject_name":      {"张某某"},
		"school":            {"北京市海淀区某小学"},
		"district":          {"海淀区"},
		"stage":             {"primary"},
		"categories":        {"5", "7"},
		"rows":              {"3"},
		"sanction_type_0":   {"demerit"},
		"sanction_detail_0": {"记过处分"},
		"incident_date":     {"2026-03-02"},
		"decision_date":     {"2026-04-20"},
		"authority":         {"北京市海淀区教育委员会"},
	}
}

var caseLocation = regexp.MustCompile(`^/admin/cases/([a-z2-7]+)\?saved=1$`)

// createDraft posts form as b and returns the new case's id, failing
// unless the console answers with a redirect to the case.
func createDraft(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	b.get("/admin/cases/new")
	p := b.post("/admin/cases/new", form)
	m := caseLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create draft: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	return m[1]
}

func TestConsoleCasesDraftValidationKeepsWhatWasTyped(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	p := ed.get("/admin/cases/new")
	if p.status != 200 {
		t.Fatalf("new draft form: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `<label for="title">`, `name="sanction_type_2"`, `value="海淀区"`, `id="category-10"`)

	form := draftForm()
	form.Set("decision_date", "2027-01-01") // in the future: the app refuses it
	form.Set("body", "经查属实。")
	p = ed.post("/admin/cases/new", form)
	if p.status != 400 {
		t.Fatalf("future decision date: %d\n%s", p.status, p.body)
	}
	// The summary at the top links to the field; the message sits beside it; values are kept.
	p.mustHave(t, `class="error-summary"`, `href="#decision_date"`, `id="decision_date-error"`,
		`aria-describedby="decision_date-hint decision_date-error"`, `value="2027-01-01"`,
		`value="某小学教师体罚学生"`, `<option value="海淀区" selected>`, `value="5" checked`, `value="7" checked`,
		`<option value="demerit" selected>`, `value="记过处分"`, "“决定日期”2027-01-01 在未来")

	// A missing field, in English: the app's message beside the field.
	form = draftForm()
	form.Del("title")
	p = ed.post("/admin/cases/new?lang=en", form)
	if p.status != 400 {
		t.Fatalf("missing title: %d", p.status)
	}
	p.mustHave(t, `<html lang="en">`, `href="#title"`, `id="title-error"`, "title is required", "There is a problem")

	// A sanction in the third row without a type: the message is on that row.
	form = draftForm()
	form.Set("sanction_detail_2", "另处通报")
	p = ed.post("/admin/cases/new", form)
	if p.status != 400 || !p.has(`href="#sanction-2-type"`) || !p.has(`id="sanction-2-type-error"`) {
		t.Fatalf("sanction row error: %d\n%s", p.status, p.body)
	}
	// No category is a field error on the checkboxes; a bad one is ours.
	form = draftForm()
	form.Del("categories")
	ed.post("/admin/cases/new", form).mustHave(t, `href="#category-1"`, `id="category-1-error"`)
	form.Set("categories", "eleven")
	if p := ed.post("/admin/cases/new", form); p.status != 400 || !p.has(`id="category-1-error"`) {
		t.Fatalf("bad category: %d", p.status)
	}
	// An unknown certificate is 422 beside its field.
	form = draftForm()
	form.Set("certificate_no", "20261100000000001")
	if p := ed.post("/admin/cases/new", form); p.status != 422 || !p.has(`id="certificate_no-error"`) {
		t.Fatalf("unknown certificate: %d\n%s", p.status, p.body)
	}
	// "Add another" shows one more row and saves nothing.
	form = draftForm()
	form.Set("add_row", "1")
	p = ed.post("/admin/cases/new?lang=zh", form)
	if p.status != 200 || !p.has(`name="sanction_type_3"`) || !p.has(`value="记过处分"`) || !p.has("草稿尚未保存") {
		t.Fatalf("add row: %d", p.status)
	}
	if r := e.do("GET", "/api/v1/admin/cases?status=draft", nil, bearer(e.addUser("ed2", "editor"))...); !strings.Contains(string(r.body), `"total":0`) {
		t.Fatalf("a refused or unfinished form saved a draft: %s", r.body)
	}

	// Fixed, it saves; the case page shows it.
	id := createDraft(t, ed, draftForm())
	p = ed.get("/admin/cases/" + id + "?saved=1&lang=zh")
	p.mustHave(t, "草稿已保存", "某小学教师体罚学生", "记过处分", "5. 关心爱护学生", "7. 坚持言行雅正", "自动检查没有发现个人信息")
	ed.get("/admin/cases").mustHave(t, `href="/admin/cases/`+id+`"`, "某小学教师体罚学生")
}

func TestConsoleCasesFindingsAreShownBesideTheirFields(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	form := draftForm()
	form.Set("body", "经查，张某某（联系电话13812345678）多次体罚学生。")
	form.Set("subject_name", "张伟华")
	id := createDraft(t, ed, form)

	p := ed.get("/admin/cases/" + id)
	p.mustHave(t, "公开前请检查", `id="body-findings"`, "疑似电话号码", "13812345678",
		`id="subject_name-findings"`, "姓名似乎未按规定隐去", "建议改为“张某某”")
	// Each finding is beside its own field: the phone under the body, not the title.
	body := p.body[strings.Index(p.body, `id="body-findings"`):]
	if i := strings.Index(body, "</div>"); !strings.Contains(body[:i], "13812345678") {
		t.Fatalf("the phone number is not in the body's findings:\n%s", body)
	}
	if strings.Contains(p.body, `id="title-findings"`) {
		t.Fatal("the title has findings")
	}
	en := ed.get("/admin/cases/" + id + "?lang=en")
	en.mustHave(t, "Looks like a phone number", "The name looks unmasked", "Check before publishing")

	// The edit form shows them too, beside the inputs.
	p = ed.get("/admin/cases/" + id + "/edit?lang=zh")
	p.mustHave(t, `id="body-findings"`, `aria-describedby="body-hint body-findings"`, `name="version" value="1"`)

	// Editing removes them: the case is saved, and the findings go.
	form.Set("body", "经查，张某某多次体罚学生。")
	form.Set("subject_name", "张某某")
	form.Set("version", "1")
	p = ed.post("/admin/cases/"+id+"/edit", form)
	if p.status != 303 {
		t.Fatalf("edit: %d\n%s", p.status, p.body)
	}
	ed.get("/admin/cases/"+id).mustHave(t, "自动检查没有发现个人信息", "（第 2 版）")
	// A stale version is a conflict, shown on the form.
	form.Set("title", "新标题")
	p = ed.post("/admin/cases/"+id+"/edit", form)
	if p.status != 409 || !p.has(`class="error-summary"`) || !p.has(`value="新标题"`) {
		t.Fatalf("stale edit: %d\n%s", p.status, p.body)
	}
}

func TestConsoleCasesRolesAndFormTokens(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.signIn("reg", "registrar")
	p := reg.get("/admin/cases")
	if p.status != 403 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("registrar on cases: %d %s", p.status, p.header.Get("Content-Type"))
	}
	p.mustHave(t, "无权访问")
	if p := reg.get("/admin/cases/new"); p.status != 403 {
		t.Fatalf("registrar on new draft: %d", p.status)
	}

	// A reviewer reads cases but does not draft them.
	ed := e.signIn("ed", "editor")
	id := createDraft(t, ed, draftForm())
	rev := e.signIn("rev", "reviewer")
	p = rev.get("/admin/cases/" + id)
	if p.status != 200 || p.has(`action="/admin/cases/`+id+`/propose"`) || p.has("/edit") {
		t.Fatalf("reviewer's case page: %d", p.status)
	}
	if p := rev.get("/admin/cases/new"); p.status != 403 {
		t.Fatalf("reviewer on new draft: %d", p.status)
	}
	if p := rev.post("/admin/cases/new", draftForm()); p.status != 403 {
		t.Fatalf("reviewer posts a draft: %d", p.status)
	}

	// Without the form token, or with another session's, nothing is saved.
	form := draftForm()
	form.Set("_csrf", "")
	if p := ed.post("/admin/cases/new", form); p.status != 403 {
		t.Fatalf("no token: %d", p.status)
	}
	form.Set("_csrf", rev.lastCSRF)
	if p := ed.post("/admin/cases/new", form); p.status != 403 {
		t.Fatalf("another session's token: %d", p.status)
	}
	ed.get("/admin/cases").mustHave(t, "共 1 个案例")

	// Bad list parameters are a page, not a crash.
	if p := ed.get("/admin/cases?status=secret"); p.status != 400 {
		t.Fatalf("bad status: %d", p.status)
	}
	if p := ed.get("/admin/cases?page=0"); p.status != 400 {
		t.Fatalf("bad page: %d", p.status)
	}
	if p := ed.get("/admin/cases/no-such-case"); p.status != 404 {
		t.Fatalf("unknown case: %d", p.status)
	}
	// Signed out, the console sends the visitor to sign in.
	if p := e.browser().get("/admin/cases"); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/admin/login") {
		t.Fatalf("signed out: %d %s", p.status, p.header.Get("Location"))
	}
}

func TestConsoleCasesListIsPagedByStatus(t *testing.T) {
	e := newEnv(t, nil)
	ed := e.signIn("ed", "editor")
	for range 3 {
		createDraft(t, ed, draftForm())
	}
	p := ed.get("/admin/cases?per_page=2")
	p.mustHave(t, "共 3 个案例", "第 1 页，共 2 页", `href="?page=2&amp;per_page=2&amp;status=draft"`, `aria-current="page">草稿`)
	if n := strings.Count(p.body, `<th scope="row">`); n != 2 {
		t.Fatalf("%d rows on page 1, want 2", n)
	}
	p = ed.get("/admin/cases?per_page=2&page=2")
	if n := strings.Count(p.body, `<th scope="row">`); n != 1 {
		t.Fatalf("%d rows on page 2, want 1", n)
	}
	ed.get("/admin/cases?status=published").mustHave(t, "此状态下没有案例")
	ed.get("/admin/cases?status=published&lang=en").mustHave(t, "There are no cases with this status", "Published")
}

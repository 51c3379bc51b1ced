package handlers_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// upload posts a multipart form with a CSV file as a browser does; token
// is the form token to send, or "" for none.
func (b *browser) upload(path, token, fileName string, file []byte) *page {
	b.e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if token != "" {
		w.WriteField("_csrf", token)
	}
	part, err := w.CreateFormFile("file", fileName)
	if err != nil {
		b.e.t.Fatal(err)
	}
	part.Write(file)
	w.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.send(req, nil)
}

// sessionCookie is the browser's console session cookie, as a header.
func (b *browser) sessionCookie() string {
	u := *portalURL
	u.Path = "/admin/"
	var parts []string
	for _, c := range b.jar.Cookies(&u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func TestConsoleCredentialLookupShowsHistoryAndBans(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, map[string]string{"id_number": "11010519491231002X"})
	// A re-registration by import, and a suspension by two people, for the history.
	imp := e.do("POST", "/api/v1/admin/credentials/import", csvHeader+certNo+",张伟华,,senior_secondary,物理,北京市海淀区教育委员会,2019-07-01,2031-06-30\n",
		append(bearer(tm.registrar), "Content-Type", "text/csv", "Content-Disposition", `attachment; filename="renewals.csv"`)...)
	if imp.status != 200 || imp.json["updated"] != 1.0 {
		t.Fatalf("import: %d %s", imp.status, imp.body)
	}
	id := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "until": "2026-12-31", "reason": "调查期间暂停"})
	if r := e.approve(tm.reviewer, id); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	ban := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "teaching",
		"starts_on": "2026-06-01", "ends_on": "2031-05-31", "reason": "禁止从事教学"})
	if r := e.approve(tm.reviewer, ban); r.status != 200 {
		t.Fatalf("approve ban: %d %s", r.status, r.body)
	}

	b := e.signIn("creg", "registrar")
	p := b.get("/admin/credentials?certificate_no=2019-1100-1410-00123")
	if p.status != 200 {
		t.Fatalf("look-up: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "张伟华", "20191100141000123", "高级中学教师资格", "物理", "2031年6月30日",
		"首次登记", "定期注册", "状态变更", "renewals.csv", "调查期间暂停", "第 "+id+" 号操作", "提出人 reg", "批准人 rev",
		"暂停", "教学岗位", "2031年5月31日", "未解除", `href="/admin/actions"`, "已关联身份证件号码")
	if p.has("11010519491231002X") {
		t.Fatal("the page shows the ID number")
	}
	// In English too, with the proposal forms, each input labelled.
	b.lang = "en"
	p = b.get("/admin/credentials?certificate_no=20191100141000123")
	p.mustHave(t, "Senior secondary teacher", "Re-registered", "Status changed", "file renewals.csv, line 2",
		"Revoke the credential", "Suspend the credential", "Reinstate the credential", "Correct the holder&#39;s details", "Impose a ban",
		`<label for="revoke_credential-reason">`, `id="revoke_credential-reason"`, `<label for="impose_ban-permanent">`)
	// An unknown number is a 404 page with the form; a malformed one a 400 beside the field.
	p = b.get("/admin/credentials?certificate_no=20191100000000000")
	if p.status != 404 || !p.has("There is no credential with certificate number") {
		t.Fatalf("unknown: %d\n%s", p.status, p.body)
	}
	p = b.get("/admin/credentials?certificate_no=abc")
	if p.status != 400 || !p.has(`id="certificate_no-error"`) {
		t.Fatalf("malformed: %d\n%s", p.status, p.body)
	}
}

func TestConsoleRegisterShowsErrorsThenRegisters(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, map[string]string{"id_number": "11010519491231002X"})
	b := e.signIn("creg", "registrar")
	b.lang = "en"
	if p := b.get("/admin/credentials/new"); p.status != 200 || !p.has(`<label for="id_number">`) || !p.has(`aria-describedby="id_number-hint"`) {
		t.Fatalf("form: %d\n%s", p.status, p.body)
	}
	form := url.Values{"certificate_no": {"2020-1100-0000-00007"}, "holder_name": {"李四"}, "kind": {"primary"},
		"subject": {"语文"}, "issuer": {"东城区教委"}, "issued_on": {"2020-07-32"}, "registered_until": {"2030-06-30"}}
	p := b.post("/admin/credentials/new", form)
	if p.status != 400 {
		t.Fatalf("bad date: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `class="error-summary"`, `href="#issued_on"`, `id="issued_on-error"`, "field field-error", `value="李四"`,
		`aria-describedby="issued_on-hint issued_on-error"`)
	// In Chinese, the field is named in the message.
	b.lang = ""
	b.post("/admin/credentials/new", form).mustHave(t, "“发证日期”须为 YYYY-MM-DD 格式的日期")
	b.lang = "en"
	// The ID number belongs to 张伟华: the mismatch is shown beside it, and it is not echoed.
	form.Set("issued_on", "2020-07-01")
	form.Set("id_number", "11010519491231002X")
	p = b.post("/admin/credentials/new", form)
	if p.status != 409 && p.status != 422 {
		t.Fatalf("mismatch: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#id_number"`, `id="id_number-error"`)
	if p.has("11010519491231002X") {
		t.Fatal("the ID number was echoed")
	}
	// In Chinese the mismatch is in words.
	b.lang = ""
	p = b.post("/admin/credentials/new", form)
	p.mustHave(t, "此身份证号码属于以另一姓名登记的人员")
	b.lang = "en"
	// An existing certificate number is a conflict beside it.
	dup := url.Values{}
	for k, v := range form {
		dup[k] = v
	}
	dup.Set("certificate_no", certNo)
	dup.Del("id_number")
	if p = b.post("/admin/credentials/new", dup); p.status != 409 || !p.has(`href="#certificate_no"`) {
		t.Fatalf("existing: %d\n%s", p.status, p.body)
	}
	form.Del("id_number")
	p = b.post("/admin/credentials/new", form)
	if p.status != 303 || p.header.Get("Location") != "/admin/credentials?registered=1&certificate_no=20201100000000007" {
		t.Fatalf("register: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
	b.get(p.header.Get("Location")).mustHave(t, "The credential has been registered.", "李四", "Entered by hand")
	if r := e.do("GET", "/api/v1/admin/credentials/20201100000000007", nil, bearer(tm.registrar)...); r.status != 200 || r.str("holder_name") != "李四" {
		t.Fatalf("API: %d %s", r.status, r.body)
	}

	// Re-registration from the credential page: a bad date, then a good one.
	p = b.post("/admin/credentials/reregister", url.Values{"certificate_no": {"20201100000000007"}, "registered_until": {"2019-01-01"}, "subject": {"数学"}, "issuer": {"东城区教委"}})
	if p.status != 400 || !p.has(`href="#rr-registered_until"`) || !p.has(`value="数学"`) {
		t.Fatalf("re-register, bad: %d\n%s", p.status, p.body)
	}
	p = b.post("/admin/credentials/reregister", url.Values{"certificate_no": {"20201100000000007"}, "registered_until": {"2035-06-30"}, "subject": {"数学"}, "issuer": {"东城区教委"}})
	if p.status != 303 {
		t.Fatalf("re-register: %d\n%s", p.status, p.body)
	}
	b.get(p.header.Get("Location")).mustHave(t, "renewed", "30 June 2035", "Re-registered", "数学")
}

func TestConsoleImportShowsTheRowReport(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil) // 张伟华, registered until 2029-06-30
	b := e.signIn("creg", "registrar")
	b.lang = "en"
	p := b.get("/admin/credentials/import")
	p.mustHave(t, `enctype="multipart/form-data"`, `accept=".csv,text/csv"`, `<label for="file">`, "At most 8.0 MiB")
	csv := "\ufeff" + csvHeader +
		"20201100000000007,李四,,primary,语文,东城区教委,2020-07-01,2030-06-30\n" + // new
		certNo + ",张伟华,,senior_secondary,数学,北京市海淀区教育委员会,2019-07-01,2034-06-30\n" + // renewed
		"20201100000000015,王五,,primary,语文,东城区教委,2020-07-01,2019-06-30\n" + // until before issue
		certNo + "9,赵六,,astronaut,语文,东城区教委,2020-07-01,2030-06-30\n" // unknown kind
	// The identity of a registered credential changes only by a correction.
	csv2 := csvHeader + certNo + ",张三,,senior_secondary,数学,北京市海淀区教育委员会,2019-07-01,2034-06-30\n"
	p = b.upload("/admin/credentials/import", b.lastCSRF, "spring.csv", []byte(csv))
	if p.status != 200 {
		t.Fatalf("import: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "File spring.csv imported", "Rows: 4", "Registered: 1", "Updated: 1", "Rejected: 2",
		"<th scope=\"row\">4</th>", "<th scope=\"row\">5</th>", "A value is not valid", "invalid_field", "registered_until", "unknown kind")
	p = b.upload("/admin/credentials/import", b.lastCSRF, "fix.csv", []byte(csv2))
	p.mustHave(t, "Rejected: 1", "<th scope=\"row\">2</th>", "Would change who the holder is (use a correction)", "identity_change")
	if r := e.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...); r.str("holder_name") != "张伟华" || r.str("registered_until") != "2034-06-30" {
		t.Fatalf("after import: %s", r.body)
	}
	if r := e.do("GET", "/api/v1/admin/credentials/20201100000000007", nil, bearer(tm.registrar)...); r.status != 200 {
		t.Fatalf("new row: %d %s", r.status, r.body)
	}
	// The same report in Chinese, with the codes in words.
	b.lang = ""
	p = b.upload("/admin/credentials/import", b.lastCSRF, "fix.csv", []byte(csv2))
	p.mustHave(t, "会改变持证人身份信息")

	// A file that is no register file, and a form with no file: errors beside the input.
	p = b.upload("/admin/credentials/import", b.lastCSRF, "x.csv", []byte("a,b\n1,2\n"))
	if p.status != 422 || !p.has(`href="#file"`) || !p.has(`id="file-error"`) {
		t.Fatalf("bad file: %d\n%s", p.status, p.body)
	}
	p = b.upload("/admin/credentials/import", b.lastCSRF, "", nil)
	if p.status != 400 || !p.has(`href="#file"`) {
		t.Fatalf("no file: %d\n%s", p.status, p.body)
	}

	// Without the form token the upload is refused and nothing is imported.
	p = b.upload("/admin/credentials/import", "", "evil.csv", []byte(csvHeader+"20201100000000023,钱七,,primary,语文,东城区教委,2020-07-01,2030-06-30\n"))
	if p.status != 403 || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("no token: %d\n%s", p.status, p.body)
	}
	p = b.upload("/admin/credentials/import", "forged", "evil.csv", []byte(csvHeader+"20201100000000023,钱七,,primary,语文,东城区教委,2020-07-01,2030-06-30\n"))
	if p.status != 403 {
		t.Fatalf("forged token: %d\n%s", p.status, p.body)
	}
	if r := e.do("GET", "/api/v1/admin/credentials/20201100000000023", nil, bearer(tm.registrar)...); r.status != 404 {
		t.Fatalf("imported without a token: %d %s", r.status, r.body)
	}
}

// The console's upload gets the CSV limit only with a session cookie; over
// it, the browser is shown a 413 page.
func TestConsoleImportBodyLimit(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_BODY_LIMIT": "16KiB", "PORTAL_CSV_BODY_LIMIT": "64KiB"})
	e.team()
	b := e.signIn("creg", "registrar")
	b.get("/admin/credentials/import")
	base := e.listen()
	var csv strings.Builder
	csv.WriteString(csvHeader + "20201100000000007,李四,,primary,语文,东城区教委,2020-07-01,2030-06-30\n")
	for csv.Len() < 40<<10 {
		csv.WriteString("# padding row that is malformed and reported\n")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.lastCSRF)
	part, _ := w.CreateFormFile("file", "big.csv")
	io.WriteString(part, csv.String())
	w.Close()
	send := func(cookie string, payload []byte) (*http.Response, string) {
		req, _ := http.NewRequest("POST", base+"/admin/credentials/import", bytes.NewReader(payload))
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Language", "en")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(raw)
	}
	// 40 KiB: over the JSON limit, under the CSV limit.
	res, page := send(b.sessionCookie(), body.Bytes())
	if res.StatusCode != 200 || !strings.Contains(page, "Registered: 1") {
		t.Fatalf("signed in, %d bytes: %d\n%.2000s", body.Len(), res.StatusCode, page)
	}
	// Without a session the small limit holds, before the body is read.
	r := headersOnly(t, base, "POST", "/admin/credentials/import", body.Len(), "Accept", "text/html")
	if r.status != 413 {
		t.Fatalf("anonymous: %d %s", r.status, r.body)
	}
	// A made-up session cookie is no session.
	if r := headersOnly(t, base, "POST", "/admin/credentials/import", body.Len(), "Cookie", "portal_session=made.up.token", "Accept", "text/html"); r.status != 413 {
		t.Fatalf("forged cookie: %d %s", r.status, r.body)
	}
	// Another console path keeps the small limit with a session too.
	if r := headersOnly(t, base, "POST", "/admin/credentials/new", body.Len(), "Cookie", b.sessionCookie(), "Accept", "text/html"); r.status != 413 {
		t.Fatalf("other path: %d %s", r.status, r.body)
	}
	// Over the CSV limit: a 413 page for the browser.
	r = headersOnly(t, base, "POST", "/admin/credentials/import", 100<<10, "Cookie", b.sessionCookie(), "Accept", "text/html,application/xhtml+xml", "Accept-Language", "en")
	if r.status != 413 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<h1>") {
		t.Fatalf("over the limit: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
}

func TestConsoleProposeRevocationFromTheCredentialPage(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	b := e.signIn("creg", "registrar")
	b.lang = "en"
	b.get("/admin/credentials?certificate_no=" + certNo)
	// No reason: the error is beside the reason of that form, which stays open.
	p := b.post("/admin/credentials/actions", url.Values{"kind": {"revoke_credential"}, "certificate_no": {certNo}, "reason": {""}})
	if p.status != 400 && p.status != 422 {
		t.Fatalf("no reason: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#revoke_credential-reason"`, `id="revoke_credential-reason-error"`, `<details class="register-action" open>`)
	p = b.post("/admin/credentials/actions", url.Values{"kind": {"revoke_credential"}, "certificate_no": {certNo}, "reason": {"证书系伪造"}})
	if p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/admin/credentials?proposed=") {
		t.Fatalf("propose: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
	b.get(p.header.Get("Location")).mustHave(t, "has been proposed", `href="/admin/actions"`)
	r := e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...)
	if r.status != 200 || !strings.Contains(string(r.body), `"kind":"revoke_credential"`) || !strings.Contains(string(r.body), certNo) ||
		!strings.Contains(string(r.body), `"proposed_by":"creg"`) {
		t.Fatalf("pending: %d %s", r.status, r.body)
	}
	// A ban needs an end date or "permanent"; permanent is sent as null.
	p = b.post("/admin/credentials/actions", url.Values{"kind": {"impose_ban"}, "certificate_no": {certNo}, "scope": {"education"}, "starts_on": {"2026-06-01"}, "reason": {"终身禁入"}})
	if p.status != 400 || !p.has(`href="#impose_ban-ends_on"`) {
		t.Fatalf("ban without end: %d\n%s", p.status, p.body)
	}
	p = b.post("/admin/credentials/actions", url.Values{"kind": {"impose_ban"}, "certificate_no": {certNo}, "scope": {"education"}, "starts_on": {"2026-06-01"}, "permanent": {"1"}, "reason": {"终身禁入"}})
	if p.status != 303 {
		t.Fatalf("permanent ban: %d\n%s", p.status, p.body)
	}
	r = e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...)
	if !strings.Contains(string(r.body), `"kind":"impose_ban"`) || !strings.Contains(string(r.body), `"ends_on":null`) {
		t.Fatalf("pending ban: %s", r.body)
	}
	// An unknown kind is refused, and nothing is proposed.
	if p = b.post("/admin/credentials/actions", url.Values{"kind": {"publish_case"}, "certificate_no": {certNo}, "reason": {"xx"}}); p.status != 400 {
		t.Fatalf("other kind: %d", p.status)
	}
	if r = e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...); r.json["total"] != 2.0 {
		t.Fatalf("pending: %s", r.body)
	}
}

func TestConsoleRegisterPagesNeedTheirRoles(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		user, role string
		allowed    []string
		refused    []string
	}{
		{"ced", "editor", nil, []string{"/admin/credentials", "/admin/credentials/new", "/admin/credentials/import", "/admin/bans", "/admin/audit"}},
		{"creg", "registrar", []string{"/admin/credentials", "/admin/credentials/new", "/admin/credentials/import", "/admin/bans"}, []string{"/admin/audit"}},
		{"crev", "reviewer", []string{"/admin/bans"}, []string{"/admin/credentials", "/admin/credentials/import", "/admin/audit"}},
		{"caud", "auditor", []string{"/admin/audit"}, []string{"/admin/credentials", "/admin/bans"}},
		{"croot", "admin", []string{"/admin/credentials", "/admin/bans", "/admin/audit"}, nil},
	} {
		b := e.signIn(c.user, c.role)
		for _, path := range c.allowed {
			if p := b.get(path); p.status != 200 {
				t.Errorf("%s GET %s: %d", c.role, path, p.status)
			}
		}
		for _, path := range c.refused {
			p := b.get(path)
			if p.status != 403 || !strings.Contains(p.header.Get("Content-Type"), "text/html") || !p.has("<h1>") {
				t.Errorf("%s GET %s: %d %s", c.role, path, p.status, p.header.Get("Content-Type"))
			}
		}
	}
	// A refused POST changes nothing: an editor cannot register or propose.
	b := e.signIn("ced2", "editor")
	b.get("/admin")
	if p := b.post("/admin/credentials/new", url.Values{"certificate_no": {certNo}, "holder_name": {holder}, "kind": {"primary"},
		"issued_on": {"2019-07-01"}, "registered_until": {"2029-06-30"}}); p.status != 403 {
		t.Fatalf("editor registers: %d", p.status)
	}
	if rec, err := e.app.Credential(t.Context(), certNo); err == nil {
		t.Fatalf("registered by an editor: %v", rec)
	}
	// Signed out, the pages send the browser to sign in.
	if p := e.browser().get("/admin/credentials"); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/admin/login") {
		t.Fatalf("signed out: %d %s", p.status, p.header.Get("Location"))
	}
}

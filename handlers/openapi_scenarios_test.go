package handlers_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// notReached are the documented operations TestResponsesMatchOpenAPI does
// not reach with success, and why.
var notReached = map[string]string{}

// TestResponsesMatchOpenAPI runs the portal through the public, admin and
// School APIs, their successes and their refusals (400, 401, 403, 404, 409,
// 410, 413, 415, 422, 429), and holds every answer to docs/openapi.yaml.
func TestResponsesMatchOpenAPI(t *testing.T) {
	c := newContract(t)
	e := c.newEnv(map[string]string{"PORTAL_RATE_SEARCH": "100000/s", "PORTAL_WEBHOOK_ALLOW_LOOPBACK": "true"})
	tm := e.team()
	contractPublic(t, e, tm)
	contractAdmin(t, e, tm)
	contractSchool(t, e, tm)
	school := e.newClient(tm.admin, "通州区某中学", "verify_batch", "watch", "eligibility").str("api_key")
	contractBatch(t, e, school)
	contractWatches(t, c, e, tm, school, e.newClient(tm.admin, "顺义区某小学", "eligibility").str("api_key"))
	base := e.listen()
	contractRefusals(t, e, base, tm)
	c.sweep(t, e, base, tm, school, sweepTargets(e, tm, school))
	contractLimits(t, c)
	c.cover(notReached)
}

// want fails unless r has the status: a scenario that went astray would
// otherwise validate some other answer than the one it meant to.
func want(t *testing.T, r *response, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %.300s", r.status, status, r.body)
	}
	return r
}

// drain delivers the outbox, so the search index shows what was published.
func (e *env) drain() {
	e.t.Helper()
	for {
		n, err := e.app.DrainOutbox(context.Background(), "test")
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func contractPublic(t *testing.T, e *env, tm team) {
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json", "/api/v1/taxonomy",
		"/api/v1/openapi.json", "/api/v1/openapi.yaml", "/api/v1/audit/checkpoint", "/api/v1/audit/checkpoint/key"} {
		want(t, e.do("GET", p, nil), 200)
	}

	// Cases: one published, one published then withdrawn (410), searched with facets and highlight.
	e.registerCredential(tm.registrar, nil)
	id := e.publish(tm.editor, tm.reviewer, map[string]any{"certificate_no": certNo}, "")
	gone := e.publish(tm.editor, tm.reviewer, map[string]any{"title": "某中学教师收受家长礼品"}, "")
	wd := e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": gone, "reason": "经复核撤回"})
	want(t, e.approve(tm.reviewer, wd), 200)
	am := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "changes": map[string]string{"title": "某小学教师体罚学生被记过"}, "note": "更正标题", "reason": "更正"})
	want(t, e.approve(tm.reviewer, am), 200)
	e.drain()
	want(t, e.publicCase(id), 200)
	if r := want(t, e.publicCase(gone), 410); r.str("status") != "withdrawn" {
		t.Fatalf("withdrawn case: %s", r.body)
	}
	s := want(t, e.do("GET", "/api/v1/cases?q=%E4%BD%93%E7%BD%B0&district=%E6%B5%B7%E6%B7%80%E5%8C%BA&category=5&sanction=demerit&sort=newest&per_page=5", nil), 200)
	if hits, _ := s.json["hits"].([]any); len(hits) == 0 {
		t.Fatalf("search found nothing: %s", s.body)
	}
	want(t, e.do("GET", "/api/v1/cases?from=2026-01-01&to=2026-12-31&stage=primary&page=2", nil), 200)
	want(t, e.do("GET", "/feed.atom", nil), 200)

	// Verification: a match and a miss, and their receipts checked.
	m := want(t, e.verifyCert(certNo, holder), 200)
	if m.json["match"] != true {
		t.Fatalf("no match: %s", m.body)
	}
	miss := want(t, e.verifyCert("20191100999999999", holder), 200)
	e.checkReceipt(m.str("receipt"))
	e.checkReceipt(miss.str("receipt"))
	e.checkReceipt("eyJhbGciOiJFZERTQSJ9.e30.c2ln") // not ours: valid false
}

func contractAdmin(t *testing.T, e *env, tm team) {
	want(t, e.do("GET", "/api/v1/admin/me", nil, bearer(tm.admin)...), 200)

	// Credentials: one with an ID number, an import, a read with its history.
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20201100141000456", "holder_name": "王五", "id_number": idNumber(7)})
	csv := registerCSVHeader +
		"20211100141000789,李四," + idNumber(8) + ",primary,语文,北京市朝阳区教育委员会,2021-07-01,2031-06-30\n" +
		"bad,李四,,primary,语文,北京市朝阳区教育委员会,2021-07-01,2031-06-30\n"
	e.importCSV(tm.registrar, "register.csv", csv)
	want(t, e.do("GET", "/api/v1/admin/credentials/20211100141000789", nil, bearer(tm.registrar)...), 200)

	// Actions: each kind of credential and ban action, proposed, approved or rejected, listed.
	ban := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "id_number": idNumber(7), "name": "王五", "scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "严重违反师德"})
	r := want(t, e.approve(tm.reviewer, ban), 200)
	banID := int64(r.json["ban_id"].(float64))
	want(t, e.do("GET", "/api/v1/admin/bans?id_number="+idNumber(7), nil, bearer(tm.registrar)...), 200)
	want(t, e.do("GET", "/api/v1/admin/bans?certificate_no=20201100141000456", nil, bearer(tm.reviewer)...), 200)
	sus := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": "20211100141000789", "until": "2026-12-31", "reason": "调查期间暂停"})
	want(t, e.approve(tm.reviewer, sus), 200)
	lift := e.propose(tm.registrar, map[string]any{"kind": "lift_ban", "ban_id": banID, "reason": "期满解除"})
	want(t, e.do("POST", "/api/v1/admin/actions/"+lift+"/reject", map[string]string{"reason": "尚未期满"}, bearer(tm.reviewer)...), 200)
	fix := e.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": "20211100141000789", "holder_name": "李肆", "reason": "更正姓名"})
	want(t, e.approve(tm.reviewer2, fix), 200)
	rev := e.propose(tm.registrar, map[string]any{"kind": "revoke_credential", "certificate_no": "20211100141000789", "reason": "依法撤销"})
	want(t, e.do("GET", "/api/v1/admin/actions/"+rev, nil, bearer(tm.editor)...), 200)
	want(t, e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...), 200)
	want(t, e.do("GET", "/api/v1/admin/actions?per_page=100", nil, bearer(tm.admin)...), 200)
	want(t, e.verifyCert("20201100141000456", "王五"), 200) // a banned holder's match

	// Cases as the admin API shows them: a draft with findings, edited, listed.
	d := e.draft(tm.editor, map[string]any{"summary": "家长联系电话13800138000。", "certificate_no": "20201100141000456"})
	did := d.str("id")
	want(t, e.do("PATCH", "/api/v1/admin/cases/"+did, map[string]any{"title": "某小学教师辱骂学生"}, append(bearer(tm.editor), "If-Match", `"1"`)...), 200)
	want(t, e.do("GET", "/api/v1/admin/cases/"+did, nil, bearer(tm.reviewer)...), 200)
	want(t, e.do("GET", "/api/v1/admin/cases?status=draft", nil, bearer(tm.editor)...), 200)
	want(t, e.do("GET", "/api/v1/admin/cases", nil, bearer(tm.reviewer)...), 200)
	pub := e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": did, "reason": "依规公开"})
	wantProblem(t, e.approve(tm.reviewer, pub), 422, "redaction_findings")
	want(t, e.approveWith(tm.reviewer, pub, map[string]any{"acknowledge_findings": "该号码为教委公开的咨询电话"}), 200)

	// Users.
	want(t, e.do("POST", "/api/v1/admin/users", map[string]any{"username": "aud", "password": "a long passphrase 2026", "roles": []string{"auditor"}}, bearer(tm.admin)...), 201)
	want(t, e.do("GET", "/api/v1/admin/users", nil, bearer(tm.admin)...), 200)
	want(t, e.do("PATCH", "/api/v1/admin/users/aud", map[string]any{"roles": []string{"auditor", "reviewer"}, "reset_totp": true}, bearer(tm.admin)...), 200)
	want(t, e.do("PATCH", "/api/v1/admin/users/aud", map[string]any{"disabled": true}, bearer(tm.admin)...), 200)

	// The audit log.
	aud := e.addUser("auditor", "auditor")
	want(t, e.do("GET", "/api/v1/admin/audit?after=2&limit=5", nil, bearer(aud)...), 200)
	want(t, e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(aud)...), 200)

	// Signing out ends the token.
	out := e.login("auditor")
	want(t, e.do("POST", "/api/v1/auth/logout", nil, bearer(out)...), 204)
	wantProblem(t, e.do("GET", "/api/v1/admin/audit", nil, bearer(out)...), 401, "unauthorized")
}

func contractSchool(t *testing.T, e *env, tm team) {
	x := e.newClient(tm.admin, "海淀区某中学", "eligibility", "verify_batch")
	y := e.newClient(tm.admin, "朝阳区某小学", "watch")
	idX, keyX, keyY := x.str("client_id"), x.str("api_key"), y.str("api_key")

	if r := want(t, e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idNumber(7), "name": "王五"}, apiKey(keyX)...), 200); r.json["eligible"] != false {
		t.Fatalf("a banned person is eligible: %s", r.body)
	}
	want(t, e.eligibilityBy(apiKey(keyX)...), 200)
	e.eligibility(tm.registrar, idNumber(99), "赵六") // by an admin token, a miss
	want(t, e.do("GET", "/api/v1/client/checks?per_page=1", nil, apiKey(keyX)...), 200)
	want(t, e.do("GET", "/api/v1/client/checks", nil, apiKey(keyY)...), 200)

	want(t, e.do("GET", "/api/v1/admin/clients", nil, bearer(tm.admin)...), 200)
	want(t, e.do("POST", "/api/v1/admin/clients/"+idX+"/rotate", nil, bearer(tm.admin)...), 200)
	want(t, e.do("POST", "/api/v1/admin/clients/"+idX+"/rotate-secret", nil, bearer(tm.admin)...), 200)
	want(t, e.do("GET", "/api/v1/admin/clients", nil, bearer(tm.admin)...), 200) // with previous_key_until
	want(t, e.do("GET", "/api/v1/admin/clients/"+idX+"/usage?page=1&per_page=10", nil, bearer(tm.admin)...), 200)
	want(t, e.do("PATCH", "/api/v1/admin/clients/"+y.str("client_id"), map[string]any{"disabled": true}, bearer(tm.admin)...), 200)

	wantProblem(t, e.do("GET", "/api/v1/client/checks", nil, apiKey(keyY)...), 401, "unauthorized")
	wantProblem(t, e.do("GET", "/api/v1/client/checks", nil), 401, "unauthorized")
	wantProblem(t, e.eligibilityBy(apiKey("epk_garbage")...), 401, "unauthorized")
	z := e.newClient(tm.admin, "西城区某幼儿园", "watch")
	wantProblem(t, e.eligibilityBy(apiKey(z.str("api_key"))...), 403, "forbidden")
	wantProblem(t, e.eligibilityBy(), 401, "unauthorized")
	wantProblem(t, e.eligibilityBy(bearer(tm.editor)...), 403, "forbidden")
	wantProblem(t, e.do("GET", "/api/v1/client/checks?page=0", nil, apiKey(keyX)...), 400, "invalid_field")
	wantProblem(t, e.do("GET", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa/usage", nil, bearer(tm.admin)...), 404, "not_found")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa/rotate", nil, bearer(tm.admin)...), 404, "not_found")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa/rotate-secret", nil, bearer(tm.admin)...), 404, "not_found")
	wantProblem(t, e.do("PATCH", "/api/v1/admin/clients/cl_aaaaaaaaaaaaaaaa", map[string]any{"disabled": true}, bearer(tm.admin)...), 404, "not_found")
	wantProblem(t, e.do("POST", "/api/v1/admin/clients", map[string]any{"name": "某校", "scopes": []string{"everything"}}, bearer(tm.admin)...), 400, "invalid_field")
}

func contractRefusals(t *testing.T, e *env, base string, tm team) {
	big := `{"certificate_no": "` + strings.Repeat("1", 1<<20) + `", "name": "x"}`
	tests := []struct {
		method, path string
		body         any
		headers      []string
		status       int
		code         string
	}{
		{"GET", "/api/v1/cases?district=nowhere", nil, nil, 400, "invalid_field"},
		{"GET", "/api/v1/cases?q=%FF", nil, nil, 400, "invalid_utf8"},
		{"GET", "/api/v1/cases?per_page=101", nil, nil, 400, "invalid_field"},
		{"GET", "/api/v1/taxonomy?x=%FF", nil, nil, 400, "invalid_utf8"},
		{"POST", "/api/v1/verifications", map[string]string{"certificate_no": "1", "name": holder}, nil, 400, "invalid_field"},
		{"POST", "/api/v1/verifications", map[string]string{"certificate_no": certNo}, nil, 400, "missing_field"},
		{"POST", "/api/v1/verifications", "{", nil, 400, "invalid_json"},
		{"POST", "/api/v1/verifications", "certificate_no=1", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"POST", "/api/v1/receipts/check", map[string]string{}, nil, 400, "missing_field"},
		{"POST", "/api/v1/eligibility", map[string]string{"id_number": "123", "name": "王五"}, bearer(tm.registrar), 400, "invalid_field"},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "root", "password": "wrong"}, nil, 401, "unauthorized"},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "root", "password": "x", "extra": "y"}, nil, 400, "unknown_field"},
		{"POST", "/api/v1/auth/login", "x", []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"POST", "/api/v1/auth/logout", nil, nil, 401, "unauthorized"},
		{"GET", "/api/v1/admin/me", nil, bearer("not.a.token"), 401, "unauthorized"},
		{"GET", "/api/v1/admin/users", nil, bearer(tm.registrar), 403, "forbidden"},
		{"GET", "/api/v1/admin/audit", nil, bearer(tm.editor), 403, "forbidden"},
		{"GET", "/api/v1/admin/audit?limit=0", nil, bearer(tm.admin), 400, "invalid_field"},
		{"POST", "/api/v1/admin/credentials", map[string]string{"certificate_no": certNo, "holder_name": holder, "kind": "senior_secondary", "issued_on": "2019-07-01", "registered_until": "2029-06-30"}, bearer(tm.registrar), 409, "conflict"},
		{"POST", "/api/v1/admin/credentials", map[string]string{"certificate_no": "20191100141000999", "district": "x"}, bearer(tm.registrar), 400, "unknown_field"},
		{"POST", "/api/v1/admin/credentials", map[string]string{}, bearer(tm.editor), 403, "forbidden"},
		{"POST", "/api/v1/admin/credentials/import", "certificate_no\n1\n", append(bearer(tm.registrar), "Content-Type", "application/json"), 415, "unsupported_media_type"},
		{"GET", "/api/v1/admin/credentials/20191100999999999", nil, bearer(tm.registrar), 404, "not_found"},
		{"GET", "/api/v1/admin/bans", nil, bearer(tm.registrar), 400, "missing_field"},
		{"POST", "/api/v1/admin/cases", withField("certificate_no", "20191100999999999"), bearer(tm.editor), 422, "unknown_reference"},
		{"GET", "/api/v1/admin/cases/zzzzzzzzzzzzzzzz", nil, bearer(tm.editor), 404, "not_found"},
		{"GET", "/api/v1/admin/cases?status=lost", nil, bearer(tm.editor), 400, "invalid_field"},
		{"GET", "/api/v1/cases/zzzzzzzzzzzzzzzz", nil, nil, 404, "not_found"},
		{"POST", "/api/v1/admin/actions", map[string]any{"kind": "revoke_credential", "certificate_no": "20191100999999999", "reason": "撤销"}, bearer(tm.registrar), 422, "unknown_reference"},
		{"POST", "/api/v1/admin/actions", map[string]any{"kind": "publish_case", "case_id": "x", "reason": "公开"}, bearer(tm.registrar), 403, "forbidden"},
		{"GET", "/api/v1/admin/actions/999999", nil, bearer(tm.admin), 404, "not_found"},
		{"GET", "/api/v1/admin/actions?status=maybe", nil, bearer(tm.admin), 400, "invalid_field"},
		{"POST", "/api/v1/admin/actions/999999/approve", nil, bearer(tm.reviewer), 404, "not_found"},
		{"POST", "/api/v1/admin/actions/999999/reject", map[string]string{"reason": "理由不足"}, bearer(tm.reviewer), 404, "not_found"},
		{"POST", "/api/v1/admin/users", map[string]any{"username": "rev", "password": "a long passphrase 2026", "roles": []string{"reviewer"}}, bearer(tm.admin), 409, "conflict"},
		{"PATCH", "/api/v1/admin/users/root", map[string]any{"disabled": true}, bearer(tm.admin), 409, "last_admin"},
		{"PATCH", "/api/v1/admin/users/nobody", map[string]any{"disabled": true}, bearer(tm.admin), 404, "not_found"},
	}
	for _, tt := range tests {
		r := e.do(tt.method, tt.path, tt.body, tt.headers...)
		if r.status != tt.status || r.str("code") != tt.code {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.str("code"), tt.status, tt.code)
		}
	}

	// Bodies over the limit, which only a real connection sees answered.
	for _, tt := range []struct {
		path    string
		headers []string
	}{
		{"/api/v1/verifications", nil},
		{"/api/v1/receipts/check", nil},
		{"/api/v1/eligibility", bearer(tm.registrar)},
		{"/api/v1/admin/credentials", bearer(tm.registrar)},
		{"/api/v1/admin/users", bearer(tm.admin)},
		{"/api/v1/auth/login", nil},
	} {
		r := e.doNet(base, "POST", tt.path, big, tt.headers...)
		wantProblem(t, r, 413, "body_too_large")
		req := httptest.NewRequest("POST", tt.path, nil)
		for i := 0; i+1 < len(tt.headers); i += 2 {
			req.Header.Set(tt.headers[i], tt.headers[i+1])
		}
		e.observe(req, nil, r)
	}

	// Deciding an action twice, and approving one's own.
	id := e.propose(tm.registrar, map[string]any{"kind": "reinstate_credential", "certificate_no": "20211100141000789", "reason": "恢复"})
	want(t, e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "不必"}, bearer(tm.reviewer)...), 200)
	wantProblem(t, e.approve(tm.reviewer, id), 409, "conflict")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "再次"}, bearer(tm.reviewer)...), 409, "conflict")
	own := e.propose(tm.admin, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "暂停"})
	wantProblem(t, e.approve(tm.admin, own), 403, "four_eyes")
	did := e.draftID(tm.editor, nil)
	want(t, e.do("PATCH", "/api/v1/admin/cases/"+did, map[string]any{"title": "又一个标题"}, append(bearer(tm.editor), "If-Match", `"7"`)...), 409)
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/"+did, map[string]any{"certificate_no": "20191100999999999"}, bearer(tm.editor)...), 422, "unknown_reference")
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/zzzzzzzzzzzzzzzz", map[string]any{"title": "又一个标题"}, bearer(tm.editor)...), 404, "not_found")
	wantProblem(t, e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "reinstate_credential", "certificate_no": certNo, "reason": "恢复"}, bearer(tm.registrar)...), 409, "conflict")
	wantProblem(t, e.do("POST", "/api/v1/admin/credentials", map[string]string{"certificate_no": "20191100141000998", "holder_name": "赵六", "id_number": idNumber(7),
		"kind": "primary", "issued_on": "2019-07-01", "registered_until": "2029-06-30"}, bearer(tm.registrar)...), 422, "id_name_mismatch")

	// A CSV upload over its own, larger limit.
	csv := registerCSVHeader + strings.Repeat("20191100141000999,张三,,primary,语文,某区教委,2019-07-01,2029-06-30\n", 8<<20/70+1)
	r := e.doNet(base, "POST", "/api/v1/admin/credentials/import", csv, bearer(tm.registrar)...)
	wantProblem(t, r, 413, "body_too_large")
	req := httptest.NewRequest("POST", "/api/v1/admin/credentials/import", nil)
	req.Header.Set("Authorization", "Bearer "+tm.registrar)
	e.observe(req, nil, r)
}

// sweepTargets makes an object for each documented path with parameters,
// for the sweep's refusals to name.
func sweepTargets(e *env, tm team, key string) map[string]string {
	e.t.Helper()
	watch := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": holder, "callback_url": newHookReceiver(e.t).url}, apiKey(key)...)
	if watch.status != 201 {
		e.t.Fatalf("watch: %d %s", watch.status, watch.body)
	}
	caseID := e.draftID(tm.editor, nil)
	action := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "调查期间暂停"})
	client := e.newClient(tm.admin, "东城区某中学", "eligibility").str("client_id")
	return map[string]string{
		"/api/v1/cases/{id}":                         "/api/v1/cases/" + caseID,
		"/api/v1/admin/cases/{id}":                   "/api/v1/admin/cases/" + caseID,
		"/api/v1/admin/actions/{id}":                 "/api/v1/admin/actions/" + action,
		"/api/v1/admin/actions/{id}/approve":         "/api/v1/admin/actions/" + action + "/approve",
		"/api/v1/admin/actions/{id}/reject":          "/api/v1/admin/actions/" + action + "/reject",
		"/api/v1/admin/credentials/{certificate_no}": "/api/v1/admin/credentials/" + certNo,
		"/api/v1/admin/users/{username}":             "/api/v1/admin/users/rev",
		"/api/v1/admin/clients/{id}":                 "/api/v1/admin/clients/" + client,
		"/api/v1/admin/clients/{id}/rotate":          "/api/v1/admin/clients/" + client + "/rotate",
		"/api/v1/admin/clients/{id}/rotate-secret":   "/api/v1/admin/clients/" + client + "/rotate-secret",
		"/api/v1/admin/clients/{id}/usage":           "/api/v1/admin/clients/" + client + "/usage",
		"/api/v1/watches/{id}":                       "/api/v1/watches/" + watch.str("id"),
		"/api/v1/watches/{id}/deliveries":            "/api/v1/watches/" + watch.str("id") + "/deliveries",
	}
}

// contractLimits spends small allowances to see every rate limit's 429.
func contractLimits(t *testing.T, c *contract) {
	e := c.newEnv(map[string]string{"PORTAL_RATE_VERIFY": "1/m", "PORTAL_RATE_SEARCH": "1/m", "PORTAL_RATE_LOGIN": "2/m", "PORTAL_RATE_CLIENT": "1/m"})
	root := e.addUser("root", "admin")
	key := e.newClient(root, "某校", "eligibility").str("api_key")
	batch := e.newClient(root, "某中学", "verify_batch").str("api_key")
	watcher := e.newClient(root, "某小学", "watch").str("api_key")
	for _, step := range []struct {
		method, path string
		body         any
		headers      []string
	}{
		{"POST", "/api/v1/verifications", map[string]string{"certificate_no": certNo, "name": holder}, nil},
		{"POST", "/api/v1/receipts/check", map[string]string{"receipt": "x.y.z"}, nil},
		{"GET", "/api/v1/cases", nil, nil},
		{"GET", "/api/v1/cases/zzzzzzzzzzzzzzzz", nil, nil},
		{"GET", "/api/v1/audit/checkpoint", nil, nil},
		{"POST", "/api/v1/eligibility", map[string]string{"id_number": idNumber(7), "name": "王五"}, bearer(root)},
		{"GET", "/api/v1/client/checks", nil, apiKey(key)},
		{"POST", "/api/v1/verifications/batch", map[string]any{"items": []map[string]string{{"certificate_no": certNo, "name": holder}, {"certificate_no": "20191100000000031", "name": "王芳"}}}, apiKey(batch)},
		{"GET", "/api/v1/watches", nil, apiKey(watcher)},
		{"GET", "/api/v1/watches/wa_aaaaaaaaaaaaaaaa", nil, apiKey(watcher)},
		{"GET", "/api/v1/watches/wa_aaaaaaaaaaaaaaaa/deliveries", nil, apiKey(watcher)},
		{"DELETE", "/api/v1/watches/wa_aaaaaaaaaaaaaaaa", nil, apiKey(watcher)},
		{"POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": holder, "callback_url": "https://hr.example.cn/hook"}, apiKey(watcher)},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "root", "password": "wrong"}, nil},
	} {
		var r *response
		for range 3 {
			if r = e.do(step.method, step.path, step.body, step.headers...); r.status == 429 {
				break
			}
		}
		wantProblem(t, r, 429, "rate_limited")
	}

	// A store that is gone: the faults are answered as documented (500 or 503).
	e.app.Store().Close()
	wantProblem(t, e.do("GET", "/readyz", nil), 503, "unavailable")
	for _, r := range []*response{
		e.do("GET", "/api/v1/admin/me", nil, bearer(root)...),
		e.do("GET", "/api/v1/admin/clients", nil, bearer(root)...),
	} {
		if r.status != 500 && r.status != 503 {
			t.Errorf("with the store closed: %d %s", r.status, r.body)
		}
	}
}

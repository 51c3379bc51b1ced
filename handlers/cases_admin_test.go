package handlers_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var caseIDShape = regexp.MustCompile(`^[a-z2-7]{16}$`)

func TestCaseDraftLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	before := e.auditCount(tm.admin)

	r := e.draft(tm.editor, map[string]any{"certificate_no": "2019-1100-1410-0012-3", "categories": []int{7, 5}})
	id := r.str("id")
	if !caseIDShape.MatchString(id) || r.str("status") != "draft" || r.json["version"] != 1.0 || r.str("certificate_no") != certNo ||
		r.str("created_by") != "ed" || r.json["published_at"] != nil || r.json["publish_until"] != nil ||
		r.header.Get("Location") != "/api/v1/admin/cases/"+id || r.header.Get("ETag") != `"1"` || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created: %s %v", r.body, r.header)
	}
	if cats := r.json["categories"].([]any); len(cats) != 2 || cats[0] != 5.0 || cats[1] != 7.0 {
		t.Fatalf("categories kept in order: %v", cats)
	}
	if fs := r.json["findings"].([]any); len(fs) != 0 {
		t.Fatalf("a clean draft has findings: %v", fs)
	}
	if other := e.draftID(tm.editor, nil); other == id || !caseIDShape.MatchString(other) {
		t.Fatalf("second id %q", other)
	}
	e.clock.Add(time.Minute) // the edits below come later than both creations

	// A reviewer reads drafts; a registrar does not, and nobody but an editor writes them.
	if g := e.adminCase(tm.reviewer, id); g.str("title") != "某小学教师体罚学生" || g.str("body") == "" {
		t.Fatalf("get: %s", g.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/cases/"+id, nil, bearer(tm.registrar)...), 403, "forbidden")
	wantProblem(t, e.do("POST", "/api/v1/admin/cases", caseDraft(), bearer(tm.reviewer)...), 403, "forbidden")
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "x标题"}, bearer(tm.reviewer)...), 403, "forbidden")
	wantProblem(t, e.do("GET", "/api/v1/admin/cases/"+id, nil), 401, "unauthorized")
	wantProblem(t, e.do("GET", "/api/v1/admin/cases/aaaaaaaaaaaaaaaa", nil, bearer(tm.editor)...), 404, "not_found")

	// A partial edit: one field changes, the rest stays; then If-Match with a stale version is refused.
	p := e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "某小学教师体罚学生被记过", "incident_date": ""}, bearer(tm.editor)...)
	if p.status != 200 || p.str("title") != "某小学教师体罚学生被记过" || p.json["incident_date"] != nil || p.str("summary") != caseDraft()["summary"] ||
		p.json["version"] != 2.0 || p.header.Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", p.status, p.body)
	}
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "又一个标题"}, append(bearer(tm.editor), "If-Match", `"1"`)...), 409, "conflict")
	if p := e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "又一个标题"}, append(bearer(tm.editor), "If-Match", `"2"`)...); p.status != 200 || p.json["version"] != 3.0 {
		t.Fatalf("patch if-match: %d %s", p.status, p.body)
	}
	// An edit that changes nothing writes nothing.
	if p := e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "又一个标题"}, bearer(tm.editor)...); p.status != 200 || p.json["version"] != 3.0 {
		t.Fatalf("a no-op patch: %d %s", p.status, p.body)
	}
	// Clearing the link.
	if p := e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"certificate_no": ""}, bearer(tm.editor)...); p.json["certificate_no"] != nil {
		t.Fatalf("unlinked: %s", p.body)
	}
	// Two creations and three edits, each audited.
	if after := e.auditCount(tm.admin); after != before+5 {
		t.Fatalf("audit events %d -> %d, want 5 more", before, after)
	}
	ev := e.do("GET", "/api/v1/admin/audit?after=0&limit=1000", nil, bearer(tm.admin)...)
	if !strings.Contains(string(ev.body), `"action":"case.update"`) || !strings.Contains(string(ev.body), `"object":"case:`+id+`"`) {
		t.Fatalf("no case.update audit event: %.500s", ev.body)
	}

	// The public sees nothing of a draft, and a draft and an unknown id look alike.
	d, u := e.publicCase(id), e.publicCase("aaaaaaaaaaaaaaaa")
	wantProblem(t, d, 404, "not_found")
	wantProblem(t, u, 404, "not_found")
	if d.str("detail") != u.str("detail") {
		t.Fatalf("a draft's 404 differs from an unknown id's: %q vs %q", d.str("detail"), u.str("detail"))
	}

	// Lists.
	l := e.do("GET", "/api/v1/admin/cases?status=draft&per_page=1", nil, bearer(tm.editor)...)
	if l.status != 200 || l.json["total"] != 2.0 || len(l.json["cases"].([]any)) != 1 {
		t.Fatalf("list: %d %s", l.status, l.body)
	}
	if first := l.json["cases"].([]any)[0].(map[string]any); first["id"] != id || first["certificate_no"] != nil {
		t.Fatalf("the most recently changed first: %v", first)
	}
	for _, q := range []string{"status=published", "status=withdrawn", "status=pending"} {
		if l := e.do("GET", "/api/v1/admin/cases?"+q, nil, bearer(tm.reviewer)...); l.json["total"] != 0.0 {
			t.Fatalf("%s: %s", q, l.body)
		}
	}
	e.propose(tm.editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	if l := e.do("GET", "/api/v1/admin/cases?status=pending", nil, bearer(tm.reviewer)...); l.json["total"] != 1.0 {
		t.Fatalf("pending: %s", l.body)
	}
	for _, q := range []string{"status=expired", "status=draft&status=draft", "per_page=0", "page=0"} {
		wantProblem(t, e.do("GET", "/api/v1/admin/cases?"+q, nil, bearer(tm.editor)...), 400, "invalid_field")
	}
}

func TestCaseDraftBadInput(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	id := e.draftID(tm.editor, nil)
	before := e.auditCount(tm.admin)
	for _, tc := range []struct {
		name   string
		fields map[string]any
		status int
		code   string
		field  string
	}{
		{"unknown field", map[string]any{"colour": "red"}, 400, "unknown_field", "colour"},
		{"unknown sanction member", map[string]any{"sanctions": []map[string]string{{"type": "warning", "amount": "5"}}}, 400, "unknown_field", "amount"},
		{"no title", map[string]any{"title": nil}, 400, "missing_field", "title"},
		{"unknown district", map[string]any{"district": "浦东新区"}, 400, "invalid_field", "district"},
		{"unknown stage", map[string]any{"stage": "university"}, 400, "invalid_field", "stage"},
		{"category out of range", map[string]any{"categories": []int{11}}, 400, "invalid_field", "categories"},
		{"category as text", map[string]any{"categories": []string{"5"}}, 400, "invalid_field", "categories"},
		{"repeated category", map[string]any{"categories": []int{5, 5}}, 400, "invalid_field", "categories"},
		{"no category", map[string]any{"categories": []int{}}, 400, "missing_field", "categories"},
		{"unknown sanction", map[string]any{"sanctions": []map[string]string{{"type": "fine"}}}, 400, "invalid_field", "sanctions[0].type"},
		{"no sanction", map[string]any{"sanctions": []map[string]string{}}, 400, "missing_field", "sanctions"},
		{"bad date", map[string]any{"decision_date": "2026-13-01"}, 400, "invalid_field", "decision_date"},
		{"decision in the future", map[string]any{"decision_date": "2026-07-01"}, 400, "invalid_field", "decision_date"},
		{"incident after decision", map[string]any{"incident_date": "2026-05-01"}, 400, "invalid_field", "incident_date"},
		{"html in body", map[string]any{"body": "经查：<p>多次体罚</p>"}, 400, "invalid_field", "body"},
		{"script in body", map[string]any{"body": "<script>alert(1)</script>"}, 400, "invalid_field", "body"},
		{"control character", map[string]any{"title": "体罚\u0000学生"}, 400, "invalid_field", "title"},
		{"line break in a name", map[string]any{"subject_name": "张某\n某"}, 400, "invalid_field", "subject_name"},
		{"bidi control", map[string]any{"school": "某\u202e小学"}, 400, "invalid_field", "school"},
		{"long title", map[string]any{"title": strings.Repeat("长", 101)}, 400, "invalid_field", "title"},
		{"unknown certificate", map[string]any{"certificate_no": "20191100999999999"}, 422, "unknown_reference", "certificate_no"},
	} {
		body := caseDraft()
		for k, v := range tc.fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		r := e.do("POST", "/api/v1/admin/cases", body, bearer(tm.editor)...)
		wantProblem(t, r, tc.status, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("%s: field %q, want %q (%s)", tc.name, r.str("field"), tc.field, r.body)
		}
		if tc.name == "html in body" && !strings.Contains(r.str("detail"), "HTML") {
			t.Errorf("the refusal of HTML does not say so: %s", r.body)
		}
		// The same problem in an edit of a draft (only what the edit names).
		if _, missing := tc.fields["title"]; missing && tc.fields["title"] == nil {
			continue
		}
		p := e.do("PATCH", "/api/v1/admin/cases/"+id, tc.fields, bearer(tm.editor)...)
		wantProblem(t, p, tc.status, tc.code)
	}
	wantProblem(t, e.do("POST", "/api/v1/admin/cases", `{"title": "x"} {}`, bearer(tm.editor)...), 400, "invalid_json")
	wantProblem(t, e.do("POST", "/api/v1/admin/cases", "text", bearer(tm.editor)...), 400, "invalid_json")
	wantProblem(t, e.do("PATCH", "/api/v1/admin/cases/"+id, map[string]any{"title": "x标题"}, append(bearer(tm.editor), "If-Match", "yesterday")...), 400, "invalid_field")
	if l := e.do("GET", "/api/v1/admin/cases", nil, bearer(tm.editor)...); l.json["total"] != 1.0 {
		t.Fatalf("bad drafts were stored: %s", l.body)
	}
	if g := e.adminCase(tm.editor, id); g.json["version"] != 1.0 {
		t.Fatalf("bad edits changed the draft: %s", g.body)
	}
	if after := e.auditCount(tm.admin); after != before {
		t.Fatalf("refused requests were audited: %d -> %d", before, after)
	}
}

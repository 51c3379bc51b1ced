package handlers_test

import (
	"strings"
	"testing"
)

// Text fields refuse control characters and bidirectional controls with
// 400 invalid_field naming the field; multi-line texts (reasons) allow line
// breaks and tabs. The register never stores or serves what it refused.
func TestTextFieldsRefuseControlAndBidi(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	base := map[string]string{"certificate_no": "20191100000000021", "holder_name": "王芳", "kind": "primary",
		"subject": "语文", "issuer": "东城区教委", "issued_on": "2019-07-01", "registered_until": "2029-06-30"}
	bad := []string{"\x00", "\x07", "\x1b[31m", "\x7f", "\u0085", "\n", "\t", "\u2028", "\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"}
	for _, field := range []string{"subject", "issuer", "holder_name"} {
		for _, b := range bad {
			body := map[string]string{}
			for k, v := range base {
				body[k] = v
			}
			body[field] = "东城" + b + "区"
			r := e.do("POST", "/api/v1/admin/credentials", body, bearer(tm.registrar)...)
			wantProblem(t, r, 400, "invalid_field")
			if r.str("field") != field {
				t.Fatalf("%s with %q: field %q, want %q", field, b, r.str("field"), field)
			}
		}
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/credentials/"+base["certificate_no"], nil, bearer(tm.registrar)...), 404, "not_found")

	// Through the CSV import: the row is rejected, naming the field.
	file := csvHeader +
		"20191100000000022,李四,,primary,语文,\"东城\u202e区教委\",2019-07-01,2029-06-30\n" +
		"20191100000000023,赵六,,primary,\"语\x00文\",东城区教委,2019-07-01,2029-06-30\n" +
		"20191100000000024,孙七,,primary,语文,东城区教委,2019-07-01,2029-06-30\n"
	r := importCSV(e, tm.registrar, []byte(file), "text/csv")
	if r.status != 200 || r.json["inserted"] != 1.0 || r.json["rejected_count"] != 2.0 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	for i, want := range []string{"issuer", "subject"} {
		rj := r.json["rejected"].([]any)[i].(map[string]any)
		if rj["code"] != "invalid_field" || rj["field"] != want {
			t.Fatalf("reject %d: %v, want invalid_field on %s", i, rj, want)
		}
	}

	// A reason may span lines and hold tabs, but not other controls.
	e.registerCredential(tm.registrar, nil)
	ok := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "revoke_credential", "certificate_no": certNo,
		"reason": "严重违反师德\n\t依法撤销\r\n"}, bearer(tm.admin)...)
	if ok.status != 201 || !strings.Contains(ok.str("reason"), "\n\t") {
		t.Fatalf("a multi-line reason: %d %s", ok.status, ok.body)
	}
	for _, b := range []string{"\x00", "\x1b", "\u202e", "\u2067"} {
		r := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "revoke_credential", "certificate_no": certNo,
			"reason": "严重违反师德" + b + "依法撤销"}, bearer(tm.admin)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != "reason" {
			t.Fatalf("reason with %q: field %q", b, r.str("field"))
		}
	}
	id := e.propose(tm.admin, map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "另一个理由"})
	rj := e.do("POST", "/api/v1/admin/actions/"+id+"/reject", map[string]string{"reason": "理由\u202d不足"}, bearer(tm.reviewer)...)
	wantProblem(t, rj, 400, "invalid_field")
	// A ban's name is a name: one line, no controls.
	r = e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "impose_ban", "name": "张\u202e三", "certificate_no": certNo,
		"scope": "education", "starts_on": "2026-06-01", "reason": "行业禁入决定"}, bearer(tm.admin)...)
	wantProblem(t, r, 400, "invalid_field")
	if r.str("field") != "name" {
		t.Fatalf("ban name: field %q; %s", r.str("field"), r.body)
	}
}

// Invisible and broken characters: zero-width characters (U+200B..U+200D,
// U+2060, U+FEFF) and the line and paragraph separators are refused in
// every text, U+FFFD in one-line texts; a JSON escape of a lone surrogate, which the decoder
// would turn into U+FFFD, is refused as invalid JSON.
func TestTextRefusesInvisibleAndBrokenCharacters(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	cred := func(name string) map[string]string {
		return map[string]string{"certificate_no": "20191100000000021", "holder_name": name, "kind": "primary",
			"subject": "语文", "issuer": "东城区教委", "issued_on": "2019-07-01", "registered_until": "2029-06-30"}
	}
	for _, b := range []string{"\ufeff", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\ufffd"} {
		r := e.do("POST", "/api/v1/admin/credentials", cred("王"+b+"芳"), bearer(tm.registrar)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != "holder_name" {
			t.Fatalf("holder_name with %+q: field %q", b, r.str("field"))
		}
	}
	e.registerCredential(tm.registrar, nil)
	for _, b := range []string{"\ufeff", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\u2060"} {
		r := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "revoke_credential", "certificate_no": certNo,
			"reason": "严重违反师德" + b + "依法撤销"}, bearer(tm.admin)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != "reason" {
			t.Fatalf("reason with %+q: field %q", b, r.str("field"))
		}
	}
	body := `{"certificate_no":"20191100000000022","holder_name":"王%s芳","kind":"primary","subject":"语文",` +
		`"issuer":"东城区教委","issued_on":"2019-07-01","registered_until":"2029-06-30"}`
	for _, esc := range []string{`\ud800`, `\udc00`, `\ud800\u0041`, `\ud800x`} {
		r := e.do("POST", "/api/v1/admin/credentials", strings.Replace(body, "%s", esc, 1), bearer(tm.registrar)...)
		wantProblem(t, r, 400, "invalid_json")
	}
	// A surrogate pair is one character, and an escaped backslash is no escape
	// (the second body may meet the first as a conflict: only invalid_json fails).
	for _, ok := range []string{`\ud83d\ude00`, `\\ud800`} {
		r := e.do("POST", "/api/v1/admin/credentials", strings.Replace(body, "%s", ok, 1), bearer(tm.registrar)...)
		if r.status == 400 && r.str("code") == "invalid_json" {
			t.Fatalf("%s refused as invalid JSON: %s", ok, r.body)
		}
	}
}

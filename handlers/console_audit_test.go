package handlers_test

import (
	"database/sql"
	"html"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsoleAuditShowsVerificationAndCheckpoint(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team() // five sign-ins and five user creations: events 1..10 and more
	b := e.signIn("caud", "auditor")
	b.lang = "en"
	p := b.get("/admin/audit")
	if p.status != 200 {
		t.Fatalf("audit: %d\n%s", p.status, p.body)
	}
	v := e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(tm.admin)...)
	head := v.str("head")
	if v.json["ok"] != true || head == "" {
		t.Fatalf("verify: %s", v.body)
	}
	p.mustHave(t, "Verified: the log is intact.", "Events checked: ", head, "Current checkpoint",
		`href="/about"`, "ethicsportal audit verify --checkpoint FILE", "auth.login", "user:caud",
		`<th scope="row">1</th>`, "<details", head[:12]+"…")
	// The checkpoint shown is the public one, and so is its key.
	vkey, cp := e.fetchCheckpoint()
	body := html.UnescapeString(p.body)
	if !strings.Contains(body, string(cp)) || !strings.Contains(body, vkey) {
		t.Fatalf("the page lacks the checkpoint\n%s\nor key %s:\n%s", cp, vkey, body)
	}
	// Paging as the API pages: after and limit.
	p = b.get("/admin/audit?after=3&limit=2")
	p.mustHave(t, "Events 4 to 5", `<th scope="row">4</th>`, `<th scope="row">5</th>`, `href="/admin/audit?after=5&amp;limit=2"`, `href="/admin/audit?limit=2"`)
	if p.has(`<th scope="row">6</th>`) || p.has(`<th scope="row">3</th>`) {
		t.Fatal("the page holds events outside after=3&limit=2")
	}
	for _, q := range []string{"limit=0", "limit=1001", "after=-1", "after=x"} {
		if p := b.get("/admin/audit?" + q); p.status != 400 || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d", q, p.status)
		}
	}
	// An admin may read it too; a registrar may not.
	if p := e.signIn("croot", "admin").get("/admin/audit"); p.status != 200 {
		t.Fatalf("admin: %d", p.status)
	}
	if p := e.signIn("creg", "registrar").get("/admin/audit"); p.status != 403 {
		t.Fatalf("registrar: %d", p.status)
	}

	// An edited event is found and shown as such.
	db, err := sql.Open("sqlite", filepath.Join(e.app.Config().DataDir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET actor = 'nobody' WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	p = b.get("/admin/audit")
	p.mustHave(t, "Verification failed: the log has been altered.", "First event that does not check: number 4")
	if p.has("Verified: the log is intact.") {
		t.Fatal("a tampered log shows as verified")
	}
	// In Chinese by default.
	b.lang = ""
	b.get("/admin/audit").mustHave(t, "审计日志", "校验失败")
}

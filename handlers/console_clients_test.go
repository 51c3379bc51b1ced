package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ethicsportal/app"
	"ethicsportal/store"
)

var (
	shownKey    = regexp.MustCompile(`<code>(epk_[a-z0-9_]+)</code>`)
	shownClient = regexp.MustCompile(`<code>(cl_[a-z2-7]+)</code>`)
)

func TestConsoleClients(t *testing.T) {
	e := newEnv(t, nil)
	b := e.signIn("root", "admin")
	b.lang = "en"
	p := b.get("/admin/clients")
	if p.status != http.StatusOK {
		t.Fatalf("clients page: %d", p.status)
	}
	p.mustHave(t, "No school clients yet.", `for="scope-verify_batch"`, `for="name"`)

	// Mistakes are form errors; nothing is created.
	bad := b.post("/admin/clients", url.Values{"name": {""}, "scopes": {"watch"}})
	if bad.status != http.StatusUnprocessableEntity || !bad.has(`href="#name"`) || !bad.has(`id="scope-watch" name="scopes" value="watch" checked`) {
		t.Fatalf("no name: %d\n%s", bad.status, bad.body)
	}
	noScope := b.post("/admin/clients", url.Values{"name": {"第一中学"}})
	if noScope.status != http.StatusUnprocessableEntity || !noScope.has(`href="#scope-verify_batch"`) || !noScope.has("Choose at least one scope.") {
		t.Fatalf("no scope: %d", noScope.status)
	}
	if p := b.post("/admin/clients", url.Values{"_csrf": {"forged"}, "name": {"第一中学"}, "scopes": {"watch"}}); p.status != http.StatusForbidden {
		t.Fatalf("create without the form token: %d", p.status)
	}
	if cs, _ := e.app.ListClients(context.Background()); len(cs) != 0 {
		t.Fatalf("refused forms created %d clients", len(cs))
	}

	// Created: the key and the secret shown once, on a page not stored.
	b.get("/admin/clients")
	made := b.post("/admin/clients", url.Values{"name": {"第一中学"}, "scopes": {"verify_batch", "watch"}})
	if made.status != http.StatusOK || made.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q", made.status, made.header.Get("Cache-Control"))
	}
	made.mustHave(t, "shown only once", "Webhook secret")
	key := shownKey.FindStringSubmatch(made.body)
	id := shownClient.FindStringSubmatch(made.body)
	if key == nil || id == nil {
		t.Fatalf("no key or client id shown:\n%s", made.body)
	}
	if r := e.do("GET", "/api/v1/client/checks", nil, "X-API-Key", key[1]); r.status != http.StatusOK {
		t.Fatalf("the shown key does not work: %d %s", r.status, r.body)
	}
	secret := regexp.MustCompile(`Webhook secret</dt><dd><code>([^<]+)</code>`).FindStringSubmatch(made.body)
	if secret == nil {
		t.Fatal("no secret shown")
	}
	list := b.get("/admin/clients")
	list.mustHave(t, "第一中学", id[1], "Batch checks")
	detail := b.get("/admin/clients/" + id[1])
	detail.mustHave(t, "School client: 第一中学", "0 records in all.")
	for _, pg := range []*page{list, detail} {
		if pg.has(key[1]) || pg.has(secret[1]) {
			t.Fatal("a key or secret is shown again")
		}
	}

	// Rotate the key: a new one shown once, the 24 h grace explained; both work.
	rot := b.post("/admin/clients/"+id[1], url.Values{"op": {"rotate_key"}})
	if rot.status != http.StatusOK || rot.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate key: %d", rot.status)
	}
	rot.mustHave(t, "The old key works until 2 June 2026 12:00 Beijing time")
	newKey := shownKey.FindStringSubmatch(rot.body)
	if newKey == nil || newKey[1] == key[1] {
		t.Fatalf("no new key shown:\n%s", rot.body)
	}
	for _, k := range []string{key[1], newKey[1]} {
		if r := e.do("GET", "/api/v1/client/checks", nil, "X-API-Key", k); r.status != http.StatusOK {
			t.Errorf("key in the grace period: %d", r.status)
		}
	}
	b.get("/admin/clients/"+id[1]).mustHave(t, "Previous key", "Works until 2 June 2026 12:00 Beijing time")

	// Rotate the secret: a new one shown once.
	b.get("/admin/clients/" + id[1])
	rs := b.post("/admin/clients/"+id[1], url.Values{"op": {"rotate_secret"}})
	newSecret := regexp.MustCompile(`Webhook secret</dt><dd><code>([^<]+)</code>`).FindStringSubmatch(rs.body)
	if rs.status != http.StatusOK || newSecret == nil || newSecret[1] == secret[1] || rs.has("epk_") {
		t.Fatalf("rotate secret: %d\n%s", rs.status, rs.body)
	}

	// Disable and enable.
	b.get("/admin/clients/" + id[1])
	dis := b.post("/admin/clients/"+id[1], url.Values{"op": {"disable"}})
	if dis.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", dis.status)
	}
	b.get(dis.header.Get("Location")).mustHave(t, "The client has been disabled.", "Enable client")
	if r := e.do("GET", "/api/v1/client/checks", nil, "X-API-Key", newKey[1]); r.status != http.StatusUnauthorized {
		t.Errorf("a disabled client's key: %d", r.status)
	}
	if p := b.post("/admin/clients/"+id[1], url.Values{"op": {"enable"}}); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", p.status)
	}
	if p := b.post("/admin/clients/"+id[1], url.Values{"op": {"explode"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown op: %d", p.status)
	}
	if p := b.post("/admin/clients/"+id[1], url.Values{"_csrf": {""}, "op": {"rotate_key"}}); p.status != http.StatusForbidden {
		t.Errorf("rotate without the form token: %d", p.status)
	}
	if p := b.get("/admin/clients/cl_nothere"); p.status != http.StatusNotFound {
		t.Errorf("unknown client: %d", p.status)
	}
	for _, a := range []string{"client.create", "client.rotate_key", "client.rotate_secret"} {
		if !hasAudit(t, e, a, id[1]) {
			t.Errorf("no %s audit", a)
		}
	}
	for _, ev := range auditActions(t, e) {
		if strings.Contains(ev, newKey[1]) || strings.Contains(ev, newSecret[1]) {
			t.Errorf("a key or secret in the audit log: %s", ev)
		}
	}

	// Usage, paged.
	cl, err := e.app.Store().ClientByID(context.Background(), id[1])
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]store.ClientUsage, 60)
	for i := range rows {
		rows[i] = app.VerifyUsage("2019110014100"+strings.Repeat("0", 4-len(itoa(i)))+itoa(i), &app.Verification{Match: i%2 == 0})
	}
	if err := e.app.RecordUsage(context.Background(), cl, rows...); err != nil {
		t.Fatal(err)
	}
	u1 := b.get("/admin/clients/" + id[1])
	u1.mustHave(t, "60 records in all.", "Page 1 of 2", `href="?page=2#usage"`, "Qualification check")
	u2 := b.get("/admin/clients/" + id[1] + "?page=2")
	u2.mustHave(t, "Page 2 of 2", `href="?page=1#usage"`)
	if n := strings.Count(u2.body, "Qualification check"); n != 10 {
		t.Errorf("page 2 lists %d rows, want 10", n)
	}
	if p := b.get("/admin/clients/" + id[1] + "?page=x"); p.status != http.StatusBadRequest {
		t.Errorf("a bad page number: %d", p.status)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

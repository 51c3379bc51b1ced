package handlers_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestConsoleBansSearchByIDNumberAndLift(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	const idNo = "11010519491231002X"
	e.registerCredential(tm.registrar, map[string]string{"id_number": idNo})
	// A ban by ID number, lifted, and one by certificate number, in force.
	first := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "id_number": idNo, "name": holder, "scope": "education",
		"starts_on": "2026-01-01", "ends_on": "2026-03-31", "reason": "第一次禁入"})
	r := e.approve(tm.reviewer, first)
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	firstBan := r.json["ban_id"].(float64)
	lift := e.propose(tm.registrar, map[string]any{"kind": "lift_ban", "ban_id": firstBan, "reason": "期满提前解除"})
	if r := e.approve(tm.reviewer, lift); r.status != 200 {
		t.Fatalf("lift: %d %s", r.status, r.body)
	}
	second := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder, "scope": "teaching",
		"starts_on": "2026-05-01", "reason": "终身禁止从事教学"})
	r = e.approve(tm.reviewer, second)
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	secondBan := int(r.json["ban_id"].(float64))

	// A reviewer may search, by ID number, and sees both bans, but no lift form.
	rev := e.signIn("crev", "reviewer")
	rev.lang = "en"
	rev.get("/admin/bans").mustHave(t, `<label for="ban-id_number">`, `method="post" action="/admin/bans"`)
	p := rev.post("/admin/bans", url.Values{"id_number": {idNo}})
	if p.status != 200 {
		t.Fatalf("search: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "第一次禁入", "Lifted on", "终身禁止从事教学", "Permanent", "The whole education sector", "Teaching posts", "31 March 2026")
	if p.has(`action="/admin/bans/lift"`) {
		t.Fatal("a reviewer is offered to propose a lift")
	}
	// By certificate number, in the address, the same list.
	p = rev.get("/admin/bans?certificate_no=" + certNo)
	p.mustHave(t, "第一次禁入", "终身禁止从事教学")
	// Both numbers, or neither: one error beside the certificate number.
	p = rev.post("/admin/bans", url.Values{"id_number": {idNo}, "certificate_no": {certNo}})
	if p.status != 400 || !p.has(`href="#ban-certificate_no"`) || !p.has("Give either a certificate number or an ID number.") {
		t.Fatalf("both: %d\n%s", p.status, p.body)
	}
	if p = rev.post("/admin/bans", url.Values{}); p.status != 400 || !p.has(`href="#ban-certificate_no"`) {
		t.Fatalf("neither: %d\n%s", p.status, p.body)
	}
	// A malformed ID number is an error beside it; an unknown one an empty list.
	if p = rev.post("/admin/bans", url.Values{"id_number": {"110105194912310021"}}); p.status != 400 || !p.has(`href="#ban-id_number"`) {
		t.Fatalf("bad id: %d\n%s", p.status, p.body)
	}
	if p = rev.post("/admin/bans", url.Values{"id_number": {"110101199003070011"}}); p.status != 200 || !p.has("No bans were found.") {
		t.Fatalf("unknown id: %d\n%s", p.status, p.body)
	}

	// A registrar proposes lifting the ban in force; the lifted one has no form.
	reg := e.signIn("creg", "registrar")
	reg.lang = "en"
	reg.get("/admin/bans")
	p = reg.post("/admin/bans", url.Values{"id_number": {idNo}})
	p.mustHave(t, `action="/admin/bans/lift"`, "Propose lifting ban "+strconv.Itoa(secondBan))
	if p.has("Propose lifting ban " + strconv.Itoa(int(firstBan))) {
		t.Fatal("a lifted ban is offered for lifting")
	}
	// Without a reason: the error beside it, the list still there.
	p = reg.post("/admin/bans/lift", url.Values{"ban_id": {strconv.Itoa(secondBan)}, "id_number": {idNo}, "reason": {""}})
	if p.status != 400 && p.status != 422 {
		t.Fatalf("no reason: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, `href="#lift-`+strconv.Itoa(secondBan)+`-reason"`, "终身禁止从事教学")
	p = reg.post("/admin/bans/lift", url.Values{"ban_id": {strconv.Itoa(secondBan)}, "id_number": {idNo}, "reason": {"复议撤销处分"}})
	if p.status != 303 || strings.Contains(p.header.Get("Location"), idNo) || !strings.HasPrefix(p.header.Get("Location"), "/admin/bans?proposed=") {
		t.Fatalf("lift: %d %s", p.status, p.header.Get("Location"))
	}
	reg.get(p.header.Get("Location")).mustHave(t, "has been proposed", `href="/admin/actions"`)
	r = e.do("GET", "/api/v1/admin/actions?status=pending", nil, bearer(tm.reviewer)...)
	if !strings.Contains(string(r.body), `"kind":"lift_ban"`) || !strings.Contains(string(r.body), "复议撤销处分") {
		t.Fatalf("pending: %s", r.body)
	}
	// A reviewer cannot propose one.
	rev.get("/admin/bans")
	if p = rev.post("/admin/bans/lift", url.Values{"ban_id": {strconv.Itoa(secondBan)}, "reason": {"复议撤销处分"}}); p.status != 403 {
		t.Fatalf("reviewer lifts: %d", p.status)
	}
}

package handlers_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// ID numbers with valid check digits, for the register tests.
const (
	idA = "110108198001010015"
	idB = "110108198001010023"
	idC = "110108198001010031"
)

const registerCSVHeader = "certificate_no,holder_name,id_number,kind,subject,issuer,issued_on,registered_until\n"

// importCSV uploads a CSV file under a name, as curl -H 'Content-Disposition: ...' would.
func (e *env) importCSV(token, fileName, body string) *response {
	e.t.Helper()
	r := e.do("POST", "/api/v1/admin/credentials/import", body, append(bearer(token),
		"Content-Type", "text/csv", "Content-Disposition", `attachment; filename="`+fileName+`"`)...)
	if r.status != 200 {
		e.t.Fatalf("import %s: %d %s", fileName, r.status, r.body)
	}
	return r
}

// rejects returns the rejected rows of an import report as "row:code" strings.
func rejects(r *response) []string {
	var out []string
	for _, x := range r.json["rejected"].([]any) {
		rj := x.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v", rj["row"], rj["code"]))
	}
	return out
}

// history returns a credential's history entries.
func (e *env) history(token, no string) []map[string]any {
	e.t.Helper()
	g := e.do("GET", "/api/v1/admin/credentials/"+no, nil, bearer(token)...)
	if g.status != 200 {
		e.t.Fatalf("credential %s: %d %s", no, g.status, g.body)
	}
	var out []map[string]any
	for _, h := range g.json["history"].([]any) {
		out = append(out, h.(map[string]any))
	}
	return out
}

// bansOf returns how many bans a verification shows.
func bansOf(v *response) int {
	bans, _ := v.json["bans"].([]any)
	return len(bans)
}

// TestImportCannotChangeWhoHoldsACredential: an import renames no holder,
// re-links no credential to another person, and links no credential by ID
// number to a person of another name. A banned holder stays banned on
// every credential of theirs, and a new credential with a banned person's
// ID number and name shows the ban. On both backends.
func TestImportCannotChangeWhoHoldsACredential(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e, _ := twoInstances(t, open(t))
			tm := e.team()
			e.registerCredential(tm.registrar, map[string]string{"id_number": idA})
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000200", "holder_name": "李四", "id_number": idB})
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000300", "holder_name": "赵六"})
			if r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo,
				"name": holder, "scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "终身禁入"})); r.status != 200 {
				t.Fatalf("ban: %d %s", r.status, r.body)
			}

			r := e.importCSV(tm.registrar, "冒名.csv", registerCSVHeader+
				certNo+",王五,,senior_secondary,数学,北京市海淀区教育委员会,2019-07-01,2029-06-30\n"+ // rename
				"20191100141000200,李四,"+idA+",senior_secondary,数学,北京市海淀区教育委员会,2019-07-01,2029-06-30\n"+ // re-link to the banned 张伟华
				"20191100141000400,王五,"+idA+",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n"+ // mislink a new one
				"20191100141000300,赵六,,primary,数学,北京市海淀区教育委员会,2019-07-01,2029-06-30\n"+ // another kind
				"20191100141000500,张伟华,"+idA+",primary,语文,北京市东城区教育委员会,2020-07-01,2035-06-30\n") // the banned holder's second credential
			want := []string{"2:identity_change", "3:identity_change", "4:id_name_mismatch", "5:identity_change"}
			if got := rejects(r); strings.Join(got, " ") != strings.Join(want, " ") || r.json["inserted"] != 1.0 || r.json["updated"] != 0.0 {
				t.Fatalf("import report: rejects %v, want %v: %s", got, want, r.body)
			}
			for _, rj := range r.json["rejected"].([]any) {
				if d := fmt.Sprint(rj.(map[string]any)["detail"]); strings.Contains(d, idA) || strings.Contains(d, idB) {
					t.Fatalf("a reject reveals an ID number: %s", d)
				}
			}

			// The real holder still verifies, banned; the impostor does not.
			if v := e.verifyCert(certNo, holder); v.json["match"] != true || v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the real holder after the import: %s", v.body)
			}
			if v := e.verifyCert(certNo, "王五"); v.json["match"] != false {
				t.Fatalf("the impostor matches: %s", v.body)
			}
			// 李四 keeps their own (unbanned) link; 王五 got no credential at all.
			if v := e.verifyCert("20191100141000200", "李四"); v.json["match"] != true || v.json["eligible"] != true || bansOf(v) != 0 {
				t.Fatalf("李四 after the import: %s", v.body)
			}
			if v := e.verifyCert("20191100141000400", "王五"); v.json["match"] != false {
				t.Fatalf("the mislinked row was applied: %s", v.body)
			}
			if v := e.verifyCert("20191100141000300", "赵六"); v.json["match"] != true || v.json["credential"].(map[string]any)["kind"] != "senior_secondary" {
				t.Fatalf("the kind changed: %s", v.body)
			}
			// The ban by certificate number counts for the holder's other credential.
			if v := e.verifyCert("20191100141000500", holder); v.json["match"] != true || v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the banned holder's new credential: %s", v.body)
			}

			// A re-registration is the registrar's own act, and its history says so.
			r = e.importCSV(tm.registrar, "2024年定期注册.csv", registerCSVHeader+
				certNo+",张伟华,"+idA+",senior_secondary,物理,北京市海淀区教育委员会,2019-07-01,2034-06-30\n")
			if r.json["updated"] != 1.0 || len(rejects(r)) != 0 {
				t.Fatalf("re-registration: %s", r.body)
			}
			h := e.history(tm.registrar, certNo)
			if len(h) != 2 {
				t.Fatalf("history %v, want the creation and the re-registration", h)
			}
			if h[0]["kind"] != "created" || h[0]["actor"] != "reg" || fmt.Sprint(h[0]["source"]) != "map[type:api]" {
				t.Errorf("creation entry %v", h[0])
			}
			wantChanges := "[map[field:registered_until from:2029-06-30 to:2034-06-30] map[field:subject from:数学 to:物理]]"
			if h[1]["kind"] != "reregistered" || h[1]["actor"] != "reg" || fmt.Sprint(h[1]["source"]) != "map[file:2024年定期注册.csv row:2 type:import]" ||
				fmt.Sprint(h[1]["changes"]) != wantChanges {
				t.Errorf("re-registration entry %v, want changes %s", h[1], wantChanges)
			}
			if h := e.history(tm.registrar, "20191100141000500"); len(h) != 1 || h[0]["kind"] != "created" ||
				fmt.Sprint(h[0]["source"]) != "map[file:冒名.csv row:6 type:import]" || fmt.Sprint(h[0]["changes"]) != "[map[field:id_number]]" {
				t.Errorf("history of the imported credential: %v", h)
			}
		})
	}
}

// TestCreateCredentialRefusesMismatchAndExisting: the API registers new
// credentials only, and never links one by ID number to a person of
// another name.
func TestCreateCredentialRefusesMismatchAndExisting(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, map[string]string{"id_number": idA})
	body := map[string]string{"certificate_no": "20191100141000999", "holder_name": "王五", "id_number": idA, "kind": "primary",
		"subject": "语文", "issuer": "东城区教委", "issued_on": "2020-07-01", "registered_until": "2030-06-30"}
	wantProblem(t, e.do("POST", "/api/v1/admin/credentials", body, bearer(reg)...), 422, "id_name_mismatch")
	body["certificate_no"], body["holder_name"] = certNo, holder
	wantProblem(t, e.do("POST", "/api/v1/admin/credentials", body, bearer(reg)...), 409, "conflict")
	if v := e.verifyCert("20191100141000999", "王五"); v.json["match"] != false {
		t.Fatalf("a refused credential was registered: %s", v.body)
	}
}

// TestCorrectCredential: a correction is proposed by one person and
// applied by another, on another instance; a corrected name is the
// person's new name on every credential of theirs and in the ID-number
// check; the history of each credential shows it; a correction decided
// from a state that no longer holds is refused. On both backends.
func TestCorrectCredential(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			a.registerCredential(tm.registrar, map[string]string{"id_number": idA})
			a.importCSV(tm.registrar, "second.csv", registerCSVHeader+
				"20191100141000500,張偉華,"+idA+",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n")
			a.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000200", "holder_name": "李四", "id_number": idB})

			rename := map[string]any{"kind": "correct_credential", "certificate_no": certNo, "holder_name": "张卫华", "reason": "户籍姓名更正"}
			id := a.propose(tm.admin, rename)
			wantProblem(t, b.approve(tm.admin, id), 403, "four_eyes")
			wantProblem(t, b.approve(tm.registrar, id), 403, "forbidden")
			stale := a.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": certNo, "issued_on": "2019-08-01", "reason": "日期更正"})
			if r := b.approve(tm.reviewer, id); r.status != 200 || r.str("status") != "applied" {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			// Decided from the name before the correction: no longer applies.
			wantProblem(t, a.approve(tm.reviewer2, stale), 409, "conflict")

			for _, no := range []string{certNo, "20191100141000500"} {
				for _, inst := range []*env{a, b} {
					if v := inst.verifyCert(no, "张卫华"); v.json["match"] != true {
						t.Fatalf("%s under the new name: %s", no, v.body)
					}
					if v := inst.verifyCert(no, holder); v.json["match"] != false {
						t.Fatalf("%s under the old name: %s", no, v.body)
					}
				}
			}
			el := func(id, name string) *response {
				return b.do("POST", "/api/v1/eligibility", map[string]string{"id_number": id, "name": name}, bearer(tm.reviewer)...)
			}
			if r := el(idA, "张卫华"); r.json["match"] != true {
				t.Fatalf("the ID-number check does not follow the new name: %s", r.body)
			}
			h := b.history(tm.registrar, certNo)
			last := h[len(h)-1]
			if last["kind"] != "corrected" || last["actor"] != "rev" || last["proposed_by"] != "root" ||
				fmt.Sprint(last["source"]) != "map[action_id:"+id+" type:action]" ||
				fmt.Sprint(last["changes"]) != "[map[field:holder_name from:张伟华 to:张卫华]]" {
				t.Fatalf("correction entry %v", last)
			}
			h = b.history(tm.registrar, "20191100141000500")
			if last := h[len(h)-1]; last["kind"] != "corrected" || fmt.Sprint(last["changes"]) != "[map[field:holder_name from:張偉華 to:张卫华]]" {
				t.Fatalf("the other credential's entry %v", last)
			}

			// An ID number of a person of another name is refused, at proposal.
			r := a.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "correct_credential", "certificate_no": certNo,
				"id_number": idB, "reason": "身份证号更正"}, bearer(tm.registrar)...)
			wantProblem(t, r, 422, "id_name_mismatch")
			// A correction that changes nothing is refused.
			r = a.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "correct_credential", "certificate_no": certNo,
				"holder_name": "张卫华", "id_number": idA, "reason": "无变化"}, bearer(tm.registrar)...)
			wantProblem(t, r, 400, "invalid_field")

			// A corrected ID number links the credential to a new person;
			// the history says only that the link changed.
			id = a.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": "20191100141000500",
				"id_number": idC, "reason": "身份证号录入错误"})
			if r := b.approve(tm.reviewer, id); r.status != 200 {
				t.Fatalf("approve the relink: %d %s", r.status, r.body)
			}
			if r := el(idC, "张卫华"); r.json["match"] != true {
				t.Fatalf("the new ID number: %s", r.body)
			}
			h = b.history(tm.registrar, "20191100141000500")
			if last := h[len(h)-1]; fmt.Sprint(last["changes"]) != "[map[field:id_number]]" {
				t.Fatalf("relink entry %v", last)
			}
			g := b.do("GET", "/api/v1/admin/credentials/20191100141000500", nil, bearer(tm.registrar)...)
			if strings.Contains(string(g.body), idC) || strings.Contains(string(g.body), idA) {
				t.Fatalf("the credential shows an ID number: %s", g.body)
			}
		})
	}
}

// TestBanByIDNumberFollowsImports: a ban imposed by ID number counts for a
// credential imported later with that ID number and the same name; the
// same ID number under another name is refused, so the ban brands nobody
// else. On both backends.
func TestBanByIDNumberFollowsImports(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e, _ := twoInstances(t, open(t))
			tm := e.team()
			if r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "id_number": idC, "name": "王五",
				"scope": "teaching", "starts_on": "2026-01-01", "ends_on": nil, "reason": "体罚学生，终身禁入"})); r.status != 200 {
				t.Fatalf("ban: %d %s", r.status, r.body)
			}
			r := e.importCSV(tm.registrar, "new.csv", registerCSVHeader+
				"20191100141000600,王五,"+idC+",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n"+
				"20191100141000700,赵六,"+idC+",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n")
			if got := rejects(r); strings.Join(got, " ") != "3:id_name_mismatch" || r.json["inserted"] != 1.0 {
				t.Fatalf("import: %s", r.body)
			}
			if v := e.verifyCert("20191100141000600", "王五"); v.json["match"] != true || v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the banned person's new credential: %s", v.body)
			}
			if v := e.verifyCert("20191100141000700", "赵六"); v.json["match"] != false {
				t.Fatalf("the mislinked credential was registered: %s", v.body)
			}
		})
	}
}

// TestConcurrentCorrections: two corrections of one credential decided
// from the same state and approved at the same moment on two instances:
// one applies, the other answers 409 and changes nothing. On both
// backends, several rounds.
func TestConcurrentCorrections(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			a.registerCredential(tm.registrar, map[string]string{"id_number": idA})
			for round := range 4 {
				cur := a.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
				issued := cur.str("issued_on")
				ids := []string{
					a.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": certNo,
						"holder_name": fmt.Sprintf("张%d", round), "reason": "姓名更正"}),
					a.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": certNo,
						"issued_on": fmt.Sprintf("2019-07-%02d", 2+round), "reason": "日期更正"}),
				}
				statuses := make([]int, 2)
				var wg sync.WaitGroup
				for i, inst := range []*env{a, b} {
					wg.Go(func() { statuses[i] = inst.approve([]string{tm.reviewer, tm.reviewer2}[i], ids[i]).status })
				}
				wg.Wait()
				if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
					t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
				}
				after := b.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
				renamed, redated := after.str("holder_name") != cur.str("holder_name"), after.str("issued_on") != issued
				if renamed == redated || renamed != (statuses[0] == 200) {
					t.Fatalf("round %d: statuses %v but renamed %v, redated %v: %s", round, statuses, renamed, redated, after.body)
				}
			}
		})
	}
}

// TestCorrectIDNumberKeepsBans: a ban by certificate number on a holder
// with no ID number falls on a person of their own; a correction giving
// the credential an ID number gives it to that person, so the ban then
// counts for the ID-number check and for credentials imported later with
// that number. Moving such a credential to another person, which would
// drop the ban, is refused. On both backends.
func TestCorrectIDNumberKeepsBans(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e, other := twoInstances(t, open(t))
			tm := e.team()
			e.registerCredential(tm.registrar, nil) // no ID number
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000800", "id_number": idB})
			if r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo,
				"name": holder, "scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "终身禁入"})); r.status != 200 {
				t.Fatalf("ban: %d %s", r.status, r.body)
			}
			// idB is held by another person of the same name: moving the
			// credential there would drop the ban.
			r := e.do("POST", "/api/v1/admin/actions", map[string]any{"kind": "correct_credential", "certificate_no": certNo,
				"id_number": idB, "reason": "补录身份证号"}, bearer(tm.registrar)...)
			wantProblem(t, r, 409, "conflict")

			id := e.propose(tm.registrar, map[string]any{"kind": "correct_credential", "certificate_no": certNo, "id_number": idA, "reason": "补录身份证号"})
			if r := other.approve(tm.reviewer, id); r.status != 200 {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			el := other.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idA, "name": holder}, bearer(tm.reviewer)...)
			if el.json["match"] != true || el.json["eligible"] != false {
				t.Fatalf("the ban does not count for the ID-number check: %s", el.body)
			}
			e.importCSV(tm.registrar, "later.csv", registerCSVHeader+
				"20191100141000900,张伟华,"+idA+",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n")
			if v := other.verifyCert("20191100141000900", holder); v.json["match"] != true || v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the ban does not count for the holder's later credential: %s", v.body)
			}
			if v := other.verifyCert(certNo, holder); v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the corrected credential lost its ban: %s", v.body)
			}
		})
	}
}

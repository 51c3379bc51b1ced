package handlers_test

import (
	"fmt"
	"strings"
	"testing"
)

// registeredRow is the CSV row of the credential registerCredential makes,
// with the holder name, ID number and registration end given.
func registeredRow(no, name, id, until string) string {
	return no + "," + name + "," + id + ",senior_secondary,数学,北京市海淀区教育委员会,2019-07-01," + until + "\n"
}

// banByCertificate approves a ban on the holder of a certificate.
func banByCertificate(t *testing.T, e *env, tm team, no, name string) {
	t.Helper()
	if r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": no,
		"name": name, "scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "终身禁入"})); r.status != 200 {
		t.Fatalf("ban on %s: %d %s", no, r.status, r.body)
	}
}

// TestImportNumbersHolderWithoutIDNumber: a ban by certificate number puts
// the holder on record without an ID number; an import row giving that
// credential an ID number nobody holds gives it to that person, so the ban
// then counts for the ID-number check and for later credentials with that
// number. An ID number another person holds is not taken over: the row is
// rejected (id_name_mismatch under another name, identity_change under the
// same one, as an import merges no persons). On both backends.
func TestImportNumbersHolderWithoutIDNumber(t *testing.T) {
	const (
		zhao  = "20191100141000950" // 赵六, banned, no ID number
		other = "20191100141000960" // 张伟华 too, banned, no ID number
	)
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e, other2 := twoInstances(t, open(t))
			tm := e.team()
			e.registerCredential(tm.registrar, nil) // certNo, 张伟华, no ID number
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000800", "id_number": idB})
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100141000850", "holder_name": "李四", "id_number": idC})
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": zhao, "holder_name": "赵六"})
			e.registerCredential(tm.registrar, map[string]string{"certificate_no": other})
			banByCertificate(t, e, tm, certNo, holder)
			banByCertificate(t, e, tm, zhao, "赵六")
			banByCertificate(t, e, tm, other, holder)

			file := registerCSVHeader +
				registeredRow(certNo, holder, idA, "2029-06-30") + // idA is nobody's: the holder gets it
				registeredRow(zhao, "赵六", idC, "2029-06-30") + // idC is 李四's
				registeredRow(other, holder, idB, "2029-06-30") // idB is another 张伟华's
			r := e.importCSV(tm.registrar, "补录.csv", file)
			if got := rejects(r); strings.Join(got, " ") != "3:id_name_mismatch 4:identity_change" || r.json["updated"] != 1.0 {
				t.Fatalf("import: rejects %v: %s", got, r.body)
			}
			el := other2.do("POST", "/api/v1/eligibility", map[string]string{"id_number": idA, "name": holder}, bearer(tm.reviewer)...)
			if el.json["match"] != true || el.json["eligible"] != false || bansOf(el) != 1 {
				t.Fatalf("the ban does not count for the ID-number check: %s", el.body)
			}
			if v := other2.verifyCert(certNo, holder); v.json["eligible"] != false || bansOf(v) != 1 {
				t.Fatalf("the credential lost its ban: %s", v.body)
			}
			h := e.history(tm.registrar, certNo)
			if last := h[len(h)-1]; last["kind"] != "reregistered" || fmt.Sprint(last["changes"]) != "[map[field:id_number]]" ||
				fmt.Sprint(last["source"]) != "map[file:补录.csv row:2 type:import]" {
				t.Fatalf("history entry %v", last)
			}
			// The rejected rows changed nothing: 赵六 and the other 张伟华
			// keep their own bans, and 李四 and the person with idB none.
			for _, c := range []struct{ no, name string }{{zhao, "赵六"}, {other, holder}} {
				if v := other2.verifyCert(c.no, c.name); v.json["eligible"] != false || bansOf(v) != 1 {
					t.Fatalf("%s after the rejected row: %s", c.no, v.body)
				}
			}
			for _, c := range []struct{ id, name string }{{idC, "李四"}, {idB, holder}} {
				el := e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": c.id, "name": c.name}, bearer(tm.reviewer)...)
				if el.json["match"] != true || el.json["eligible"] != true {
					t.Fatalf("the holder of the ID number got a ban: %s", el.body)
				}
			}

			// A rerun changes nothing; a later credential with idA shows the ban.
			r = e.importCSV(tm.registrar, "补录.csv", file)
			if r.json["unchanged"] != 1.0 || r.json["updated"] != 0.0 || len(rejects(r)) != 2 {
				t.Fatalf("rerun: %s", r.body)
			}
			e.importCSV(tm.registrar, "later.csv", registerCSVHeader+registeredRow("20191100141000990", holder, idA, "2029-06-30"))
			if v := other2.verifyCert("20191100141000990", holder); v.json["match"] != true || bansOf(v) != 1 {
				t.Fatalf("the ban does not count for the holder's later credential: %s", v.body)
			}
		})
	}
}

// TestImportFoldsHolderNames: a row naming the registered holder in
// Traditional characters renames nobody; the registered spelling is kept,
// and the row counts as unchanged unless something else changed. On both
// backends.
func TestImportFoldsHolderNames(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e, _ := twoInstances(t, open(t))
			tm := e.team()
			e.registerCredential(tm.registrar, map[string]string{"id_number": idA})
			r := e.importCSV(tm.registrar, "繁體.csv", registerCSVHeader+registeredRow(certNo, "張偉華", idA, "2029-06-30"))
			if r.json["unchanged"] != 1.0 || r.json["updated"] != 0.0 || len(rejects(r)) != 0 {
				t.Fatalf("same holder in Traditional characters: %s", r.body)
			}
			r = e.importCSV(tm.registrar, "繁體.csv", registerCSVHeader+registeredRow(certNo, "張偉華", idA, "2034-06-30"))
			if r.json["updated"] != 1.0 || len(rejects(r)) != 0 {
				t.Fatalf("re-registration in Traditional characters: %s", r.body)
			}
			g := e.do("GET", "/api/v1/admin/credentials/"+certNo, nil, bearer(tm.registrar)...)
			if g.str("holder_name") != holder || g.str("registered_until") != "2034-06-30" {
				t.Fatalf("after the re-registration: %s", g.body)
			}
			h := e.history(tm.registrar, certNo)
			if want := "[map[field:registered_until from:2029-06-30 to:2034-06-30]]"; len(h) != 2 || fmt.Sprint(h[1]["changes"]) != want {
				t.Fatalf("history %v, want the creation and a re-registration changing %s", h, want)
			}
			if v := e.verifyCert(certNo, holder); v.json["match"] != true {
				t.Fatalf("the registered spelling no longer verifies: %s", v.body)
			}
		})
	}
}

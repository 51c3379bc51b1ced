package handlers_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Two writers creating the same new person (one new ID number) at the same
// moment on two instances of one store: the later decides again on the
// register as the earlier left it, as if they had run one after the other.
// Under the same name both link to one person; under another name the
// later is rejected id_name_mismatch. Neither request fails as a whole.

// atOnce runs f and g with both released at the same moment.
func atOnce[T any](f, g func() T) (x, y T) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() { <-start; x = f() })
	wg.Go(func() { <-start; y = g() })
	close(start)
	wg.Wait()
	return x, y
}

// postCSV uploads a CSV file as importCSV does, and leaves checking the
// answer to the caller: it runs in the racing goroutines, which must not
// end the test.
func (e *env) postCSV(token, fileName, body string) *response {
	return e.do("POST", "/api/v1/admin/credentials/import", body, append(bearer(token),
		"Content-Type", "text/csv", "Content-Disposition", `attachment; filename="`+fileName+`"`)...)
}

// wantImported fails the test unless every import answered 200.
func wantImported(t *testing.T, round int, rs ...*response) {
	t.Helper()
	for _, r := range rs {
		if r.status != 200 {
			t.Fatalf("round %d: an import failed as a whole: %d %s", round, r.status, r.body)
		}
	}
}

// raceRow is one CSV row of a credential for the race tests.
func raceRow(no, name, id string) string {
	return no + "," + name + "," + id + ",primary,语文,北京市东城区教育委员会,2020-07-01,2030-06-30\n"
}

// banByID approves a ban on the person with the ID number and name.
func banByID(t *testing.T, e *env, tm team, id, name string) {
	t.Helper()
	if r := e.approve(tm.reviewer, e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "id_number": id, "name": name,
		"scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "终身禁入"})); r.status != 200 {
		t.Fatalf("ban by ID number: %d %s", r.status, r.body)
	}
}

// wantOnePerson checks that the credentials verify under name, each with
// the one ban imposed on the holder of the ID number: all are linked to
// that one person.
func wantOnePerson(t *testing.T, e *env, tm team, id, name string, nos ...string) {
	t.Helper()
	banByID(t, e, tm, id, name)
	for _, no := range nos {
		if v := e.verifyCert(no, name); v.json["match"] != true || bansOf(v) != 1 {
			t.Fatalf("credential %s after the race is not on the banned person: %s", no, v.body)
		}
	}
}

// TestImportsCreatingOnePersonAtOnce: two one-row imports on two instances,
// each naming one new ID number for a new credential.
func TestImportsCreatingOnePersonAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			for round := range raceRounds {
				id := idNumber(100 + round)
				no1, no2 := fmt.Sprintf("2020110014200%04d", round), fmt.Sprintf("2020110014300%04d", round)
				name2 := "曹梅"
				if round%2 == 1 {
					name2 = "曹兰"
				}
				x, y := instancesFor(round, a, b)
				r1, r2 := atOnce(
					func() *response {
						return x.postCSV(tm.registrar, "a.csv", registerCSVHeader+raceRow(no1, "曹梅", id))
					},
					func() *response { return y.postCSV(tm.registrar, "b.csv", registerCSVHeader+raceRow(no2, name2, id)) })
				wantImported(t, round, r1, r2)
				if name2 == "曹梅" {
					for _, r := range []*response{r1, r2} {
						if r.json["inserted"] != 1.0 || len(rejects(r)) != 0 {
							t.Fatalf("round %d: same name: %s", round, r.body)
						}
					}
					wantOnePerson(t, a, tm, id, "曹梅", no1, no2)
					continue
				}
				// One is imported, the other rejected; either may come first.
				won, lost, lostNo := r1, r2, no2
				if r1.json["inserted"] != 1.0 {
					won, lost, lostNo = r2, r1, no1
				}
				if won.json["inserted"] != 1.0 || len(rejects(won)) != 0 || lost.json["inserted"] != 0.0 ||
					strings.Join(rejects(lost), " ") != "2:id_name_mismatch" {
					t.Fatalf("round %d: other name: %s / %s", round, r1.body, r2.body)
				}
				if g := a.do("GET", "/api/v1/admin/credentials/"+lostNo, nil, bearer(tm.registrar)...); g.status != 404 {
					t.Fatalf("round %d: the rejected row was applied: %d %s", round, g.status, g.body)
				}
			}
		})
	}
}

// TestCreateCredentialsOfOnePersonAtOnce: the same through the API; the
// later creation under another name answers 422 id_name_mismatch.
func TestCreateCredentialsOfOnePersonAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			create := func(e *env, no, name, id string) func() *response {
				return func() *response {
					return e.do("POST", "/api/v1/admin/credentials", map[string]string{
						"certificate_no": no, "holder_name": name, "id_number": id, "kind": "primary", "subject": "语文",
						"issuer": "北京市东城区教育委员会", "issued_on": "2020-07-01", "registered_until": "2030-06-30",
					}, bearer(tm.registrar)...)
				}
			}
			for round := range raceRounds {
				id := idNumber(200 + round)
				no1, no2 := fmt.Sprintf("2020110014400%04d", round), fmt.Sprintf("2020110014500%04d", round)
				name2 := "曹梅"
				if round%2 == 1 {
					name2 = "曹兰"
				}
				x, y := instancesFor(round, a, b)
				r1, r2 := atOnce(create(x, no1, "曹梅", id), create(y, no2, name2, id))
				if name2 == "曹梅" {
					if r1.status != 201 || r2.status != 201 {
						t.Fatalf("round %d: same name: %d %s / %d %s", round, r1.status, r1.body, r2.status, r2.body)
					}
					wantOnePerson(t, a, tm, id, "曹梅", no1, no2)
					continue
				}
				lost := r2
				if r2.status == 201 {
					lost = r1
				}
				if r1.status+r2.status != 201+422 {
					t.Fatalf("round %d: other name: %d %s / %d %s", round, r1.status, r1.body, r2.status, r2.body)
				}
				wantProblem(t, lost, 422, "id_name_mismatch")
			}
		})
	}
}

// TestImportAndBanCreatingOnePersonAtOnce: an import of a new credential
// and the approval of a ban by the same new ID number and name, at once.
// Both succeed, on one person: the credential shows the ban.
func TestImportAndBanCreatingOnePersonAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			tm := a.team()
			for round := range raceRounds {
				id, no := idNumber(300+round), fmt.Sprintf("2020110014600%04d", round)
				ban := a.propose(tm.registrar, map[string]any{"kind": "impose_ban", "id_number": id, "name": "曹梅",
					"scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "终身禁入"})
				x, y := instancesFor(round, a, b)
				ri, rb := atOnce(
					func() *response { return x.postCSV(tm.registrar, "a.csv", registerCSVHeader+raceRow(no, "曹梅", id)) },
					func() *response { return y.approve(tm.reviewer, ban) })
				wantImported(t, round, ri)
				if ri.json["inserted"] != 1.0 || len(rejects(ri)) != 0 || rb.status != 200 {
					t.Fatalf("round %d: import %s / approval %d %s", round, ri.body, rb.status, rb.body)
				}
				if v := a.verifyCert(no, "曹梅"); v.json["match"] != true || bansOf(v) != 1 {
					t.Fatalf("round %d: the imported credential does not show the ban: %s", round, v.body)
				}
			}
		})
	}
}

package handlers_test

import (
	"testing"
)

// TestCaseApprovalsRace approves two actions on one case at the same
// moment, on two instances of one store, round after round: the end state
// is one that applying them one after the other would leave, and a loser
// answers 409 and stays pending.
//
// Two publications of one draft (proposed by two editors): exactly one
// applies, the other is 409. An amendment and a withdrawal of a published
// case, both proposed on the same version: exactly one applies, and the
// other is 409, since the case is no longer the version it was proposed
// on (and a withdrawal is final).
func TestCaseApprovalsRace(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			ed1, ed2 := a.addUser("ed1", "editor"), a.addUser("ed2", "editor")
			rev1, rev2 := a.addUser("rev1", "reviewer"), a.addUser("rev2", "reviewer")
			orders := map[string]int{}
			for round := range raceRounds {
				x, y := instancesFor(round, a, b)

				id := a.draftID(ed1, nil)
				p1 := a.propose(ed1, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
				p2 := b.propose(ed2, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
				r1, r2 := approveAtOnce(x, rev1, p1, y, rev2, p2)
				switch {
				case r1.status == 200 && r2.status != 200:
					wantPendingLoser(t, a, rev1, p2, r2)
				case r2.status == 200 && r1.status != 200:
					wantPendingLoser(t, a, rev1, p1, r1)
				default:
					t.Fatalf("round %d: two publications answered %d and %d, want one 200 and one 409", round, r1.status, r2.status)
				}
				if g := b.adminCase(ed1, id); g.str("status") != "published" || g.json["version"] != 2.0 {
					t.Fatalf("round %d: published twice or not at all: %s", round, g.body)
				}

				amend := a.propose(ed1, map[string]any{"kind": "amend_case", "case_id": id, "changes": map[string]any{"title": "更正后的标题"}, "note": "更正标题", "reason": "更正"})
				withdraw := b.propose(ed2, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "处理决定已撤销"})
				ra, rw := approveAtOnce(x, rev1, amend, y, rev2, withdraw)
				g := a.adminCase(ed1, id)
				revisions := len(g.json["revisions"].([]any))
				switch {
				case ra.status == 200 && rw.status != 200: // amended first: the withdrawal was proposed on the version before
					orders["amend; withdraw refused"]++
					wantPendingLoser(t, a, rev1, withdraw, rw)
					if g.str("status") != "published" || revisions != 1 || g.json["version"] != 3.0 {
						t.Fatalf("round %d: amended first, but %s", round, g.body)
					}
				case rw.status == 200 && ra.status != 200: // withdrawn first: the amendment can no longer apply
					orders["withdraw; amend refused"]++
					wantPendingLoser(t, a, rev1, amend, ra)
					if g.str("status") != "withdrawn" || revisions != 0 || g.json["version"] != 3.0 {
						t.Fatalf("round %d: withdrawn first, but %s", round, g.body)
					}
				default:
					t.Fatalf("round %d: amendment %d %s, withdrawal %d %s", round, ra.status, ra.body, rw.status, rw.body)
				}
				// Every instance sees the end state at once.
				for i, e := range []*env{a, b} {
					p := e.publicCase(id)
					if want := map[string]int{"withdrawn": 410, "published": 200}[g.str("status")]; p.status != want {
						t.Fatalf("round %d: instance %d answers %d, want %d", round, i, p.status, want)
					}
				}
			}
			t.Logf("orders seen: %v", orders)
		})
	}
}

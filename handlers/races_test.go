package handlers_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// Different actions on one object approved at the same moment by two
// reviewers on two instances of one store (DESIGN principle 7, API.md
// "Actions"): the end state is one that applying them one after the other
// would leave, a revocation that answered 200 is never undone, the loser
// answers 409 and its action stays pending, and every ban that answered 200
// is one that checks see. Each test repeats its race for several rounds,
// alternating which instance approves which action.

const raceRounds = 6

// racers are the people of the race tests: one registrar proposes, two
// reviewers approve at once.
type racers struct{ registrar, rev1, rev2 string }

func newRacers(e *env) racers {
	return racers{registrar: e.addUser("reg", "registrar"), rev1: e.addUser("rev1", "reviewer"), rev2: e.addUser("rev2", "reviewer")}
}

// approveAtOnce approves action x on instance ex (as reviewer tx) and
// action y on ey (as ty), both requests released at the same moment.
func approveAtOnce(ex *env, tx, x string, ey *env, ty, y string) (rx, ry *response) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() { <-start; rx = ex.approve(tx, x) })
	wg.Go(func() { <-start; ry = ey.approve(ty, y) })
	close(start)
	wg.Wait()
	return rx, ry
}

// instancesFor returns the two instances in an order that alternates by round.
func instancesFor(round int, a, b *env) (*env, *env) {
	if round%2 == 1 {
		return b, a
	}
	return a, b
}

// raceCert is the certificate number a round registers.
func raceCert(round int) string { return fmt.Sprintf("2019110014100%04d", round) }

// statusSteps returns the status changes in the credential's history as
// from>to steps.
func (e *env) statusSteps(token, no string) []string {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/credentials/"+no, nil, bearer(token)...)
	if r.status != 200 {
		e.t.Fatalf("credential %s: %d %s", no, r.status, r.body)
	}
	var steps []string
	for _, h := range r.json["history"].([]any) {
		h := h.(map[string]any)
		if h["kind"] != "status" {
			continue
		}
		steps = append(steps, fmt.Sprintf("%s>%s", h["from"], h["to"]))
	}
	return steps
}

// wantPendingLoser checks that an approval lost its race as the contract
// says: 409 conflict, and its action still pending.
func wantPendingLoser(t *testing.T, e *env, token, id string, r *response) {
	t.Helper()
	wantProblem(t, r, 409, "conflict")
	if a := e.do("GET", "/api/v1/admin/actions/"+id, nil, bearer(token)...); a.str("status") != "pending" {
		t.Fatalf("the action that lost the race is %q, want it still pending", a.str("status"))
	}
}

// wantStatusEverywhere checks a verification on both instances.
func wantStatusEverywhere(t *testing.T, no, status string, es ...*env) {
	t.Helper()
	for i, e := range es {
		if v := e.verifyCert(no, holder); v.str("status") != status || v.json["match"] != true {
			t.Fatalf("instance %d verifies %s as %s, want %s: %s", i, no, v.str("status"), status, v.body)
		}
	}
}

// TestRevokeAndSuspendAtOnce: the revocation always applies (it may follow
// a suspension); the suspension applies only if it came first, and
// otherwise answers 409 and stays pending, and approving it again is still
// 409. Either way the credential ends revoked.
func TestRevokeAndSuspendAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			rc := newRacers(a)
			orders := map[string]int{}
			for round := range raceRounds {
				no := raceCert(round)
				a.registerCredential(rc.registrar, map[string]string{"certificate_no": no})
				revoke := a.propose(rc.registrar, map[string]any{"kind": "revoke_credential", "certificate_no": no, "reason": "依法撤销教师资格"})
				suspend := b.propose(rc.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": no, "until": "2027-12-31", "reason": "调查期间暂停"})
				x, y := instancesFor(round, a, b)
				rr, rs := approveAtOnce(x, rc.rev1, revoke, y, rc.rev2, suspend)

				if rr.status != 200 || rr.str("status") != "applied" {
					t.Fatalf("round %d: the revocation answered %d %s; it applies whatever the suspension did", round, rr.status, rr.body)
				}
				hist := a.statusSteps(rc.registrar, no)
				switch rs.status {
				case 200: // suspended first, then revoked
					orders["suspend, revoke"]++
					if want := []string{"active>suspended", "suspended>revoked"}; !slices.Equal(hist, want) {
						t.Fatalf("round %d: both applied, history %v, want %v", round, hist, want)
					}
				default: // revoked first: the suspension can no longer apply
					orders["revoke; suspend refused"]++
					wantPendingLoser(t, a, rc.rev1, suspend, rs)
					if want := []string{"active>revoked"}; !slices.Equal(hist, want) {
						t.Fatalf("round %d: history %v, want %v", round, hist, want)
					}
					wantProblem(t, y.approve(rc.rev2, suspend), 409, "conflict")
				}
				wantStatusEverywhere(t, no, "revoked", a, b)
			}
			t.Logf("orders seen: %v", orders)
		})
	}
}

// TestReinstateAndRevokeAtOnce: on a suspended credential, the revocation
// always applies; the reinstatement applies only if it came first.
func TestReinstateAndRevokeAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			rc := newRacers(a)
			orders := map[string]int{}
			for round := range raceRounds {
				no := raceCert(round)
				a.registerCredential(rc.registrar, map[string]string{"certificate_no": no})
				if r := a.approve(rc.rev1, a.propose(rc.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": no, "reason": "调查期间暂停"})); r.status != 200 {
					t.Fatalf("suspend: %d %s", r.status, r.body)
				}
				reinstate := a.propose(rc.registrar, map[string]any{"kind": "reinstate_credential", "certificate_no": no, "reason": "调查结束，恢复"})
				revoke := b.propose(rc.registrar, map[string]any{"kind": "revoke_credential", "certificate_no": no, "reason": "依法撤销教师资格"})
				x, y := instancesFor(round, a, b)
				ri, rr := approveAtOnce(x, rc.rev1, reinstate, y, rc.rev2, revoke)

				if rr.status != 200 {
					t.Fatalf("round %d: the revocation answered %d %s; it applies whatever the reinstatement did", round, rr.status, rr.body)
				}
				hist := a.statusSteps(rc.registrar, no)
				switch ri.status {
				case 200:
					orders["reinstate, revoke"]++
					if want := []string{"active>suspended", "suspended>active", "active>revoked"}; !slices.Equal(hist, want) {
						t.Fatalf("round %d: both applied, history %v, want %v", round, hist, want)
					}
				default:
					orders["revoke; reinstate refused"]++
					wantPendingLoser(t, a, rc.rev1, reinstate, ri)
					if want := []string{"active>suspended", "suspended>revoked"}; !slices.Equal(hist, want) {
						t.Fatalf("round %d: history %v, want %v", round, hist, want)
					}
				}
				// The revocation that answered 200 stands, now and after
				// another try at the reinstatement.
				wantStatusEverywhere(t, no, "revoked", a, b)
				if ri.status != 200 {
					wantProblem(t, x.approve(rc.rev1, reinstate), 409, "conflict")
					wantStatusEverywhere(t, no, "revoked", a, b)
				}
			}
			t.Logf("orders seen: %v", orders)
		})
	}
}

// banIDs returns the ids of the holder's bans that GET /admin/bans lists.
func (e *env) banIDs(token, query string) []int64 {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/bans?"+query, nil, bearer(token)...)
	if r.status != 200 {
		e.t.Fatalf("bans?%s: %d %s", query, r.status, r.body)
	}
	var ids []int64
	for _, b := range r.json["bans"].([]any) {
		ids = append(ids, int64(b.(map[string]any)["id"].(float64)))
	}
	return ids
}

// appliedBan returns the ban_id of an approval that answered 200.
func appliedBan(t *testing.T, r *response) int64 {
	t.Helper()
	id, ok := r.json["ban_id"].(float64)
	if r.status != 200 || r.str("status") != "applied" || !ok || id < 1 {
		t.Fatalf("approval of impose_ban: %d %s; want applied with a ban_id", r.status, r.body)
	}
	return int64(id)
}

// TestTwoBansAtOnce: two bans on the holder of a credential with no person
// linked yet, approved at once. One after the other, the first links a
// person and the second finds it, so both apply, on the one person that
// verification of the credential sees.
func TestTwoBansAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			rc := newRacers(a)
			for round := range raceRounds {
				no := raceCert(round)
				a.registerCredential(rc.registrar, map[string]string{"certificate_no": no}) // no ID number: no person
				ban1 := a.propose(rc.registrar, map[string]any{"kind": "impose_ban", "certificate_no": no, "name": holder,
					"scope": "education", "starts_on": "2026-05-01", "ends_on": nil, "reason": "性骚扰学生，终身禁入"})
				ban2 := b.propose(rc.registrar, map[string]any{"kind": "impose_ban", "certificate_no": no, "name": holder,
					"scope": "teaching", "starts_on": "2026-06-01", "ends_on": "2031-05-31", "reason": "体罚学生，五年内不得从教"})
				x, y := instancesFor(round, a, b)
				r1, r2 := approveAtOnce(x, rc.rev1, ban1, y, rc.rev2, ban2)
				id1, id2 := appliedBan(t, r1), appliedBan(t, r2)
				if id1 == id2 {
					t.Fatalf("round %d: both approvals answered ban %d", round, id1)
				}

				// Both bans are the credential holder's, as the list and
				// every verification show.
				listed := a.banIDs(rc.rev1, "certificate_no="+no)
				slices.Sort(listed)
				if want := []int64{min(id1, id2), max(id1, id2)}; !slices.Equal(listed, want) {
					t.Fatalf("round %d: the holder's bans are %v, want %v: a ban fell on another person", round, listed, want)
				}
				for i, e := range []*env{a, b} {
					v := e.verifyCert(no, holder)
					scopes := []string{}
					for _, bn := range v.json["bans"].([]any) {
						scopes = append(scopes, bn.(map[string]any)["scope"].(string))
					}
					slices.Sort(scopes)
					if v.json["eligible"] != false || !slices.Equal(scopes, []string{"education", "teaching"}) {
						t.Fatalf("round %d: instance %d verifies bans %v: %s", round, i, scopes, v.body)
					}
				}
			}
		})
	}
}

// TestTwoBansByIDNumberAtOnce: two bans by one ID number nobody is on
// record with yet. Under the same name both apply, on one person; under
// two names only the first applies (an ID number never links to a person
// of another name), and the other answers 409 and stays pending.
func TestTwoBansByIDNumberAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			rc := newRacers(a)
			eligibility := func(e *env, id, name string) *response {
				return e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": id, "name": name}, bearer(rc.rev1)...)
			}
			for round := range raceRounds {
				id := idNumber(round)
				name2 := "王五"
				if round%2 == 1 {
					name2 = "王六" // the same ID number under another name
				}
				ban1 := a.propose(rc.registrar, map[string]any{"kind": "impose_ban", "id_number": id, "name": "王五",
					"scope": "education", "starts_on": "2026-01-01", "ends_on": nil, "reason": "性骚扰学生，终身禁入"})
				ban2 := b.propose(rc.registrar, map[string]any{"kind": "impose_ban", "id_number": id, "name": name2,
					"scope": "teaching", "starts_on": "2026-02-01", "ends_on": "2031-01-31", "reason": "体罚学生"})
				x, y := instancesFor(round, a, b)
				r1, r2 := approveAtOnce(x, rc.rev1, ban1, y, rc.rev2, ban2)

				var applied []int64
				winner := ""
				for _, c := range []struct {
					r    *response
					id   string
					name string
				}{{r1, ban1, "王五"}, {r2, ban2, name2}} {
					if c.r.status == 200 {
						applied = append(applied, appliedBan(t, c.r))
						winner = c.name
					} else {
						wantPendingLoser(t, a, rc.rev1, c.id, c.r)
					}
				}
				if name2 == "王五" && len(applied) != 2 || name2 != "王五" && len(applied) != 1 {
					t.Fatalf("round %d: %d bans applied (%d %s / %d %s)", round, len(applied), r1.status, r1.body, r2.status, r2.body)
				}
				listed := a.banIDs(rc.rev2, "id_number="+id)
				slices.Sort(listed)
				slices.Sort(applied)
				if !slices.Equal(listed, applied) {
					t.Fatalf("round %d: the ID number's bans are %v, the approvals answered %v", round, listed, applied)
				}
				for i, e := range []*env{a, b} {
					r := eligibility(e, id, winner)
					if r.json["match"] != true || r.json["eligible"] != false || len(r.json["bans"].([]any)) != len(applied) {
						t.Fatalf("round %d: instance %d: eligibility of %s: %s", round, i, winner, r.body)
					}
				}
			}
		})
	}
}

// idNumber returns a valid resident ID number (check digit included) that
// differs for each n below 1000.
func idNumber(n int) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := fmt.Sprintf("11010519800101%03d", n)
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return s + string("10X98765432"[sum%11])
}

// TestTwoLiftsAtOnce: two lift_ban actions on one ban approved at once.
// One after the other, the second finds the ban lifted: exactly one
// answers 200, the other 409 and stays pending, and the ban is lifted once.
func TestTwoLiftsAtOnce(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, open(t))
			rc := newRacers(a)
			for round := range raceRounds {
				id := idNumber(100 + round)
				ban := appliedBan(t, a.approve(rc.rev1, a.propose(rc.registrar, map[string]any{"kind": "impose_ban", "id_number": id,
					"name": "王五", "scope": "teaching", "starts_on": "2026-01-01", "ends_on": nil, "reason": "体罚学生"})))
				lift1 := a.propose(rc.registrar, map[string]any{"kind": "lift_ban", "ban_id": ban, "reason": "复核撤销处分"})
				lift2 := b.propose(rc.registrar, map[string]any{"kind": "lift_ban", "ban_id": ban, "reason": "申诉成立"})
				x, y := instancesFor(round, a, b)
				r1, r2 := approveAtOnce(x, rc.rev1, lift1, y, rc.rev2, lift2)
				switch {
				case r1.status == 200 && r2.status != 200:
					wantPendingLoser(t, a, rc.rev1, lift2, r2)
				case r2.status == 200 && r1.status != 200:
					wantPendingLoser(t, a, rc.rev1, lift1, r1)
				default:
					t.Fatalf("round %d: the lifts answered %d and %d, want one 200 and one 409", round, r1.status, r2.status)
				}
				r := b.do("GET", "/api/v1/admin/bans?id_number="+id, nil, bearer(rc.rev2)...)
				if bans := r.json["bans"].([]any); len(bans) != 1 || bans[0].(map[string]any)["lifted_at"] == nil {
					t.Fatalf("round %d: after the lifts: %s", round, r.body)
				}
			}
		})
	}
}

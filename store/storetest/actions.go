package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// oddJSON is valid JSON that any decode and re-encode would change: extra
// spaces, keys out of order, an escape, a number in exponent form.
var oddJSON = json.RawMessage("{\"b\":1,  \"a\":[2], \"名\" : \"\\u5f20某某\",\n\t\"n\": 1e2 }")

func createActions(t *testing.T, st store.Store, as ...*store.Action) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, a := range as {
			if err := tx.CreateAction(t.Context(), a); err != nil {
				return err
			}
		}
		return nil
	})
	ids := map[int64]bool{}
	for _, a := range as {
		if a.ID == 0 || ids[a.ID] {
			t.Fatalf("CreateAction set ID %d, want a new non-zero one", a.ID)
		}
		ids[a.ID] = true
	}
}

func pendingAction(kind, object string, proposedAt time.Time) *store.Action {
	return &store.Action{Kind: kind, Object: object, Params: json.RawMessage(`{"x":1}`),
		Reason: "经调查属实", Status: store.ActionPending, ProposedBy: "registrar", ProposedAt: proposedAt}
}

// decided is a with the decision that DecideAction(status, by, at, reason)
// records.
func decided(a *store.Action, status, by string, at time.Time, reason string) store.Action {
	w := *a
	w.Status, w.DecidedBy, w.DecidedAt, w.DecisionReason = status, by, at, reason
	return norm(w)
}

func decide(t *testing.T, tx store.Tx, id int64, status, by string, at time.Time, reason string) error {
	return tx.DecideAction(t.Context(), id, status, by, at, reason)
}

func testActionRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	full := &store.Action{
		Kind: store.ActionRevokeCredential, Object: "credential:A2015110000123", Params: oddJSON,
		Reason: "依法撤销教师资格", Status: store.ActionPending, ProposedBy: "registrar-1",
		ProposedAt: t0.Add(123 * time.Nanosecond),
	}
	bare := &store.Action{ // no parameters, no reason
		Kind: store.ActionLiftBan, Object: "ban:7", Status: store.ActionPending,
		ProposedBy: "张老师", ProposedAt: t0.Add(time.Minute),
	}
	spaced := pendingAction(store.ActionPublishCase, "case:c-1", t0.Add(2*time.Minute))
	spaced.Params = json.RawMessage(" \n[ ]\t")
	createActions(t, st, full, bare, spaced)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, a := range []*store.Action{full, bare, spaced} {
			got, err := r.ActionByID(t.Context(), a.ID)
			if err != nil {
				t.Fatalf("ActionByID(%d): %v", a.ID, err)
			}
			checkEqual(t, "action "+a.Object, norm(*a), got)
		}
	})

	at1, at2 := t0.Add(time.Hour+789*time.Nanosecond), t0.Add(2*time.Hour)
	update(t, st, func(tx store.Tx) error {
		if err := decide(t, tx, full.ID, store.ActionApplied, "reviewer-1", at1, ""); err != nil {
			return err
		}
		return decide(t, tx, bare.ID, store.ActionRejected, "reviewer-2", at2, "证据不足")
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []struct {
			a    *store.Action
			want store.Action
		}{
			{full, decided(full, store.ActionApplied, "reviewer-1", at1, "")},
			{bare, decided(bare, store.ActionRejected, "reviewer-2", at2, "证据不足")},
			{spaced, norm(*spaced)},
		} {
			got, err := r.ActionByID(t.Context(), c.a.ID)
			if err != nil {
				t.Fatalf("ActionByID(%d): %v", c.a.ID, err)
			}
			checkEqual(t, "decided action "+c.a.Object, c.want, got)
		}
	})
}

func testActionNotFound(t *testing.T, s suite) {
	st := s.open(t)
	a := pendingAction(store.ActionImposeBan, "person:1", t0)
	createActions(t, st, a)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, id := range []int64{a.ID + 1000, 0, -1} {
			got, err := r.ActionByID(t.Context(), id)
			wantCode(t, fmt.Sprintf("ActionByID(%d)", id), err, store.ENotFound)
			if got != nil {
				t.Errorf("ActionByID(%d) returned %+v with its error", id, got)
			}
		}
	})
	err := failUpdate(t, st, func(tx store.Tx) error {
		return decide(t, tx, a.ID+1000, store.ActionApplied, "reviewer", t0, "")
	})
	wantCode(t, "DecideAction of an unknown action", err, store.ENotFound)
}

// testDecideActionTwice: an action is decided once; a second decision,
// either way, is EConflict and leaves the first in place.
func testDecideActionTwice(t *testing.T, s suite) {
	st := s.open(t)
	a := pendingAction(store.ActionSuspendCredential, "credential:A1", t0)
	createActions(t, st, a)
	at := t0.Add(time.Hour)
	update(t, st, func(tx store.Tx) error { return decide(t, tx, a.ID, store.ActionRejected, "rev-1", at, "不予批准") })
	for _, status := range []string{store.ActionApplied, store.ActionRejected} {
		err := failUpdate(t, st, func(tx store.Tx) error {
			return decide(t, tx, a.ID, status, "rev-2", at.Add(time.Hour), "again")
		})
		wantCode(t, "DecideAction("+status+") of a rejected action", err, store.EConflict)
	}
	// Within one transaction as well: the second call sees the first.
	b := pendingAction(store.ActionSuspendCredential, "credential:B1", t0)
	createActions(t, st, b)
	err := failUpdate(t, st, func(tx store.Tx) error {
		if err := decide(t, tx, b.ID, store.ActionApplied, "rev-1", at, ""); err != nil {
			t.Fatalf("first DecideAction: %v", err)
		}
		return decide(t, tx, b.ID, store.ActionApplied, "rev-1", at, "")
	})
	wantCode(t, "DecideAction twice in one transaction", err, store.EConflict)

	got, err := st.ActionByID(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("ActionByID: %v", err)
	}
	checkEqual(t, "the action after the second decisions", decided(a, store.ActionRejected, "rev-1", at, "不予批准"), got)
	got, err = st.ActionByID(t.Context(), b.ID)
	if err != nil {
		t.Fatalf("ActionByID: %v", err)
	}
	checkEqual(t, "the action of the rolled-back transaction", norm(*b), got)
}

// testDecideActionRace has sixteen reviewers on two instances decide one
// action at once: exactly one succeeds, every other gets EConflict, and the
// stored decision is the winner's.
func testDecideActionRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	act := pendingAction(store.ActionRevokeCredential, "credential:A1", t0)
	createActions(t, a, act)
	const n = 16
	var (
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	status := func(i int) string { return []string{store.ActionApplied, store.ActionRejected}[i%2] }
	by := func(i int) string { return fmt.Sprintf("reviewer-%d", i) }
	at := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Minute) }
	for i := range n {
		st := a
		if i%4 >= 2 { // both statuses on both handles
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				return decide(t, tx, act.ID, status(i), by(i), at(i), fmt.Sprint("reason ", i))
			})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Errorf("reviewers %d and %d both decided the action", winner, i)
			}
			winner = i
			continue
		}
		wantCode(t, fmt.Sprintf("reviewer %d", i), err, store.EConflict)
	}
	if winner < 0 {
		t.Fatalf("no reviewer decided the action")
	}
	want := decided(act, status(winner), by(winner), at(winner), fmt.Sprint("reason ", winner))
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		got, err := st.ActionByID(t.Context(), act.ID)
		if err != nil {
			t.Fatalf("handle %s: ActionByID: %v", name, err)
		}
		checkEqual(t, "handle "+name+": the decided action", want, got)
	}
}

func testActionsList(t *testing.T, s suite) {
	st := s.open(t)
	as := make([]*store.Action, 7)
	for i := range as {
		as[i] = pendingAction(store.ActionPublishCase, fmt.Sprintf("case:c-%d", i), t0.Add(time.Duration(i)*time.Minute))
	}
	createActions(t, st, as[:4]...)
	createActions(t, st, as[4:]...)
	at := t0.Add(time.Hour)
	update(t, st, func(tx store.Tx) error {
		for _, d := range []struct {
			i      int
			status string
		}{{1, store.ActionApplied}, {4, store.ActionApplied}, {2, store.ActionRejected}} {
			if err := decide(t, tx, as[d.i].ID, d.status, "reviewer", at, ""); err != nil {
				return err
			}
		}
		return nil
	})

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []struct {
			f     store.ActionFilter
			want  []int // indexes into as, in the order expected
			total int
		}{
			{store.ActionFilter{Limit: 100}, []int{6, 5, 4, 3, 2, 1, 0}, 7},
			{store.ActionFilter{Limit: 3, Offset: 1}, []int{5, 4, 3}, 7},
			{store.ActionFilter{Status: store.ActionPending, Limit: 100}, []int{6, 5, 3, 0}, 4},
			{store.ActionFilter{Status: store.ActionPending, Limit: 2}, []int{6, 5}, 4},
			{store.ActionFilter{Status: store.ActionPending, Limit: 2, Offset: 2}, []int{3, 0}, 4},
			{store.ActionFilter{Status: store.ActionPending, Limit: 2, Offset: 4}, []int{}, 4},
			{store.ActionFilter{Status: store.ActionApplied, Limit: 100}, []int{4, 1}, 2},
			{store.ActionFilter{Status: store.ActionRejected, Limit: 1}, []int{2}, 1},
			{store.ActionFilter{Status: "unknown", Limit: 100}, []int{}, 0},
		} {
			got, total, err := r.Actions(t.Context(), c.f)
			if err != nil {
				t.Fatalf("Actions(%+v): %v", c.f, err)
			}
			if total != c.total {
				t.Errorf("Actions(%+v) total = %d, want %d", c.f, total, c.total)
			}
			var gotIDs, wantIDs []int64
			for _, a := range got {
				gotIDs = append(gotIDs, a.ID)
			}
			for _, i := range c.want {
				wantIDs = append(wantIDs, as[i].ID)
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("Actions(%+v) = ids %v, want %v", c.f, gotIDs, wantIDs)
			}
		}
		// The listed actions are whole.
		got, _, err := r.Actions(t.Context(), store.ActionFilter{Status: store.ActionApplied, Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("Actions(applied, limit 1) = %+v, %v; want one", got, err)
		}
		checkEqual(t, "the listed action", decided(as[4], store.ActionApplied, "reviewer", at, ""), &got[0])
	})
}

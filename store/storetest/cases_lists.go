package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// today is the day the visibility and expiry tests are read on.
var today = store.NewDate(2024, time.June, 1)

// testCasesList: the admin list by status and by pending action, most
// recently updated first with ties by id, with its total and paging.
func testCasesList(t *testing.T, s suite) {
	st := s.open(t)
	at := func(m int) time.Time { return t0.Add(time.Duration(m)*time.Minute + 7) }
	cs := []*store.Case{
		listCase("c0", store.CaseDraft, at(10), time.Time{}, store.Date{}),
		listCase("c1", store.CasePublished, at(50), at(40), store.Date{}),
		listCase("c2", store.CaseDraft, at(30), time.Time{}, store.Date{}),
		listCase("c3", store.CaseWithdrawn, at(60), at(20), store.Date{}),
		listCase("c4", store.CasePublished, at(30), at(25), today.AddDays(-1)), // expired: still listed
		listCase("c5", store.CaseDraft, at(70), time.Time{}, store.Date{}),
		listCase("c6", store.CasePublished, at(30), at(28), store.Date{}),
	}
	createCases(t, st, cs...)
	// Pending actions on c1, c2 (twice), c3 and c5; decided ones on c0 and
	// c5; objects that name no listed case, or name one in another form.
	pending := []*store.Action{
		pendingAction(store.ActionAmendCase, "case:c1", t0),
		pendingAction(store.ActionPublishCase, "case:c2", t0),
		pendingAction(store.ActionPublishCase, "case:c2", t0),
		pendingAction(store.ActionWithdrawCase, "case:c3", t0),
		pendingAction(store.ActionPublishCase, "case:c5", t0),
		pendingAction(store.ActionPublishCase, "case:c0", t0),
		pendingAction(store.ActionPublishCase, "case:c9", t0),
		pendingAction(store.ActionPublishCase, "CASE:c6", t0),
		pendingAction(store.ActionPublishCase, "case:c6 ", t0),
		pendingAction(store.ActionImposeBan, "person:c6", t0),
		pendingAction(store.ActionPublishCase, "cases:c6", t0),
	}
	createActions(t, st, pending...)
	update(t, st, func(tx store.Tx) error {
		return tx.DecideAction(t.Context(), pending[5].ID, store.ActionRejected, "reviewer", t0, "")
	})
	createActions(t, st, pendingAction(store.ActionPublishCase, "case:c5", t0)) // decided, beside a pending one
	update(t, st, func(tx store.Tx) error {
		last, _, err := tx.Actions(t.Context(), store.ActionFilter{Limit: 1})
		if err != nil || len(last) != 1 {
			t.Fatalf("Actions: %v", err)
		}
		return tx.DecideAction(t.Context(), last[0].ID, store.ActionApplied, "reviewer", t0, "")
	})

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []struct {
			f     store.CaseFilter
			want  []string
			total int
		}{
			{store.CaseFilter{}, []string{"c5", "c3", "c1", "c2", "c4", "c6", "c0"}, 7},
			{store.CaseFilter{Limit: 3}, []string{"c5", "c3", "c1"}, 7},
			{store.CaseFilter{Limit: 3, Offset: 3}, []string{"c2", "c4", "c6"}, 7},
			{store.CaseFilter{Limit: 3, Offset: 6}, []string{"c0"}, 7},
			{store.CaseFilter{Limit: 3, Offset: 7}, []string{}, 7},
			{store.CaseFilter{Offset: -4, Limit: 1}, []string{"c5"}, 7},
			{store.CaseFilter{Status: store.CaseDraft}, []string{"c5", "c2", "c0"}, 3},
			{store.CaseFilter{Status: store.CaseDraft, Limit: 1, Offset: 1}, []string{"c2"}, 3},
			{store.CaseFilter{Status: store.CasePublished}, []string{"c1", "c4", "c6"}, 3},
			{store.CaseFilter{Status: store.CaseWithdrawn, Limit: 5}, []string{"c3"}, 1},
			{store.CaseFilter{Status: "unknown"}, []string{}, 0},
			{store.CaseFilter{Pending: true}, []string{"c5", "c3", "c1", "c2"}, 4},
			{store.CaseFilter{Pending: true, Limit: 2, Offset: 1}, []string{"c3", "c1"}, 4},
			{store.CaseFilter{Pending: true, Limit: 2, Offset: 9}, []string{}, 4},
			{store.CaseFilter{Pending: true, Status: store.CaseDraft}, []string{"c5", "c2"}, 2},
			{store.CaseFilter{Pending: true, Status: store.CasePublished}, []string{"c1"}, 1},
			{store.CaseFilter{Pending: true, Status: "unknown"}, []string{}, 0},
		} {
			got, total, err := r.Cases(t.Context(), c.f)
			if err != nil {
				t.Fatalf("Cases(%+v): %v", c.f, err)
			}
			if total != c.total {
				t.Errorf("Cases(%+v) total = %d, want %d", c.f, total, c.total)
			}
			if got == nil || !slices.Equal(caseIDs(got), c.want) {
				t.Errorf("Cases(%+v) = %q, want %q", c.f, caseIDs(got), c.want)
			}
		}
		got, _, err := r.Cases(t.Context(), store.CaseFilter{Status: store.CasePublished, Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("Cases(published, limit 1) = %d cases, %v; want one", len(got), err)
		}
		checkCase(t, "the listed case", listedCase(cs[1], 1), &got[0])
	})
}

// testNewestVisibleCases: the feed holds the published cases whose
// disclosure has not ended before today (the last day included), newest
// first with ties by id; drafts, withdrawn and expired cases never.
func testNewestVisibleCases(t *testing.T, s suite) {
	st := s.open(t)
	at := func(m int) time.Time { return t0.Add(time.Duration(m)*time.Minute + 3) }
	swept := listCase("e2", store.CasePublished, at(95), at(95), today.AddDays(-30))
	swept.ExpiredAt = at(100)
	cs := []*store.Case{
		listCase("v1", store.CasePublished, at(1), at(10), store.Date{}),
		listCase("v2", store.CasePublished, at(1), at(30), today),
		listCase("v3", store.CasePublished, at(1), at(20), today.AddDays(400)),
		listCase("v4", store.CasePublished, at(1), at(30), today.AddDays(1)),
		listCase("e1", store.CasePublished, at(1), at(90), today.AddDays(-1)),
		swept,
		listCase("d1", store.CaseDraft, at(99), time.Time{}, store.Date{}),
		listCase("w1", store.CaseWithdrawn, at(99), at(80), store.Date{}),
		listCase("w2", store.CaseWithdrawn, at(99), at(85), today.AddDays(10)),
	}
	createCases(t, st, cs...)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []struct {
			today store.Date
			limit int
			want  []string
		}{
			{today, 10, []string{"v2", "v4", "v3", "v1"}},
			{today, 2, []string{"v2", "v4"}},
			{today, 0, []string{}},
			{today.AddDays(1), 10, []string{"v4", "v3", "v1"}},
			{today.AddDays(-1), 10, []string{"e1", "v2", "v4", "v3", "v1"}},
		} {
			got, err := r.NewestVisibleCases(t.Context(), c.today, c.limit)
			if err != nil {
				t.Fatalf("NewestVisibleCases(%s, %d): %v", c.today, c.limit, err)
			}
			if got == nil || !slices.Equal(caseIDs(got), c.want) {
				t.Errorf("NewestVisibleCases(%s, %d) = %q, want %q", c.today, c.limit, caseIDs(got), c.want)
			}
			for i := range got {
				if !got[i].Visible(c.today) {
					t.Errorf("NewestVisibleCases(%s) gave case %s, which is not visible then", c.today, got[i].ID)
				}
			}
		}
		got, err := r.NewestVisibleCases(t.Context(), today, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("NewestVisibleCases(limit 1) = %d cases, %v; want one", len(got), err)
		}
		checkCase(t, "the feed's case", listedCase(cs[1], 1), &got[0])
	})
}

// testPublishedCases: paging by id through every published case, expired
// ones included, and nothing else.
func testPublishedCases(t *testing.T, s suite) {
	st := s.open(t)
	var cs []*store.Case
	var want []string
	for i := range 11 {
		id := fmt.Sprintf("p%02d", (i*7)%11) // created out of id order
		status := []string{store.CasePublished, store.CasePublished, store.CaseDraft, store.CaseWithdrawn}[i%4]
		c := listCase(id, status, t0, t0, today.AddDays(i-5))
		cs = append(cs, c)
		if status == store.CasePublished {
			want = append(want, id)
		}
	}
	createCases(t, st, cs...)
	slices.Sort(want)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, limit := range []int{1, 3, 100} {
			var got []string
			after := ""
			for range 20 {
				page, err := r.PublishedCases(t.Context(), after, limit)
				if err != nil {
					t.Fatalf("PublishedCases(%q, %d): %v", after, limit, err)
				}
				if len(page) > limit {
					t.Fatalf("PublishedCases(%q, %d) gave %d cases", after, limit, len(page))
				}
				if len(page) == 0 {
					break
				}
				got = append(got, caseIDs(page)...)
				after = page[len(page)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("PublishedCases paged by %d = %q, want %q", limit, got, want)
			}
		}
		page, err := r.PublishedCases(t.Context(), want[2], 2)
		if err != nil || !slices.Equal(caseIDs(page), want[3:5]) {
			t.Errorf("PublishedCases(%q, 2) = %q, %v; want %q", want[2], caseIDs(page), err, want[3:5])
		}
		if page, err := r.PublishedCases(t.Context(), "", 0); err != nil || page == nil || len(page) != 0 {
			t.Errorf("PublishedCases(\"\", 0) = %q, %v; want an empty slice", caseIDs(page), err)
		}
	})
}

// testExpireCases: the sweep takes the published cases whose disclosure
// ended before today, each once, up to its limit; it marks them and moves
// their versions on, and leaves them published and on record.
func testExpireCases(t *testing.T, s suite) {
	st := s.open(t)
	cs := []*store.Case{
		listCase("x1", store.CasePublished, t0, t0, today.AddDays(-1)),
		listCase("x2", store.CasePublished, t0, t0, today.AddDays(-300)),
		listCase("x3", store.CasePublished, t0, t0, today.AddDays(-2)),
		listCase("k1", store.CasePublished, t0, t0, today),
		listCase("k2", store.CasePublished, t0, t0, store.Date{}),
		listCase("k3", store.CaseDraft, t0, time.Time{}, today.AddDays(-5)),
		listCase("k4", store.CaseWithdrawn, t0, t0, today.AddDays(-5)),
	}
	createCases(t, st, cs...)
	at1, at2 := t0.Add(time.Hour+9), t0.Add(2*time.Hour)
	expire := func(at time.Time, limit int) []string {
		t.Helper()
		var ids []string
		update(t, st, func(tx store.Tx) error {
			var err error
			ids, err = tx.ExpireCases(t.Context(), today, at, limit)
			return err
		})
		return ids
	}
	first := expire(at1, 2)
	second := expire(at2, 10)
	if len(first) != 2 || len(second) != 1 {
		t.Fatalf("ExpireCases gave %q, then %q; want two, then one", first, second)
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(first), second...)))
	if !slices.Equal(all, []string{"x1", "x2", "x3"}) {
		t.Errorf("ExpireCases expired %q, want x1, x2 and x3 once each", all)
	}
	if again := expire(at2, 10); again == nil || len(again) != 0 {
		t.Errorf("a third ExpireCases gave %q, want an empty slice", again)
	}
	for _, c := range cs {
		w := listedCase(c, 1)
		w.Revisions = []store.CaseRevision{}
		switch {
		case slices.Contains(first, c.ID):
			w.ExpiredAt, w.Version = micro(at1), 2
		case slices.Contains(second, c.ID):
			w.ExpiredAt, w.Version = micro(at2), 2
		}
		got, err := st.CaseByID(t.Context(), c.ID)
		if err != nil {
			t.Fatalf("CaseByID(%s): %v", c.ID, err)
		}
		checkCase(t, "case "+c.ID+" after the sweeps", w, got)
	}
	// A write decided before the sweep no longer applies.
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.WriteCase(t.Context(), cs[0], 1) })
	wantCode(t, "WriteCase from the version before expiry", err, store.EConflict)
	if page, err := st.PublishedCases(t.Context(), "", 10); err != nil || len(page) != 5 {
		t.Errorf("PublishedCases after the sweeps = %q, %v; want the five published, expired included", caseIDs(page), err)
	}
}

// testExpireCasesRace has six sweepers on two instances expire from one
// set at once until none is left: every case is returned exactly once.
func testExpireCasesRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const n, sweepers = 40, 6
	var cs []*store.Case
	for i := range n {
		cs = append(cs, listCase(fmt.Sprintf("c%02d", i), store.CasePublished, t0, t0, today.AddDays(-1-i%3)))
	}
	createCases(t, a, cs...)
	var (
		got   [sweepers][]string
		errs  [sweepers]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range sweepers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			for {
				var ids []string
				err := st.Update(t.Context(), func(tx store.Tx) error {
					var err error
					ids, err = tx.ExpireCases(t.Context(), today, t0.Add(time.Duration(w+1)*time.Hour), 3)
					return err
				})
				if err != nil {
					errs[w] = err
					return
				}
				if len(ids) == 0 {
					return
				}
				got[w] = append(got[w], ids...)
			}
		})
	}
	close(start)
	wg.Wait()
	by := map[string]int{}
	for w := range sweepers {
		if errs[w] != nil {
			t.Errorf("sweeper %d: %v", w, errs[w])
		}
		for _, id := range got[w] {
			if prev, dup := by[id]; dup {
				t.Errorf("case %s was expired by sweepers %d and %d", id, prev, w)
			}
			by[id] = w
		}
	}
	if len(by) != n {
		t.Errorf("%d cases were expired, want all %d", len(by), n)
	}
	for id, w := range by {
		c, err := b.CaseByID(t.Context(), id)
		if err != nil {
			t.Fatalf("CaseByID(%s): %v", id, err)
		}
		if want := micro(t0.Add(time.Duration(w+1) * time.Hour)); !c.ExpiredAt.Equal(want) || c.Version != 2 {
			t.Errorf("case %s: ExpiredAt %v, Version %d; want sweeper %d's %v and 2", id, c.ExpiredAt, c.Version, w, want)
		}
	}
}

// testPublicationGeneration: 0 on a new store, one more for each bump that
// commits (none for one rolled back), and every bump of a race gets a
// value of its own.
func testPublicationGeneration(t *testing.T, s suite) {
	a, b := s.pair(t)
	check := func(what string, want int64) {
		t.Helper()
		eachReader(t, a, func(t *testing.T, r store.Reader) {
			if g, err := r.PublicationGeneration(t.Context()); err != nil || g != want {
				t.Errorf("%s: PublicationGeneration = %d, %v; want %d", what, g, err, want)
			}
		})
	}
	check("a new store", 0)
	bump := func(st store.Store) int64 {
		var g int64
		update(t, st, func(tx store.Tx) error {
			var err error
			g, err = tx.BumpPublicationGeneration(t.Context())
			return err
		})
		return g
	}
	if g1, g2 := bump(a), bump(b); g1 != 1 || g2 != 2 {
		t.Errorf("two bumps gave %d and %d, want 1 and 2", g1, g2)
	}
	check("after two bumps", 2)
	errRollback := errors.New("roll back")
	if err := a.Update(t.Context(), func(tx store.Tx) error {
		if g, err := tx.BumpPublicationGeneration(t.Context()); err != nil || g != 3 {
			t.Errorf("a bump in a rolled-back transaction gave %d, %v; want 3", g, err)
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("Update = %v, want the error fn returned", err)
	}
	check("after a rolled-back bump", 2)

	const n = 10
	var (
		gens  [n]int64
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				var err error
				gens[i], err = tx.BumpPublicationGeneration(t.Context())
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("racing bump %d: %v", i, err)
		}
	}
	slices.Sort(gens[:])
	for i, g := range gens {
		if g != int64(3+i) {
			t.Errorf("the racing bumps gave %d, want 3 to %d once each", gens, 2+n)
			break
		}
	}
	check("after the racing bumps", 2+n)
}

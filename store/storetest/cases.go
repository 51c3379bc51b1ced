package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// caseDiff compares two values of the case types (Case, CaseContent,
// CaseRevision) field by field, by the rules of diff, and their slices by
// value: Categories and Sanctions read back non-nil, empty when none were
// written, nil or empty alike; Revisions are nil only where nil is wanted
// (lists), empty but not nil for a case with none (CaseByID).
func caseDiff(want, got any) []string {
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	var out []string
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		g := gv.Field(i).Interface()
		add := func(d string) {
			if d != "" {
				out = append(out, name+": "+d)
			}
		}
		switch w := wv.Field(i).Interface().(type) {
		case store.CaseContent:
			for _, d := range caseDiff(w, g) {
				out = append(out, name+"."+d)
			}
		case []int:
			add(readSliceDiff(w, g.([]int)))
		case []store.Sanction:
			add(readSliceDiff(w, g.([]store.Sanction)))
		case []store.CaseRevision:
			g := g.([]store.CaseRevision)
			switch {
			case w == nil && g != nil:
				add(fmt.Sprintf("got %d revisions, want nil", len(g)))
			case w != nil && g == nil:
				add("got nil, want a non-nil slice")
			case len(w) != len(g):
				add(fmt.Sprintf("got %d revisions, want %d", len(g), len(w)))
			default:
				for j := range w {
					for _, d := range caseDiff(w[j], g[j]) {
						out = append(out, fmt.Sprintf("%s[%d].%s", name, j, d))
					}
				}
			}
		default:
			add(diffValue(w, g))
		}
	}
	return out
}

func readSliceDiff[T comparable](want, got []T) string {
	switch {
	case got == nil:
		return "got nil, want a non-nil slice"
	case !slices.Equal(want, got):
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// checkCase reports every field in which got differs from want.
func checkCase(t *testing.T, what string, want store.Case, got *store.Case) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil, want case %s", what, want.ID)
		return
	}
	for _, d := range caseDiff(want, *got) {
		t.Errorf("%s: %s", what, d)
	}
}

// storedCase is what CaseByID should return for c at version with revs
// (nil for none): times to the microsecond in UTC.
func storedCase(c *store.Case, version int64, revs ...store.CaseRevision) store.Case {
	w := norm(*c)
	w.Version = version
	w.Revisions = []store.CaseRevision{}
	for _, r := range revs {
		w.Revisions = append(w.Revisions, norm(r))
	}
	return w
}

// listedCase is what a list should return for c at version: no revisions.
func listedCase(c *store.Case, version int64) store.Case {
	w := norm(*c)
	w.Version, w.Revisions = version, nil
	return w
}

// fullCase is a case with every field set to a value other than its zero,
// the text partly in Traditional characters, every time with nanoseconds.
func fullCase(id string) *store.Case {
	return &store.Case{
		ID: id,
		CaseContent: store.CaseContent{
			Title:        "某小學教師體罰學生案",
			Summary:      "教師張某某多次體罰學生，經調查屬實。",
			Body:         "第一段：2023年11月，張某某在課堂上罰站。\n\n第二段「引號」、<b>尖括號</b> & 符號、全角ＡＢＣ１２３。",
			SubjectName:  "張某某",
			School:       "北京市海淀區某某小學",
			District:     "海淀区",
			Stage:        "primary",
			Categories:   []int{2, 5, 10},
			Sanctions:    []store.Sanction{{Type: "demerit", Detail: "记过处分"}, {Type: "industry_ban", Detail: "禁止从事教育工作五年"}},
			IncidentDate: store.NewDate(2023, time.November, 3),
			DecisionDate: store.NewDate(2024, time.January, 15),
			Authority:    "北京市海淀区教育委员会",
		},
		CertificateNo:  "A2015110000123",
		Status:         store.CasePublished,
		PublishUntil:   store.NewDate(2026, time.January, 14),
		CreatedBy:      "editor-1",
		CreatedAt:      t0,
		UpdatedAt:      t0.Add(time.Hour + 1),
		PublishedAt:    t0.Add(2*time.Hour + 2),
		AmendedAt:      t0.Add(3*time.Hour + 3),
		WithdrawnAt:    t0.Add(4*time.Hour + 4),
		WithdrawReason: "决定已被撤销",
		ExpiredAt:      t0.Add(5*time.Hour + 5),
	}
}

// listCase is a case for the list tests: status, last update and, for a
// published one, publication time and end of disclosure (zero: none).
func listCase(id, status string, updated, published time.Time, until store.Date) *store.Case {
	return &store.Case{ID: id, CaseContent: store.CaseContent{Title: "案例 " + id, District: "朝阳区", Stage: "primary",
		Categories: []int{7}}, Status: status, PublishUntil: until, CreatedBy: "editor", CreatedAt: t0,
		UpdatedAt: updated, PublishedAt: published}
}

func createCases(t *testing.T, st store.Store, cs ...*store.Case) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, c := range cs {
			if err := tx.CreateCase(t.Context(), c); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range cs {
		if c.Version != 1 {
			t.Fatalf("CreateCase set case %s's Version to %d, want 1", c.ID, c.Version)
		}
	}
}

func caseIDs(cs []store.Case) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// testCaseRoundTrip: every field comes back as written; nil and empty
// slices both come back empty; a case with no revisions has an empty,
// non-nil Revisions from CaseByID and nil ones in a list.
func testCaseRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	full := fullCase("case-full")
	bare := &store.Case{ID: "case-bare", Status: store.CaseDraft} // every other field zero, slices nil
	empty := fullCase("case-empty")
	empty.Categories, empty.Sanctions, empty.Status = []int{}, []store.Sanction{}, store.CaseWithdrawn
	empty.CertificateNo, empty.IncidentDate, empty.PublishUntil = "", store.Date{}, store.Date{}
	createCases(t, st, full, bare, empty)

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []*store.Case{full, bare, empty} {
			got, err := r.CaseByID(t.Context(), c.ID)
			if err != nil {
				t.Fatalf("CaseByID(%s): %v", c.ID, err)
			}
			checkCase(t, "CaseByID("+c.ID+")", storedCase(c, 1), got)
		}
		for _, id := range []string{"case-none", "", "CASE-FULL"} {
			got, err := r.CaseByID(t.Context(), id)
			wantCode(t, fmt.Sprintf("CaseByID(%q)", id), err, store.ENotFound)
			if got != nil {
				t.Errorf("CaseByID(%q) returned %+v with its error", id, got)
			}
		}
		list, total, err := r.Cases(t.Context(), store.CaseFilter{})
		if err != nil || total != 3 || len(list) != 3 {
			t.Fatalf("Cases() = %d cases, total %d, %v; want 3 and 3", len(list), total, err)
		}
		for i, c := range map[int]*store.Case{0: empty, 1: full, 2: bare} { // by UpdatedAt, newest first
			checkCase(t, fmt.Sprintf("Cases()[%d]", i), listedCase(c, 1), &list[i])
		}
	})
}

// testCreateCaseConflict: a taken id is EConflict and the stored case
// stays as it was.
func testCreateCaseConflict(t *testing.T, s suite) {
	st := s.open(t)
	c := fullCase("case-1")
	createCases(t, st, c)
	other := fullCase("case-1")
	other.Title, other.Status = "另一个案例", store.CaseDraft
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.CreateCase(t.Context(), other) })
	wantCode(t, "CreateCase with a taken id", err, store.EConflict)
	got, err := st.CaseByID(t.Context(), "case-1")
	if err != nil {
		t.Fatalf("CaseByID: %v", err)
	}
	checkCase(t, "the case after a refused CreateCase", storedCase(c, 1), got)
}

// testWriteCase: a write decided from the stored version applies (all but
// the id, creator and creation time) and moves the version on; one decided
// from an older version is EConflict and changes nothing; an unknown id is
// ENotFound.
func testWriteCase(t *testing.T, s suite) {
	st := s.open(t)
	draft := &store.Case{ID: "case-1", CaseContent: store.CaseContent{Title: "草稿", Categories: []int{1}},
		Status: store.CaseDraft, CreatedBy: "editor-1", CreatedAt: t0, UpdatedAt: t0}
	createCases(t, st, draft)

	pub := fullCase("case-1")
	pub.CreatedBy, pub.CreatedAt = "someone else", t0.Add(time.Hour) // never rewritten
	update(t, st, func(tx store.Tx) error { return tx.WriteCase(t.Context(), pub, 1) })
	if pub.Version != 2 {
		t.Errorf("WriteCase set Version %d, want 2", pub.Version)
	}
	want := storedCase(pub, 2)
	want.CreatedBy, want.CreatedAt = "editor-1", micro(t0)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CaseByID(t.Context(), "case-1")
		if err != nil {
			t.Fatalf("CaseByID: %v", err)
		}
		checkCase(t, "the written case", want, got)
	})

	stale := fullCase("case-1")
	stale.Title, stale.Status = "过时的修改", store.CaseWithdrawn
	for _, from := range []int64{1, 3, 0} {
		err := failUpdate(t, st, func(tx store.Tx) error { return tx.WriteCase(t.Context(), stale, from) })
		wantCode(t, fmt.Sprintf("WriteCase from version %d (stored: 2)", from), err, store.EConflict)
	}
	missing := fullCase("case-none")
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.WriteCase(t.Context(), missing, 1) })
	wantCode(t, "WriteCase of an unknown case", err, store.ENotFound)
	got, err := st.CaseByID(t.Context(), "case-1")
	if err != nil {
		t.Fatalf("CaseByID: %v", err)
	}
	checkCase(t, "the case after refused writes", want, got)

	// Back to nil slices and zero times and dates, twice in one transaction.
	cleared := &store.Case{ID: "case-1", Status: store.CaseDraft}
	update(t, st, func(tx store.Tx) error {
		if err := tx.WriteCase(t.Context(), cleared, 2); err != nil {
			return err
		}
		return tx.WriteCase(t.Context(), cleared, 3)
	})
	want = storedCase(cleared, 4)
	want.CreatedBy, want.CreatedAt = "editor-1", micro(t0)
	got, err = st.CaseByID(t.Context(), "case-1")
	if err != nil {
		t.Fatalf("CaseByID: %v", err)
	}
	checkCase(t, "the cleared case", want, got)
}

// testWriteCaseRace: writes decided from one version on two handles at
// once (a publish racing a withdraw): exactly one applies, the others get
// EConflict, and the stored case is the winner's.
func testWriteCaseRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	createCases(t, a, fullCase("case-1"))
	const n = 8
	var (
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	write := func(i int) *store.Case {
		c := fullCase("case-1")
		c.Title = fmt.Sprint("写入 ", i)
		c.Status = []string{store.CasePublished, store.CaseWithdrawn}[i%2]
		c.UpdatedAt = t0.Add(time.Duration(i+1) * time.Minute)
		return c
	}
	for i := range n {
		st := a
		if i%4 >= 2 { // both statuses on both handles
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error { return tx.WriteCase(t.Context(), write(i), 1) })
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Errorf("writes %d and %d both applied from version 1", winner, i)
			}
			winner = i
			continue
		}
		wantCode(t, fmt.Sprintf("write %d", i), err, store.EConflict)
	}
	if winner < 0 {
		t.Fatalf("no write applied")
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		got, err := st.CaseByID(t.Context(), "case-1")
		if err != nil {
			t.Fatalf("handle %s: CaseByID: %v", name, err)
		}
		checkCase(t, "handle "+name+": the case", storedCase(write(winner), 2), got)
	}
}

// testAddCaseRevision: revisions are numbered per case from 1, in the order
// added, and keep the content they replaced (nil slices as empty ones).
func testAddCaseRevision(t *testing.T, s suite) {
	st := s.open(t)
	createCases(t, st, fullCase("case-a"), fullCase("case-b"))
	prev := fullCase("x").CaseContent
	revs := []*store.CaseRevision{
		{At: t0.Add(time.Hour + 1), Note: "更正處分日期", ActionID: 7, Previous: prev},
		{At: t0.Add(2 * time.Hour), Note: "", Previous: store.CaseContent{Title: "旧标题"}},
		{At: t0.Add(3 * time.Hour), Note: "补充说明", ActionID: 9, Previous: prev},
		{At: t0.Add(4 * time.Hour), Note: "第三次修改", ActionID: 11, Previous: store.CaseContent{Body: "旧正文\n\n第二段"}},
	}
	owner := []string{"case-a", "case-a", "case-b", "case-a"}
	wantSeq := []int{1, 2, 1, 3}
	update(t, st, func(tx store.Tx) error { return tx.AddCaseRevision(t.Context(), owner[0], revs[0]) })
	update(t, st, func(tx store.Tx) error {
		for i := 1; i < len(revs); i++ {
			if err := tx.AddCaseRevision(t.Context(), owner[i], revs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range revs {
		if r.Seq != wantSeq[i] {
			t.Errorf("revision %d of %s got Seq %d, want %d", i, owner[i], r.Seq, wantSeq[i])
		}
	}
	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.AddCaseRevision(t.Context(), "case-none", &store.CaseRevision{At: t0, Note: "x"})
	})
	wantCode(t, "AddCaseRevision of an unknown case", err, store.ENotFound)

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CaseByID(t.Context(), "case-a")
		if err != nil {
			t.Fatalf("CaseByID: %v", err)
		}
		checkCase(t, "case-a", storedCase(fullCase("case-a"), 1, *revs[0], *revs[1], *revs[3]), got)
		got, err = r.CaseByID(t.Context(), "case-b")
		if err != nil {
			t.Fatalf("CaseByID: %v", err)
		}
		checkCase(t, "case-b", storedCase(fullCase("case-b"), 1, *revs[2]), got)
		list, _, err := r.Cases(t.Context(), store.CaseFilter{})
		if err != nil {
			t.Fatalf("Cases: %v", err)
		}
		for _, c := range list {
			if c.Revisions != nil {
				t.Errorf("Cases() gave case %s with %d revisions, want nil", c.ID, len(c.Revisions))
			}
		}
	})
}

// testAddCaseRevisionRace: revisions added to one case at once, on two
// handles, all apply and take the numbers 1..n once each.
func testAddCaseRevisionRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	createCases(t, a, fullCase("case-1"))
	const n = 8
	var (
		revs  [n]store.CaseRevision
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		revs[i] = store.CaseRevision{At: t0.Add(time.Duration(i) * time.Minute), Note: fmt.Sprint("修改 ", i), ActionID: int64(i + 1)}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error { return tx.AddCaseRevision(t.Context(), "case-1", &revs[i]) })
		})
	}
	close(start)
	wg.Wait()
	bySeq := map[int]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("revision %d: %v", i, err)
			continue
		}
		if prev, dup := bySeq[revs[i].Seq]; dup {
			t.Errorf("revisions %d and %d both got Seq %d", prev, i, revs[i].Seq)
		}
		bySeq[revs[i].Seq] = i
	}
	got, err := a.CaseByID(t.Context(), "case-1")
	if err != nil {
		t.Fatalf("CaseByID: %v", err)
	}
	if len(got.Revisions) != n {
		t.Fatalf("the case has %d revisions, want %d", len(got.Revisions), n)
	}
	for j, r := range got.Revisions {
		i, ok := bySeq[j+1]
		if r.Seq != j+1 || !ok {
			t.Errorf("revision %d has Seq %d, want %d", j, r.Seq, j+1)
			continue
		}
		for _, d := range caseDiff(norm(revs[i]), r) {
			t.Errorf("revision %d: %s", r.Seq, d)
		}
	}
}

package searchtest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"ethicsportal/search"
)

// all returns the ids of every document the index shows on Today, newest
// first, reading every page.
func all(t *testing.T, idx search.Index, text string) []string {
	t.Helper()
	var ids []string
	for off := 0; ; off += 100 {
		res, err := idx.Search(t.Context(), search.Query{Text: text, Today: Today, Sort: search.SortNewest, Offset: off, Limit: 100})
		if err != nil {
			t.Fatalf("Search %q: %v", text, err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if off+100 >= res.Total {
			return ids
		}
	}
}

// visible returns the ids of docs that a search on Today shows, newest first.
func (s *suite) visible(docs []search.Document) []string {
	r := newReference(s.f, docs)
	return r.search(search.Query{Today: Today, Sort: search.SortNewest, Limit: 100}).ids()
}

func count(t *testing.T, idx search.Index) int {
	t.Helper()
	n, err := idx.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func upsert(t *testing.T, idx search.Index, docs ...search.Document) {
	t.Helper()
	if err := idx.Upsert(t.Context(), docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

// testUpsertReplaces: upserting a document again replaces it whole: its old
// words no longer find it, its new ones and its new filters do; the count
// does not change.
func testUpsertReplaces(t *testing.T, s *suite) {
	idx := s.open(t)
	docs := slices.Clone(s.docs[:20])
	upsert(t, idx, docs...)
	upsert(t, idx, docs[:5]...) // the same again: not an error
	if n := count(t, idx); n != 20 {
		t.Fatalf("Count after upserting 20 documents, 5 twice = %d, want 20", n)
	}
	d := docs[3]
	d.Title, d.Summary, d.Body = "替换后的标题甲乙丙", "替换后的摘要", "替换后的正文"
	d.District, d.Categories = "延庆区", []int{9}
	upsert(t, idx, d)
	docs[3] = d
	if n := count(t, idx); n != 20 {
		t.Fatalf("Count after replacing a document = %d, want 20", n)
	}
	if got := all(t, idx, "甲乙丙"); !slices.Equal(got, []string{d.ID}) {
		t.Fatalf("Search for the new title = %v, want [%s]", got, d.ID)
	}
	res, err := idx.Search(t.Context(), search.Query{Today: Today, District: "延庆区", Categories: []int{9}, Limit: 100})
	if err != nil || !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return h.ID == d.ID }) {
		t.Fatalf("Search by the new filters = %+v, %v; want %s among the hits", res, err, d.ID)
	}
	if res.Hits[slices.IndexFunc(res.Hits, func(h search.Hit) bool { return h.ID == d.ID })].Title != d.Title {
		t.Fatalf("the replaced document comes back with its old title")
	}
	if got, want := all(t, idx, ""), s.visible(docs); !slices.Equal(got, want) {
		t.Fatalf("after replacing: %v, want %v", got, want)
	}
}

// testDelete: deleted documents leave every search at once; unknown ids
// are not an error.
func testDelete(t *testing.T, s *suite) {
	idx := s.open(t)
	docs := slices.Clone(s.docs[:30])
	upsert(t, idx, docs...)
	gone := []string{docs[0].ID, docs[7].ID, docs[29].ID, "nosuchid00000000"}
	if err := idx.Delete(t.Context(), gone...); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	docs = slices.DeleteFunc(docs, func(d search.Document) bool { return slices.Contains(gone, d.ID) })
	if n := count(t, idx); n != 27 {
		t.Fatalf("Count after deleting 3 of 30 = %d, want 27", n)
	}
	if got, want := all(t, idx, ""), s.visible(docs); !slices.Equal(got, want) {
		t.Fatalf("after Delete: %v, want %v", got, want)
	}
	if err := idx.Delete(t.Context(), gone...); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
}

// fillWith returns a fill function putting docs in batches of 40.
func fillWith(docs []search.Document) func(put func([]search.Document) error) error {
	return func(put func([]search.Document) error) error {
		for i := 0; i < len(docs); i += 40 {
			if err := put(docs[i:min(i+40, len(docs))]); err != nil {
				return err
			}
		}
		return nil
	}
}

// testRebuild: after a rebuild the index holds exactly what fill put, and
// it can be rebuilt again, and rebuilt empty.
func testRebuild(t *testing.T, s *suite) {
	idx := s.open(t)
	a, b := s.docs[:60], s.docs[50:]
	upsert(t, idx, a...)
	for round, docs := range [][]search.Document{b, a, nil} {
		if err := idx.Rebuild(t.Context(), fillWith(docs)); err != nil {
			t.Fatalf("Rebuild %d: %v", round, err)
		}
		if n := count(t, idx); n != len(docs) {
			t.Fatalf("Count after Rebuild %d = %d, want %d", round, n, len(docs))
		}
		if got, want := all(t, idx, ""), s.visible(docs); !slices.Equal(got, want) {
			t.Fatalf("after Rebuild %d: %v, want %v", round, got, want)
		}
	}
	// The rebuilt index is writable, and searchable as any other.
	upsert(t, idx, s.docs...)
	for _, text := range []string{"体罚", "學生 家长", ""} {
		s.checkPages(t, idx, search.Query{Text: text, Today: Today, Limit: 100, Facets: true})
	}
}

// testRebuildFails: when fill fails, Rebuild returns its error and the old
// index stays whole and writable; a later rebuild succeeds.
func testRebuildFails(t *testing.T, s *suite) {
	idx := s.open(t)
	a := s.docs[:40]
	upsert(t, idx, a...)
	boom := errors.New("the store went away")
	err := idx.Rebuild(t.Context(), func(put func([]search.Document) error) error {
		if err := put(s.docs[100:]); err != nil {
			return err
		}
		return fmt.Errorf("reading cases: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Rebuild with a failing fill = %v, want it to wrap %v", err, boom)
	}
	if n := count(t, idx); n != len(a) {
		t.Fatalf("Count after a failed Rebuild = %d, want %d", n, len(a))
	}
	if got, want := all(t, idx, ""), s.visible(a); !slices.Equal(got, want) {
		t.Fatalf("after a failed Rebuild: %v, want %v", got, want)
	}
	upsert(t, idx, s.docs[40])
	if n := count(t, idx); n != len(a)+1 {
		t.Fatalf("Count after an Upsert following a failed Rebuild = %d, want %d", n, len(a)+1)
	}
	// A fill that puts nothing and fails.
	if err := idx.Rebuild(t.Context(), func(func([]search.Document) error) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Rebuild failing at once = %v, want %v", err, boom)
	}
	if err := idx.Rebuild(t.Context(), fillWith(s.docs[60:90])); err != nil {
		t.Fatalf("Rebuild after failed ones: %v", err)
	}
	if got, want := all(t, idx, ""), s.visible(s.docs[60:90]); !slices.Equal(got, want) {
		t.Fatalf("after Rebuild: %v, want %v", got, want)
	}
}

// testRebuildWritesMeanwhile: writes made while a rebuild runs reach the old
// index, visible at once, and are gone after the swap unless fill put them.
func testRebuildWritesMeanwhile(t *testing.T, s *suite) {
	idx := s.open(t)
	a, b := s.docs[:30], s.docs[30:70]
	extra := s.docs[100]
	upsert(t, idx, a...)
	err := idx.Rebuild(t.Context(), func(put func([]search.Document) error) error {
		if err := put(b[:20]); err != nil {
			return err
		}
		if err := idx.Upsert(t.Context(), extra); err != nil {
			return fmt.Errorf("upsert during Rebuild: %w", err)
		}
		if err := idx.Delete(t.Context(), a[0].ID); err != nil {
			return fmt.Errorf("delete during Rebuild: %w", err)
		}
		want := s.visible(append(slices.Clone(a[1:]), extra))
		if got := all(t, idx, ""); !slices.Equal(got, want) {
			return fmt.Errorf("during Rebuild the index shows %v, want the old one with the writes: %v", got, want)
		}
		return put(b[20:])
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if got, want := all(t, idx, ""), s.visible(b); !slices.Equal(got, want) {
		t.Fatalf("after Rebuild: %v, want %v", got, want)
	}
}

// testRebuildAtomic: searches running all through a rebuild see the old
// documents whole or the new ones whole, never a mixture: the old ones until
// Rebuild returns (fill waits for searches between its batches), the new
// ones once it has.
func testRebuildAtomic(t *testing.T, s *suite) {
	idx := s.open(t)
	a, b := s.docs[:70], s.docs[60:]
	upsert(t, idx, a...)
	oldIDs, newIDs := s.visible(a), s.visible(b)

	stop := make(chan struct{})
	searched := make(chan struct{}, 1) // a search finished
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sawOld, sawNew int
	var bad []string
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := idx.Search(t.Context(), search.Query{Today: Today, Sort: search.SortNewest, Limit: 100})
			mu.Lock()
			switch ids := hitsOf(res); {
			case err != nil:
				bad = append(bad, err.Error())
			case res.Total == len(oldIDs) && slices.Equal(ids, oldIDs[:min(100, len(oldIDs))]):
				sawOld++
			case res.Total == len(newIDs) && slices.Equal(ids, newIDs[:min(100, len(newIDs))]):
				sawNew++
			default:
				bad = append(bad, fmt.Sprintf("total %d, hits %v", res.Total, ids))
			}
			mu.Unlock()
			select {
			case searched <- struct{}{}:
			default:
			}
		}
	})
	err := idx.Rebuild(t.Context(), func(put func([]search.Document) error) error {
		for i := 0; i < len(b); i += 20 {
			if err := put(b[i:min(i+20, len(b))]); err != nil {
				return err
			}
			<-searched // let a search run between the batches
			<-searched
		}
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if len(bad) > 0 {
		t.Fatalf("%d searches during Rebuild saw neither the old index nor the new one, first: %s", len(bad), bad[0])
	}
	if sawOld == 0 {
		t.Fatalf("no search saw the old index while fill ran (and %d saw the new one)", sawNew)
	}
	if got := all(t, idx, ""); !slices.Equal(got, newIDs) {
		t.Fatalf("after Rebuild: %v, want %v", got, newIDs)
	}
}

func hitsOf(res search.Result) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

package searchtest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"

	"ethicsportal/search"
)

// TestSuiteOnReference runs the suite on an index that answers with the
// suite's own reference: it shows that the suite's checks are consistent
// and that a correct index passes them.
func TestSuiteOnReference(t *testing.T) {
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	Run(t, func(t *testing.T) search.Index { return &memIndex{f: f, docs: map[string]search.Document{}} })
}

// memIndex is a search.Index over a map, by brute force.
type memIndex struct {
	f    *search.Folder
	mu   sync.RWMutex
	docs map[string]search.Document
	ref  *reference // over docs; nil after a write
}

func (m *memIndex) Upsert(_ context.Context, docs ...search.Document) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range docs {
		m.docs[d.ID] = d
	}
	m.ref = nil
	return nil
}

func (m *memIndex) Delete(_ context.Context, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.docs, id)
	}
	m.ref = nil
	return nil
}

func (m *memIndex) Search(_ context.Context, q search.Query) (search.Result, error) {
	if q.Limit < 1 || q.Limit > 100 || q.Offset < 0 || q.Today.IsZero() ||
		!slices.Contains([]string{"", search.SortRelevance, search.SortNewest, search.SortOldest}, q.Sort) {
		return search.Result{}, errors.New("invalid query")
	}
	m.mu.Lock()
	if m.ref == nil {
		docs := slices.SortedFunc(maps.Values(m.docs), func(a, b search.Document) int {
			return compareStrings(a.ID, b.ID)
		})
		m.ref = newReference(m.f, docs)
	}
	ref := m.ref
	m.mu.Unlock()
	a := ref.search(q)
	res := search.Result{Total: len(a.docs)}
	for _, d := range a.docs[min(q.Offset, len(a.docs)):min(q.Offset+q.Limit, len(a.docs))] {
		res.Hits = append(res.Hits, search.Hit{Document: d,
			HighlightTitle: search.Highlight(m.f, d.Title, a.words), HighlightSummary: search.Highlight(m.f, d.Summary, a.words)})
	}
	if q.Facets {
		res.Facets = a.facets
	}
	return res, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *memIndex) Rebuild(_ context.Context, fill func(put func([]search.Document) error) error) error {
	next := map[string]search.Document{}
	err := fill(func(docs []search.Document) error {
		for _, d := range docs {
			next[d.ID] = d
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.docs, m.ref = next, nil
	m.mu.Unlock()
	return nil
}

func (m *memIndex) Count(context.Context) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.docs), nil
}

func (m *memIndex) Ping(context.Context) error { return nil }
func (m *memIndex) Close() error               { return nil }

// TestGenerate: the corpus has what the suite counts on.
func TestGenerate(t *testing.T) {
	docs := Generate(7, 150)
	if !slices.EqualFunc(docs, Generate(7, 150), func(a, b search.Document) bool { return diffDocs(a, b) == "" }) {
		t.Fatal("Generate is not deterministic")
	}
	ids := map[string]bool{}
	kinds := map[string]map[string]bool{"district": {}, "stage": {}, "category": {}, "sanction": {}}
	var expired, traditional, fullWidth int
	for _, d := range docs {
		if ids[d.ID] || len(d.ID) != 16 {
			t.Fatalf("id %q repeated or not 16 characters", d.ID)
		}
		ids[d.ID] = true
		kinds["district"][d.District] = true
		kinds["stage"][d.Stage] = true
		for c, n := range facetsOf([]search.Document{d}).Category {
			kinds["category"][c] = n > 0
		}
		for _, s := range d.Sanctions {
			kinds["sanction"][s.Type] = true
		}
		if !d.PublishUntil.IsZero() && d.PublishUntil.Before(Today) {
			expired++
		}
		if slices.ContainsFunc([]rune(d.Title), func(r rune) bool { return r == '師' || r == '學' || r == '課' }) {
			traditional++
		}
		if slices.ContainsFunc([]rune(d.School+d.Summary), func(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E }) {
			fullWidth++
		}
	}
	for kind, want := range map[string]int{"district": 16, "stage": 6, "category": 10, "sanction": 11} {
		if len(kinds[kind]) != want {
			t.Errorf("%d values of %s, want %d", len(kinds[kind]), kind, want)
		}
	}
	if expired == 0 || traditional < 15 || fullWidth < 10 {
		t.Errorf("%d expired, %d Traditional, %d full-width; want some of each", expired, traditional, fullWidth)
	}
}

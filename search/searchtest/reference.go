package searchtest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"ethicsportal/search"
	"ethicsportal/store"
)

// reference answers queries by the contract of search.Query, by brute
// force over the corpus: what every backend's answers are compared with.
type reference struct {
	f    *search.Folder
	docs []search.Document
	text [][]string // per document: its searchable fields in MatchText form
}

func newReference(f *search.Folder, docs []search.Document) *reference {
	r := &reference{f: f, docs: docs}
	for _, d := range docs {
		var fields []string
		for _, s := range []string{d.Title, d.Summary, d.Body, d.SubjectName, d.School, d.Authority} {
			fields = append(fields, search.MatchText(f, s))
		}
		r.text = append(r.text, fields)
	}
	return r
}

// answer is what a query must give: the matching documents in order (when
// ordered), and the facets over all of them.
type answer struct {
	docs    []search.Document
	ordered bool // false: any order of docs is right (relevance with text)
	words   []string
	facets  search.Facets
}

func (a answer) ids() []string {
	ids := make([]string, len(a.docs))
	for i, d := range a.docs {
		ids[i] = d.ID
	}
	return ids
}

func (r *reference) search(q search.Query) answer {
	a := answer{words: search.Words(r.f, q.Text)}
	for i, d := range r.docs {
		if r.filtered(d, q) && r.matches(i, a.words) {
			a.docs = append(a.docs, d)
		}
	}
	newest := func(x, y search.Document) int {
		if c := cmp.Compare(y.DecisionDate.String(), x.DecisionDate.String()); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	}
	switch q.Sort {
	case search.SortOldest:
		slices.SortFunc(a.docs, func(x, y search.Document) int {
			if c := cmp.Compare(x.DecisionDate.String(), y.DecisionDate.String()); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		})
		a.ordered = true
	case search.SortNewest:
		slices.SortFunc(a.docs, newest)
		a.ordered = true
	default:
		slices.SortFunc(a.docs, newest) // the order with no text; with text only the set counts
		a.ordered = len(a.words) == 0
	}
	a.facets = facetsOf(a.docs)
	return a
}

func (r *reference) filtered(d search.Document, q search.Query) bool {
	switch {
	case q.District != "" && d.District != q.District,
		q.Stage != "" && d.Stage != q.Stage,
		len(q.Categories) > 0 && !slices.ContainsFunc(d.Categories, func(c int) bool { return slices.Contains(q.Categories, c) }),
		len(q.Sanctions) > 0 && !slices.ContainsFunc(d.Sanctions, func(s store.Sanction) bool { return slices.Contains(q.Sanctions, s.Type) }),
		!q.From.IsZero() && d.DecisionDate.Before(q.From),
		!q.To.IsZero() && d.DecisionDate.After(q.To),
		!d.PublishUntil.IsZero() && d.PublishUntil.Before(q.Today):
		return false
	}
	return true
}

func (r *reference) matches(i int, words []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(r.text[i], func(field string) bool { return strings.Contains(field, w) }) {
			return false
		}
	}
	return true
}

func facetsOf(docs []search.Document) search.Facets {
	f := search.Facets{District: map[string]int{}, Stage: map[string]int{}, Category: map[string]int{}, Sanction: map[string]int{}}
	for _, d := range docs {
		f.District[d.District]++
		f.Stage[d.Stage]++
		for _, c := range d.Categories {
			f.Category[strconv.Itoa(c)]++
		}
		seen := map[string]bool{}
		for _, s := range d.Sanctions {
			if !seen[s.Type] { // a case with two sanctions of one type counts once
				seen[s.Type] = true
				f.Sanction[s.Type]++
			}
		}
	}
	return f
}

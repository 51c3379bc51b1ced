package bleve

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk" // registers the "cjk" analyzer
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"ethicsportal/search"
)

// baseline is Bleve used the plain way, for comparison in the benchmark: a mapping with the CJK
// analyser (bigrams) on the folded text fields, keyword fields for the filters, and
// SearchInContext with match-phrase queries, term facets and a sort by score, date and ID. It is
// what an untuned embedded index looks like; its matching is not the contract's (a one-character
// word finds nothing inside longer runs), which only makes it cheaper.
type baseline struct {
	idx blevesearch.Index
	f   *search.Folder
}

func newBaseline(t *testing.T, f *search.Folder, dir string, docs []search.Document) *baseline {
	text := mapping.NewTextFieldMapping()
	text.Analyzer = "cjk"
	text.Store = false
	kw := mapping.NewKeywordFieldMapping()
	kw.Store = false
	stored := mapping.NewTextFieldMapping()
	stored.Index = false
	date := mapping.NewTextFieldMapping()
	date.Analyzer = "keyword"
	dm := mapping.NewDocumentStaticMapping()
	for _, name := range []string{"title", "summary", "body", "subject", "school", "authority"} {
		dm.AddFieldMappingsAt(name, text)
	}
	for _, name := range []string{"district", "stage", "category", "sanction"} {
		dm.AddFieldMappingsAt(name, kw)
	}
	dm.AddFieldMappingsAt("date", date)
	dm.AddFieldMappingsAt("display", stored)
	m := mapping.NewIndexMapping()
	m.DefaultMapping = dm
	idx, err := blevesearch.New(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cpu := cpuTime(t)
	for chunk := range slices.Chunk(docs, 1000) {
		b := idx.NewBatch()
		for _, d := range chunk {
			var cats, sancs []string
			for _, c := range d.Categories {
				cats = append(cats, strconv.Itoa(c))
			}
			for _, s := range d.Sanctions {
				sancs = append(sancs, s.Type)
			}
			err := b.Index(d.ID, map[string]any{
				"title": search.MatchText(f, d.Title), "summary": search.MatchText(f, d.Summary),
				"body": search.MatchText(f, d.Body), "subject": search.MatchText(f, d.SubjectName),
				"school": search.MatchText(f, d.School), "authority": search.MatchText(f, d.Authority),
				"district": d.District, "stage": d.Stage, "category": cats, "sanction": sancs,
				"date": d.DecisionDate.String(), "display": d.Title + "\n" + d.Summary + "\n" + d.Body,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := idx.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("baseline: built %d cases in %v (CPU %v), index size %.0f MiB", len(docs),
		time.Since(start).Round(time.Millisecond), (cpuTime(t) - cpu).Round(time.Millisecond), float64(dirSize(t, dir))/(1<<20))
	return &baseline{idx: idx, f: f}
}

func (b *baseline) search(ctx context.Context, q search.Query) error {
	var must []query.Query
	for _, w := range search.Words(b.f, q.Text) {
		var any []query.Query
		for _, field := range []string{"title", "summary", "body", "subject", "school", "authority"} {
			mp := query.NewMatchPhraseQuery(w)
			mp.SetField(field)
			any = append(any, mp)
		}
		must = append(must, query.NewDisjunctionQuery(any))
	}
	term := func(field, v string) query.Query {
		t := query.NewTermQuery(v)
		t.SetField(field)
		return t
	}
	if q.District != "" {
		must = append(must, term("district", q.District))
	}
	if q.Stage != "" {
		must = append(must, term("stage", q.Stage))
	}
	if len(q.Categories) > 0 {
		var any []query.Query
		for _, c := range q.Categories {
			any = append(any, term("category", strconv.Itoa(c)))
		}
		must = append(must, query.NewDisjunctionQuery(any))
	}
	if len(q.Sanctions) > 0 {
		var any []query.Query
		for _, s := range q.Sanctions {
			any = append(any, term("sanction", s))
		}
		must = append(must, query.NewDisjunctionQuery(any))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		from, to := q.From.String(), q.To.String()
		if to == "" {
			to = "9999-12-31"
		}
		r := query.NewTermRangeInclusiveQuery(from, to, boolPtr(true), boolPtr(true))
		r.SetField("date")
		must = append(must, r)
	}
	var root query.Query = query.NewMatchAllQuery()
	if len(must) > 0 {
		root = query.NewConjunctionQuery(must)
	}
	req := blevesearch.NewSearchRequestOptions(root, q.Limit, q.Offset, false)
	req.Fields = []string{"display"}
	req.SortBy([]string{"-_score", "-date", "_id"})
	if q.Facets {
		for _, f := range []string{"district", "stage", "category", "sanction"} {
			req.AddFacet(f, blevesearch.NewFacetRequest(f, 100))
		}
	}
	_, err := b.idx.SearchInContext(ctx, req)
	return err
}

func boolPtr(b bool) *bool { return &b }

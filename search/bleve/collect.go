package bleve

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"unsafe"

	blevesearch "github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"

	"ethicsportal/search"
)

// checkEvery is how many hits the collector takes between looks at the context.
const checkEvery = 1024

// run executes p on idx. It drives the engine's searcher itself instead of using
// SearchInContext: the generic collector turns each hit's sort and facet values into strings and
// map entries, which at 100,000 hits costs more than finding them. Here one doc-value visit per
// hit gives every value the filters, facets and order need, and only the hits of the page are
// loaded.
func run(ctx context.Context, f *search.Folder, idx blevesearch.Index, p *plan) (search.Result, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return search.Result{}, err
	}
	reader, err := adv.Reader()
	if err != nil {
		return search.Result{}, err
	}
	defer reader.Close()

	opts := bsearch.SearcherOptions{Score: "none"}
	if p.order == byScore {
		opts.Score = ""
	}
	s, err := p.q.Searcher(ctx, reader, idx.Mapping(), opts)
	if err != nil {
		return search.Result{}, err
	}
	defer s.Close()
	dv, err := reader.DocValueReader([]string{fieldKeys})
	if err != nil {
		return search.Result{}, err
	}

	c := newCollector(p)
	sctx := &bsearch.SearchContext{
		DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       reader,
	}
	// Every hit is visited when anything per hit depends on its values; otherwise (relevance
	// order, no facets, no date range) only a hit that may enter the page is.
	visitAll := p.order != byScore || p.facets || p.from != 0 || p.to != 0
	n := 0
	dm, err := s.Next(sctx)
	for ; dm != nil && err == nil; dm, err = s.Next(sctx) {
		if n++; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return search.Result{}, err
			}
		}
		if !visitAll && !c.mayEnter(dm.Score) {
			c.total++
			sctx.DocumentMatchPool.Put(dm)
			continue
		}
		c.reset(dm.Score)
		if err := dv.VisitDocValues(dm.IndexInternalID, c.visit); err != nil {
			return search.Result{}, err
		}
		c.take()
		sctx.DocumentMatchPool.Put(dm)
	}
	if err != nil {
		return search.Result{}, err
	}

	res := search.Result{Total: c.total}
	if p.facets {
		res.Facets = search.Facets{
			District: c.district.result(), Stage: c.stage.result(),
			Category: c.category.result(), Sanction: c.sanction.result(),
		}
	}
	page := c.page()
	res.Hits = make([]search.Hit, 0, len(page))
	for _, e := range page {
		d, err := load(reader, e.id)
		if err != nil {
			return search.Result{}, err
		}
		res.Hits = append(res.Hits, search.Hit{
			Document:         d,
			HighlightTitle:   highlight(f, d.Title, p.words),
			HighlightSummary: highlight(f, d.Summary, p.words),
		})
	}
	return res, nil
}

// load reads the stored source of the document id.
func load(reader index.IndexReader, id string) (search.Document, error) {
	doc, err := reader.Document(id)
	if err != nil {
		return search.Document{}, err
	}
	if doc == nil {
		return search.Document{}, fmt.Errorf("document %s vanished from its snapshot", id)
	}
	var blob []byte
	doc.VisitFields(func(f index.Field) {
		if f.Name() == fieldSource {
			blob = f.Value()
		}
	})
	if blob == nil {
		return search.Document{}, fmt.Errorf("document %s has no stored source", id)
	}
	return decode(id, blob)
}

// entry is a hit that may be on the page.
type entry struct {
	score float64
	date  int32
	id    string
}

// collector counts, filters and ranks hits from their doc values.
type collector struct {
	p     *plan
	total int
	keep  int // offset+limit: how many of the best hits are kept
	hits  hits

	// The hit being visited.
	cur     entry
	idBytes []byte // valid until the next visit
	cats    [16][]byte
	ncat    int
	sancs   [16][]byte
	nsanc   int
	dist    []byte
	stg     []byte

	district, stage, category, sanction counter
}

func newCollector(p *plan) *collector {
	c := &collector{p: p, keep: p.offset + p.limit}
	c.hits.less = worse(p.order)
	if p.facets {
		c.district.init()
		c.stage.init()
		c.category.init()
		c.sanction.init()
	}
	return c
}

// mayEnter reports whether a hit scored score could make the page, before its values are read.
func (c *collector) mayEnter(score float64) bool {
	return len(c.hits.es) < c.keep || score >= c.hits.es[0].score
}

func (c *collector) reset(score float64) {
	c.cur = entry{score: score}
	c.idBytes, c.dist, c.stg = nil, nil, nil
	c.ncat, c.nsanc = 0, 0
}

// visit receives the doc values of the current hit.
func (c *collector) visit(_ string, term []byte) {
	if len(term) == 0 {
		return
	}
	v := term[1:]
	switch term[0] {
	case keyID:
		c.idBytes = v
	case keyDate:
		c.cur.date = dateNum(v)
	case keyDistrict:
		c.dist = v
	case keyStage:
		c.stg = v
	case keyCategory:
		if c.ncat < len(c.cats) {
			c.cats[c.ncat] = v
			c.ncat++
		}
	case keySanction:
		if c.nsanc < len(c.sancs) {
			c.sancs[c.nsanc] = v
			c.nsanc++
		}
	}
}

// take counts the visited hit and offers it to the page, unless the date range leaves it out.
func (c *collector) take() {
	p := c.p
	if (p.from != 0 || p.to != 0) && (c.cur.date == 0 || (p.from != 0 && c.cur.date < p.from) || (p.to != 0 && c.cur.date > p.to)) {
		return
	}
	c.total++
	if p.facets {
		if c.dist != nil {
			c.district.add(c.dist)
		}
		if c.stg != nil {
			c.stage.add(c.stg)
		}
		for _, v := range c.cats[:c.ncat] {
			c.category.add(v)
		}
		for _, v := range c.sancs[:c.nsanc] {
			c.sanction.add(v)
		}
	}
	if len(c.hits.es) < c.keep {
		c.cur.id = string(c.idBytes)
		heap.Push(&c.hits, c.cur)
		return
	}
	// Compare before copying the ID: most hits do not make the page.
	min := &c.hits.es[0]
	if !c.hits.less(*min, entry{score: c.cur.score, date: c.cur.date, id: unsafeString(c.idBytes)}) {
		return
	}
	c.cur.id = string(c.idBytes)
	*min = c.cur
	heap.Fix(&c.hits, 0)
}

// page returns the kept hits from the best, less the offset.
func (c *collector) page() []entry {
	es := slices.Clone(c.hits.es)
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case c.hits.less(b, a):
			return -1
		case c.hits.less(a, b):
			return 1
		}
		return 0
	})
	if c.p.offset >= len(es) {
		return nil
	}
	return es[c.p.offset:]
}

// worse returns the order in which a ranks below b, for the given collector order.
func worse(order int) func(a, b entry) bool {
	tie := func(a, b entry) bool {
		if a.date != b.date {
			return a.date < b.date
		}
		return a.id > b.id
	}
	switch order {
	case byScore:
		return func(a, b entry) bool {
			if a.score != b.score {
				return a.score < b.score
			}
			return tie(a, b)
		}
	case byOldest:
		return func(a, b entry) bool {
			if a.date != b.date {
				return a.date > b.date
			}
			return a.id > b.id
		}
	default:
		return tie
	}
}

// hits is a heap with the worst kept hit on top.
type hits struct {
	es   []entry
	less func(a, b entry) bool
}

func (h *hits) Len() int           { return len(h.es) }
func (h *hits) Less(i, j int) bool { return h.less(h.es[i], h.es[j]) }
func (h *hits) Swap(i, j int)      { h.es[i], h.es[j] = h.es[j], h.es[i] }
func (h *hits) Push(x any)         { h.es = append(h.es, x.(entry)) }
func (h *hits) Pop() any {
	e := h.es[len(h.es)-1]
	h.es = h.es[:len(h.es)-1]
	return e
}

// counter counts facet values. A value's count is found by a lookup that does not allocate; a
// new value costs one allocation, and there are few.
type counter struct{ m map[string]*int }

func (c *counter) init() { c.m = make(map[string]*int) }

func (c *counter) add(v []byte) {
	if n := c.m[string(v)]; n != nil {
		*n++
		return
	}
	n := 1
	c.m[string(v)] = &n
}

func (c *counter) result() map[string]int {
	r := make(map[string]int, len(c.m))
	for k, n := range c.m {
		r[k] = *n
	}
	return r
}

// unsafeString is a string view of b for a comparison that does not outlive b.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

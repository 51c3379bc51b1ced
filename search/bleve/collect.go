package bleve

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"ethicsportal/search"
)

// checkEvery is how many documents the collector takes between looks at the context.
const checkEvery = 4096

// run executes p on idx. The words are found segment by segment as bitmaps of document numbers:
// a word of up to maxGram characters is one gram, whose postings bitmap is taken whole, and
// several words intersect; a longer word intersects its grams' bitmaps and then reads their
// positions for the documents left (candidates). Filters, expiry, facets and order are then
// read from the columns of each candidate, and only the page's hits are loaded from storage.
// Without words every live document is a candidate.
func run(ctx context.Context, f *search.Folder, cc *columnCache, idx blevesearch.Index, p *plan) (search.Result, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return search.Result{}, err
	}
	reader, err := adv.Reader()
	if err != nil {
		return search.Result{}, err
	}
	defer reader.Close()
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		return search.Result{}, fmt.Errorf("unexpected index reader %T", reader)
	}
	v, err := cc.view(snap)
	if err != nil {
		return search.Result{}, err
	}
	p.resolve(cc)
	c := newCollector(p, cc)
	if p.none {
		return c.result(f, v)
	}
	cands, err := candidates(ctx, v, p)
	if err != nil {
		return search.Result{}, err
	}
	buf := make([]uint32, 256)
	n := 0
	for seg, ss := range v.segs {
		cols := v.cols[seg]
		if cands == nil {
			deleted := ss.Deleted()
			for local := range uint32(len(cols.id)) {
				if n++; n%checkEvery == 0 {
					if err := ctx.Err(); err != nil {
						return search.Result{}, err
					}
				}
				if deleted == nil || !deleted.Contains(local) {
					c.take(cols, seg, local, 0)
				}
			}
			continue
		}
		// In relevance order the candidates come by how many words their titles hold, most
		// first; otherwise all at once.
		levels := []*roaring.Bitmap{cands[seg]}
		if p.order == byScore {
			if levels, err = titleLevels(v, seg, cands[seg], p.words); err != nil {
				return search.Result{}, err
			}
		}
		for inTitle := len(levels) - 1; inTitle >= 0; inTitle-- {
			it := levels[inTitle].ManyIterator()
			for k := it.NextMany(buf); k > 0; k = it.NextMany(buf) {
				if n += k; n >= checkEvery {
					n = 0
					if err := ctx.Err(); err != nil {
						return search.Result{}, err
					}
				}
				for _, local := range buf[:k] {
					c.take(cols, seg, local, inTitle)
				}
			}
		}
	}
	return c.result(f, v)
}

// result makes the answer from what c collected: the facets and the page's hits, loaded.
func (c *collector) result(f *search.Folder, v *view) (search.Result, error) {
	p := c.p
	res := search.Result{Total: c.total}
	if p.facets {
		res.Facets = c.facets()
	}
	page := c.page()
	res.Hits = make([]search.Hit, 0, len(page))
	for _, e := range page {
		id, src, err := v.loadStored(e.seg, e.local)
		if err != nil {
			return search.Result{}, err
		}
		if id != e.id {
			// The columns and the stored fields disagree on which document this is: the
			// numbering of a segment's documents is not what its columns assume.
			return search.Result{}, fmt.Errorf("document number %d/%d holds %q, columns say %q", e.seg, e.local, id, e.id)
		}
		d, err := decode(id, src)
		if err != nil {
			return search.Result{}, err
		}
		res.Hits = append(res.Hits, search.Hit{
			Document:         d,
			HighlightTitle:   search.Highlight(f, d.Title, p.words),
			HighlightSummary: search.Highlight(f, d.Summary, p.words),
		})
	}
	return res, nil
}

// entry is a hit that may be on the page, with its sort key.
type entry struct {
	inTitle int // how many of the words the title holds (relevance order only)
	date    int32
	id      string
	seg     int
	local   uint32
}

// collector filters, counts and ranks candidate documents by their columns.
type collector struct {
	p     *plan
	cc    *columnCache
	total int
	keep  int // offset+limit: how many of the best hits are kept
	hits  []entry

	// Facet counts by interned value (district, stage, sanction) or guideline number.
	district, stage [maxInterned + 1]int
	category        [maxBits]int
	sanction        [maxBits]int
}

func newCollector(p *plan, cc *columnCache) *collector {
	c := &collector{p: p, cc: cc, keep: p.offset + p.limit}
	c.hits = make([]entry, 0, c.keep)
	return c
}

// take considers document local of segment seg, whose columns are cols and whose title holds
// inTitle of the words (relevance order only; 0 otherwise).
func (c *collector) take(cols *columns, seg int, local uint32, inTitle int) {
	p := c.p
	if u := cols.until[local]; u != 0 && u < p.today {
		return
	}
	if p.filtered {
		if (p.district != 0 && cols.district[local] != p.district) ||
			(p.stage != 0 && cols.stage[local] != p.stage) ||
			(p.cats != 0 && cols.cats[local]&p.cats == 0) ||
			(p.sancs != 0 && cols.sancs[local]&p.sancs == 0) {
			return
		}
		if d := cols.date[local]; (p.from != 0 || p.to != 0) && (d == 0 || (p.from != 0 && d < p.from) || (p.to != 0 && d > p.to)) {
			return
		}
	}
	c.total++
	if p.facets {
		c.district[cols.district[local]]++
		c.stage[cols.stage[local]]++
		for m := cols.cats[local]; m != 0; m &= m - 1 {
			c.category[bits.TrailingZeros64(m)]++
		}
		for m := cols.sancs[local]; m != 0; m &= m - 1 {
			c.sanction[bits.TrailingZeros64(m)]++
		}
	}
	e := entry{inTitle: inTitle, date: cols.date[local], id: cols.id[local], seg: seg, local: local}
	if len(c.hits) < c.keep {
		c.push(e)
		return
	}
	if min := &c.hits[0]; c.worse(min, &e) {
		*min = e
		c.down(0)
	}
}

// push adds e to the heap of kept hits (worst on top).
func (c *collector) push(e entry) {
	c.hits = append(c.hits, e)
	for i := len(c.hits) - 1; i > 0; {
		parent := (i - 1) / 2
		if !c.worse(&c.hits[i], &c.hits[parent]) {
			break
		}
		c.hits[i], c.hits[parent] = c.hits[parent], c.hits[i]
		i = parent
	}
}

// down restores the heap after the entry at i got better.
func (c *collector) down(i int) {
	n := len(c.hits)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && c.worse(&c.hits[r], &c.hits[l]) {
			w = r
		}
		if !c.worse(&c.hits[w], &c.hits[i]) {
			return
		}
		c.hits[i], c.hits[w] = c.hits[w], c.hits[i]
		i = w
	}
}

// page returns the kept hits from the best, less the offset.
func (c *collector) page() []entry {
	es := slices.Clone(c.hits)
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case c.worse(&b, &a):
			return -1
		case c.worse(&a, &b):
			return 1
		}
		return 0
	})
	if c.p.offset >= len(es) {
		return nil
	}
	return es[c.p.offset:]
}

// facets turns the counts into the result's maps, leaving out values with no document.
func (c *collector) facets() search.Facets {
	fs := search.Facets{District: map[string]int{}, Stage: map[string]int{}, Category: map[string]int{}, Sanction: map[string]int{}}
	for id, n := range c.district[1:] {
		if n > 0 {
			fs.District[c.cc.district.name(id+1)] = n
		}
	}
	for id, n := range c.stage[1:] {
		if n > 0 {
			fs.Stage[c.cc.stage.name(id+1)] = n
		}
	}
	for g, n := range c.category {
		if n > 0 {
			fs.Category[strconv.Itoa(g)] = n
		}
	}
	for id, n := range c.sanction {
		if n > 0 {
			fs.Sanction[c.cc.sanction.name(id)] = n
		}
	}
	return fs
}

// worse reports whether a ranks below b in the collector's order. Ties on the order's own key go
// to the later decision date, then to the smaller ID. (A method, not a func value, so that the
// compiler sees the entries do not escape: a func value would cost an allocation per hit.)
func (c *collector) worse(a, b *entry) bool {
	switch c.p.order {
	case byScore:
		if a.inTitle != b.inTitle {
			return a.inTitle < b.inTitle
		}
	case byOldest:
		if a.date != b.date {
			return a.date > b.date
		}
		return a.id > b.id
	}
	if a.date != b.date {
		return a.date < b.date
	}
	return a.id > b.id
}

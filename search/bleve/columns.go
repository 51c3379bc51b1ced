package bleve

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// columns hold, for every document number of one segment, the values that filters, facets and
// ordering read, as small integers and bit sets. Segments never change once written, so their
// columns are built once, from the segment's doc values, and read by every search after that:
// at 100,000 hits a doc-value visit and a map lookup per hit and value cost more than all the
// rest of a search.
type columns struct {
	id       []string // the external ID
	date     []int32  // decision date as YYYYMMDD; 0 for none
	until    []int32  // PublishUntil as YYYYMMDD; 0 for no end
	district []uint8  // interned, 0 for none
	stage    []uint8  // interned, 0 for none
	cats     []uint64 // bit c for guideline c
	sancs    []uint64 // bit i for the interned sanction type i
	title    []string // the title in match form, for ranking
}

// Limits of the interned values. The taxonomy has 16 districts, 6 stages, 10 guidelines and 11
// sanction types; a value past these limits makes the search fail rather than miscount.
const (
	maxInterned = 255 // districts and stages each (0 means none)
	maxBits     = 64  // sanction types; guideline numbers are 1..63
)

// interner gives each distinct value of a facet a small number, stable for the life of the Index.
type interner struct {
	mu    sync.RWMutex
	ids   map[string]int
	names []string
	limit int
	first int // the first number given: 1 when 0 means none, else 0
}

func newInterner(first, limit int) *interner {
	return &interner{ids: map[string]int{}, limit: limit, first: first}
}

// id returns the number of v, giving it one if it has none.
func (in *interner) id(v []byte) (int, error) {
	in.mu.RLock()
	n, ok := in.ids[string(v)]
	in.mu.RUnlock()
	if ok {
		return n, nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if n, ok := in.ids[string(v)]; ok {
		return n, nil
	}
	n = len(in.names) + in.first
	if n >= in.limit {
		return 0, fmt.Errorf("more than %d distinct values (at %q)", in.limit-in.first, v)
	}
	in.ids[string(v)] = n
	in.names = append(in.names, string(v))
	return n, nil
}

// lookup returns the number of v, if it has one.
func (in *interner) lookup(v string) (int, bool) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	n, ok := in.ids[v]
	return n, ok
}

// name returns the value numbered n.
func (in *interner) name(n int) string {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.names[n-in.first]
}

// columnCache keeps the columns of the segments in use, by segment.
type columnCache struct {
	district, stage, sanction *interner

	mu   sync.Mutex
	segs map[segment.Segment]*columns
}

func newColumnCache() *columnCache {
	return &columnCache{
		district: newInterner(1, maxInterned+1),
		stage:    newInterner(1, maxInterned+1),
		sanction: newInterner(0, maxBits),
		segs:     map[segment.Segment]*columns{},
	}
}

// view is a snapshot's segments with their columns. Documents are numbered within their segment.
type view struct {
	segs []*scorch.SegmentSnapshot
	cols []*columns
}

// view returns the columns of every segment of snap, building those it lacks, and forgets the
// columns of segments snap no longer has (merged away).
func (cc *columnCache) view(snap *scorch.IndexSnapshot) (*view, error) {
	segs := snap.Segments()
	v := &view{segs: segs, cols: make([]*columns, len(segs))}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var built bool
	for i, ss := range segs {
		seg := ss.Segment()
		c := cc.segs[seg]
		if c == nil {
			var err error
			if c, err = cc.build(seg); err != nil {
				return nil, err
			}
			cc.segs[seg] = c
			built = true
		}
		v.cols[i] = c
	}
	if built && len(cc.segs) > len(segs) {
		live := make(map[segment.Segment]bool, len(segs))
		for _, ss := range segs {
			live[ss.Segment()] = true
		}
		for seg := range cc.segs {
			if !live[seg] {
				delete(cc.segs, seg)
			}
		}
	}
	return v, nil
}

// build reads the columns of seg from its doc values.
func (cc *columnCache) build(seg segment.Segment) (*columns, error) {
	dvv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	n := int(seg.Count())
	c := &columns{
		id: make([]string, n), date: make([]int32, n), until: make([]int32, n),
		district: make([]uint8, n), stage: make([]uint8, n), cats: make([]uint64, n),
		sancs: make([]uint64, n), title: make([]string, n),
	}
	var (
		doc    int
		err    error
		dvs    segment.DocVisitState
		fields = []string{fieldKeys}
	)
	visit := func(_ string, term []byte) {
		if len(term) == 0 || err != nil {
			return
		}
		v := term[1:]
		switch term[0] {
		case keyID:
			c.id[doc] = string(v)
		case keyDate:
			c.date[doc] = dateNum(v)
		case keyUntil:
			c.until[doc] = dateNum(v)
		case keyDistrict:
			var id int
			id, err = cc.district.id(v)
			c.district[doc] = uint8(id)
		case keyStage:
			var id int
			id, err = cc.stage.id(v)
			c.stage[doc] = uint8(id)
		case keyCategory:
			n, perr := strconv.Atoi(string(v))
			if perr != nil || n < 1 || n >= maxBits {
				err = fmt.Errorf("guideline %q outside 1..%d", v, maxBits-1)
				return
			}
			c.cats[doc] |= 1 << n
		case keySanction:
			var id int
			id, err = cc.sanction.id(v)
			c.sancs[doc] |= 1 << id
		case keyTitle:
			c.title[doc] = string(v)
		}
	}
	for doc = 0; doc < n; doc++ {
		var verr error
		if dvs, verr = dvv.VisitDocValues(uint64(doc), fields, visit, dvs); verr != nil {
			return nil, fmt.Errorf("reading doc values: %w", verr)
		}
		if err != nil {
			return nil, fmt.Errorf("reading doc values: %w", err)
		}
	}
	return c, nil
}

// loadStored reads the stored source and ID of a document by its number in v.
func (v *view) loadStored(seg int, local uint32) (id string, src []byte, err error) {
	err = v.segs[seg].VisitDocument(uint64(local), func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case "_id":
			id = string(value)
		case fieldSource:
			src = append([]byte(nil), value...)
		}
		return true
	})
	return id, src, err
}

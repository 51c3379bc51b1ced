package bleve

import (
	"errors"
	"fmt"

	"ethicsportal/search"
)

// plan is a search.Query made ready to run: its words in match form and the typed values the
// collector compares with each candidate's columns.
type plan struct {
	words   []string
	order   int
	offset  int
	limit   int
	facets  bool
	today   int32 // as YYYYMMDD
	from    int32 // decision date bounds as YYYYMMDD; 0 for open
	to      int32
	request search.Query

	// Resolved against the interned values by resolve.
	filtered bool
	district uint8  // 0 for any
	stage    uint8  // 0 for any
	cats     uint64 // any of these guideline bits; 0 for any
	sancs    uint64 // any of these sanction bits; 0 for any
	none     bool   // a filter names a value no document has
}

// Orders of the collector.
const (
	byScore  = iota // words found in the title, then decision date newest first, then ID
	byNewest        // decision date newest first, then ID
	byOldest        // decision date oldest first, then ID
)

// errInvalid marks a Query the caller should not have sent.
var errInvalid = errors.New("invalid query")

// makePlan checks q and builds its plan. Words are looked up as grams (never parsed as query
// syntax); filter values are compared with the columns as typed values.
func makePlan(f *search.Folder, q search.Query) (*plan, error) {
	switch {
	case q.Today.IsZero():
		return nil, fmt.Errorf("%w: Today is required", errInvalid)
	case q.Limit < 1 || q.Limit > 100:
		return nil, fmt.Errorf("%w: Limit %d is outside 1..100", errInvalid, q.Limit)
	case q.Offset < 0:
		return nil, fmt.Errorf("%w: Offset %d is negative", errInvalid, q.Offset)
	}
	p := &plan{
		words: search.Words(f, q.Text), offset: q.Offset, limit: q.Limit, facets: q.Facets, request: q,
		today: dateNum([]byte(dateKey(q.Today))),
		from:  dateNum([]byte(dateKey(q.From))), to: dateNum([]byte(dateKey(q.To))),
	}
	switch q.Sort {
	case "", search.SortRelevance:
		p.order = byScore
		if len(p.words) == 0 {
			p.order = byNewest
		}
	case search.SortNewest:
		p.order = byNewest
	case search.SortOldest:
		p.order = byOldest
	default:
		return nil, fmt.Errorf("%w: unknown sort %q", errInvalid, q.Sort)
	}
	return p, nil
}

// resolve turns the filter values into the numbers the columns hold. A value that no indexed
// document has ever had matches nothing; it is looked up, never added.
func (p *plan) resolve(cc *columnCache) {
	q := p.request
	p.filtered = q.District != "" || q.Stage != "" || len(q.Categories) > 0 || len(q.Sanctions) > 0 ||
		p.from != 0 || p.to != 0
	if q.District != "" {
		id, ok := cc.district.lookup(q.District)
		p.district, p.none = uint8(id), p.none || !ok
	}
	if q.Stage != "" {
		id, ok := cc.stage.lookup(q.Stage)
		p.stage, p.none = uint8(id), p.none || !ok
	}
	for _, c := range q.Categories {
		if c >= 1 && c < maxBits {
			p.cats |= 1 << c
		}
	}
	if len(q.Categories) > 0 && p.cats == 0 {
		p.none = true
	}
	for _, s := range q.Sanctions {
		if id, ok := cc.sanction.lookup(s); ok {
			p.sancs |= 1 << id
		}
	}
	if len(q.Sanctions) > 0 && p.sancs == 0 {
		p.none = true
	}
}

// phraseGrams returns the phrase that finds a word longer than maxGram: the gram of maxGram
// characters at each position of w, "" (any term) where a gram is not needed. Grams every maxGram
// characters and one ending w cover every character at its fixed offset, so the phrase matches
// exactly where w occurs. Nil for a word of maxGram characters or fewer: it is a gram itself.
func phraseGrams(w string) []string {
	var starts []int // byte offset of each rune
	for i := range w {
		starts = append(starts, i)
	}
	n := len(starts)
	if n <= maxGram {
		return nil
	}
	starts = append(starts, len(w))
	grams := make([]string, n-maxGram+1)
	for p := 0; p < len(grams); p += maxGram {
		grams[p] = w[starts[p]:starts[p+maxGram]]
	}
	last := len(grams) - 1
	grams[last] = w[starts[last]:starts[last+maxGram]]
	return grams
}

package bleve

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"

	"ethicsportal/search"
)

// titleBoost weighs a word found in the title against one found elsewhere.
const titleBoost = 4

// plan is a search.Query made ready to run: the engine query and what the collector checks,
// counts and orders hit by hit.
type plan struct {
	q        query.Query
	words    []string
	hasText  bool
	from, to int32 // decision date bounds as YYYYMMDD; 0 for open
	order    int
	offset   int
	limit    int
	facets   bool
}

// Orders of the collector.
const (
	byScore  = iota // score, then decision date newest first, then ID
	byNewest        // decision date newest first, then ID
	byOldest        // decision date oldest first, then ID
)

// errInvalid marks a Query the caller should not have sent.
var errInvalid = errors.New("invalid query")

// makePlan checks q and builds its plan. Every value that reaches the engine is a term: filter
// values are prefixed keys looked up whole, never parsed.
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
		words: words(f, q.Text), offset: q.Offset, limit: q.Limit, facets: q.Facets,
		from: dateNum([]byte(dateKey(q.From))), to: dateNum([]byte(dateKey(q.To))),
	}
	p.hasText = len(p.words) > 0
	switch q.Sort {
	case "", search.SortRelevance:
		p.order = byScore
		if !p.hasText {
			p.order = byNewest
		}
	case search.SortNewest:
		p.order = byNewest
	case search.SortOldest:
		p.order = byOldest
	default:
		return nil, fmt.Errorf("%w: unknown sort %q", errInvalid, q.Sort)
	}

	var filters []query.Query
	if q.District != "" {
		filters = append(filters, keyQuery(keyDistrict, q.District))
	}
	if q.Stage != "" {
		filters = append(filters, keyQuery(keyStage, q.Stage))
	}
	if len(q.Categories) > 0 {
		any := make([]query.Query, len(q.Categories))
		for i, c := range q.Categories {
			any[i] = keyQuery(keyCategory, strconv.Itoa(c))
		}
		filters = append(filters, disjunction(any))
	}
	if len(q.Sanctions) > 0 {
		any := make([]query.Query, len(q.Sanctions))
		for i, s := range q.Sanctions {
			any[i] = keyQuery(keySanction, s)
		}
		filters = append(filters, disjunction(any))
	}

	b := query.NewBooleanQuery(nil, nil, nil)
	if p.hasText {
		must := make([]query.Query, len(p.words))
		for i, w := range p.words {
			must[i] = wordQuery(w)
		}
		b.AddMust(must...)
		// Filters do not score: the text alone ranks.
		if len(filters) > 0 {
			b.AddFilter(conjunction(filters))
		}
	} else if len(filters) > 0 {
		// Without text nothing is scored; the filters drive the search themselves, which
		// skips through their postings instead of testing every document.
		b.AddMust(filters...)
	} else {
		b.AddMust(query.NewMatchAllQuery())
	}
	// Documents whose disclosure period ended before today. The sweep deletes them, so there
	// are few such keys and the range stays cheap.
	min, max := string(keyUntil), string(keyUntil)+dateKey(q.Today)
	expired := query.NewTermRangeInclusiveQuery(min, max, boolPtr(true), boolPtr(false))
	expired.SetField(fieldKeys)
	b.AddMustNot(expired)
	p.q = b
	return p, nil
}

// wordQuery matches documents whose folded text holds w: see fieldText.
func wordQuery(w string) query.Query {
	var inText, inTitle query.Query
	switch n := utf8.RuneCountInString(w); n {
	case 1, 2:
		inText, inTitle = termQuery(fieldText, w), termQuery(fieldTitle, w)
	default:
		grams := bigrams(w)
		pt := query.NewPhraseQuery(grams, fieldText)
		ph := query.NewPhraseQuery(grams, fieldTitle)
		inText, inTitle = pt, ph
	}
	inTitle.(query.BoostableQuery).SetBoost(titleBoost)
	return disjunction([]query.Query{inText, inTitle})
}

// bigrams returns the overlapping pairs of runes of w, which has at least two.
func bigrams(w string) []string {
	var grams []string
	prev := -1
	for i := range w {
		if prev >= 0 {
			_, n := utf8.DecodeRuneInString(w[i:])
			grams = append(grams, w[prev:i+n])
		}
		prev = i
	}
	return grams
}

func termQuery(field, term string) query.Query {
	t := query.NewTermQuery(term)
	t.SetField(field)
	return t
}

func keyQuery(prefix byte, v string) query.Query {
	return termQuery(fieldKeys, string(prefix)+v)
}

func disjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func conjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

func boolPtr(b bool) *bool { return &b }

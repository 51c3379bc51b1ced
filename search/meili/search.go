package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Attributes of a document in the index.
const (
	attrID              = "id"
	attrDistrict        = "district"
	attrStage           = "stage"
	attrCategories      = "categories"
	attrSanctionTypes   = "sanction_types"
	attrDecisionDay     = "decision_day"
	attrPublishUntilDay = "publish_until_day"
)

// doc is a search.Document as the index keeps it.
type doc struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	Body         string           `json:"body"`
	SubjectName  string           `json:"subject_name"`
	School       string           `json:"school"`
	Authority    string           `json:"authority"`
	District     string           `json:"district"`
	Stage        string           `json:"stage"`
	Categories   []int            `json:"categories"`
	Sanctions    []store.Sanction `json:"sanctions"`
	DecisionDate string           `json:"decision_date"` // YYYY-MM-DD
	PublishedAt  time.Time        `json:"published_at"`
	PublishUntil string           `json:"publish_until"` // YYYY-MM-DD, "" for no end

	// For filters and sorting, never displayed.
	SanctionTypes   []string `json:"sanction_types,omitempty"`
	DecisionDay     int      `json:"decision_day,omitempty"`      // YYYYMMDD
	PublishUntilDay int      `json:"publish_until_day,omitempty"` // YYYYMMDD; noEnd for no end

	// The searchable text: MatchText form, one token per character.
	MTitle     string `json:"m_title,omitempty"`
	MSummary   string `json:"m_summary,omitempty"`
	MBody      string `json:"m_body,omitempty"`
	MSubject   string `json:"m_subject_name,omitempty"`
	MSchool    string `json:"m_school,omitempty"`
	MAuthority string `json:"m_authority,omitempty"`
}

// noEnd stands for a disclosure period with no end: later than any Today.
const noEnd = 99991231

// displayed are the attributes searches return: the document as given.
var displayed = []string{
	"id", "title", "summary", "body", "subject_name", "school", "authority", "district", "stage",
	"categories", "sanctions", "decision_date", "published_at", "publish_until",
}

// maxTotalHits bounds how far results can be paged and counted; Meilisearch
// stops counting at 1000 by default.
const maxTotalHits = 10_000_000

func settings() meilisearch.Settings {
	off := "disabled"
	return meilisearch.Settings{
		// sort first: the newest and oldest orders are by date alone. With no
		// sort (relevance), the rules rank, and ties fall to the date and the
		// id as the contract says; with no text, everything ties.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness",
			attrDecisionDay + ":desc", attrID + ":asc"},
		// The order ranks a match in the title above one in the body.
		SearchableAttributes: []string{"m_title", "m_subject_name", "m_summary", "m_school", "m_authority", "m_body"},
		DisplayedAttributes:  displayed,
		FilterableAttributes: []string{attrDistrict, attrStage, attrCategories, attrSanctionTypes, attrDecisionDay, attrPublishUntilDay},
		SortableAttributes:   []string{attrDecisionDay, attrID},
		// The tokens are ASCII letters: fix the language, so that no
		// detection picks a segmenter or normaliser that would touch them.
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{{Locales: []string{locale}, AttributePatterns: []string{"m_*"}}},
		// Phrases ignore typos and prefixes anyway; switching them off
		// saves indexing work and says that matching is exact.
		TypoTolerance: &meilisearch.TypoTolerance{Enabled: false,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{}, DisableOnAttributes: []string{}},
		PrefixSearch:       &off,
		ProximityPrecision: meilisearch.ByWord, // phrases need word positions
		Pagination:         &meilisearch.Pagination{MaxTotalHits: maxTotalHits},
		Faceting: &meilisearch.Faceting{MaxValuesPerFacet: 100,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeAlpha}},
	}
}

// locale is the language of the token attributes and of queries.
const locale = "eng"

func (ix *Index) toDoc(d search.Document) doc {
	m := func(s string) string { return tokens(search.MatchText(ix.f, s)) }
	out := doc{
		ID: d.ID, Title: d.Title, Summary: d.Summary, Body: d.Body, SubjectName: d.SubjectName,
		School: d.School, Authority: d.Authority, District: d.District, Stage: d.Stage,
		Categories: d.Categories, Sanctions: d.Sanctions, DecisionDate: d.DecisionDate.String(),
		PublishedAt: d.PublishedAt, PublishUntil: d.PublishUntil.String(),
		DecisionDay: day(d.DecisionDate), PublishUntilDay: day(d.PublishUntil),
		MTitle: m(d.Title), MSummary: m(d.Summary), MBody: m(d.Body), MSubject: m(d.SubjectName),
		MSchool: m(d.School), MAuthority: m(d.Authority),
	}
	if out.PublishUntilDay == 0 {
		out.PublishUntilDay = noEnd
	}
	for _, s := range d.Sanctions {
		if !slices.Contains(out.SanctionTypes, s.Type) {
			out.SanctionTypes = append(out.SanctionTypes, s.Type)
		}
	}
	return out
}

// day returns d as the number YYYYMMDD, 0 for the zero Date.
func day(d store.Date) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(d.String(), "-", ""))
	return n
}

func (d *doc) document() (search.Document, error) {
	out := search.Document{
		ID: d.ID, Title: d.Title, Summary: d.Summary, Body: d.Body, SubjectName: d.SubjectName,
		School: d.School, Authority: d.Authority, District: d.District, Stage: d.Stage,
		Categories: d.Categories, Sanctions: d.Sanctions, PublishedAt: d.PublishedAt,
	}
	var err error
	if out.DecisionDate, err = parseDate(d.DecisionDate); err != nil {
		return out, err
	}
	out.PublishUntil, err = parseDate(d.PublishUntil)
	return out, err
}

func parseDate(s string) (store.Date, error) {
	if s == "" {
		return store.Date{}, nil
	}
	return store.ParseDate(s)
}

// validate reports what makes q invalid, the caller's mistake.
func validate(q search.Query) error {
	switch {
	case q.Limit < 1 || q.Limit > 100:
		return fmt.Errorf("limit %d is not 1..100", q.Limit)
	case q.Offset < 0:
		return fmt.Errorf("offset %d is negative", q.Offset)
	case q.Today.IsZero():
		return errors.New("no Today")
	case q.Sort != "" && q.Sort != search.SortRelevance && q.Sort != search.SortNewest && q.Sort != search.SortOldest:
		return fmt.Errorf("unknown sort %q", q.Sort)
	}
	return nil
}

// matchesNothing reports whether a filter of q holds a value outside the
// taxonomy, which no document can have: the caller validates, so this is a
// mistake or an attack, and the answer is that nothing matches.
func matchesNothing(q search.Query) bool {
	return q.District != "" && !store.ValidDistrict(q.District) ||
		q.Stage != "" && !store.ValidStage(q.Stage) ||
		len(q.Categories) > 0 && !slices.ContainsFunc(q.Categories, store.ValidCategory) ||
		len(q.Sanctions) > 0 && !slices.ContainsFunc(q.Sanctions, store.ValidSanction)
}

// request builds the search request of q, valid and not matchesNothing.
func request(q search.Query, words []string) *meilisearch.SearchRequest {
	var f filter
	if q.District != "" {
		f.eq(attrDistrict, q.District)
	}
	if q.Stage != "" {
		f.eq(attrStage, q.Stage)
	}
	// Of several values, those outside the taxonomy cannot match; the rest
	// go into the filter.
	if cats := slices.DeleteFunc(slices.Clone(q.Categories), func(c int) bool { return !store.ValidCategory(c) }); len(cats) > 0 {
		f.inInts(attrCategories, cats)
	}
	if sans := slices.DeleteFunc(slices.Clone(q.Sanctions), func(s string) bool { return !store.ValidSanction(s) }); len(sans) > 0 {
		f.in(attrSanctionTypes, sans)
	}
	if !q.From.IsZero() {
		f.atLeast(attrDecisionDay, day(q.From))
	}
	if !q.To.IsZero() {
		f.atMost(attrDecisionDay, day(q.To))
	}
	f.atLeast(attrPublishUntilDay, day(q.Today))

	// Meilisearch counts totals exactly only when paging by page number. An
	// offset that is not a multiple of the limit reads the pages before it
	// too; the application always pages by page.
	page, perPage := int64(q.Offset/q.Limit+1), int64(q.Limit)
	if q.Offset%q.Limit != 0 {
		page, perPage = 1, int64(q.Offset+q.Limit)
	}
	req := &meilisearch.SearchRequest{
		Query:                phrases(words),
		Filter:               f.String(),
		MatchingStrategy:     meilisearch.All,
		Locales:              []string{locale},
		AttributesToRetrieve: displayed,
		Page:                 page,
		HitsPerPage:          &perPage,
	}
	switch q.Sort {
	case search.SortNewest:
		req.Sort = []string{attrDecisionDay + ":desc", attrID + ":asc"}
	case search.SortOldest:
		req.Sort = []string{attrDecisionDay + ":asc", attrID + ":asc"}
	}
	if q.Facets {
		req.Facets = []string{attrDistrict, attrStage, attrCategories, attrSanctionTypes}
	}
	return req
}

// response is the part of Meilisearch's answer that is read.
type response struct {
	Hits              []doc                     `json:"hits"`
	TotalHits         int                       `json:"totalHits"`
	FacetDistribution map[string]map[string]int `json:"facetDistribution"`
	ProcessingTimeMs  int                       `json:"processingTimeMs"`
}

// Search runs q. Every failure to get an answer, whatever the cause, wraps
// search.ErrUnavailable, except an invalid q.
func (ix *Index) Search(ctx context.Context, q search.Query) (search.Result, error) {
	res, _, err := ix.search(ctx, q)
	return res, err
}

// search is Search that also returns the time the engine says it took.
func (ix *Index) search(ctx context.Context, q search.Query) (search.Result, time.Duration, error) {
	if err := validate(q); err != nil {
		return search.Result{}, 0, fmt.Errorf("meili: search: invalid query: %w", err)
	}
	if matchesNothing(q) {
		return empty(q), 0, nil
	}
	words := search.Words(ix.f, q.Text)
	raw, err := ix.client.Index(ix.name).SearchRaw(ctx, "", request(q, words))
	if err != nil {
		return search.Result{}, 0, unavailable("search", err)
	}
	var resp response
	if err := json.Unmarshal(*raw, &resp); err != nil {
		return search.Result{}, 0, unavailable("search", fmt.Errorf("decoding the answer: %w", err))
	}
	hits := resp.Hits
	if q.Offset%q.Limit != 0 {
		hits = hits[min(q.Offset, len(hits)):]
	}
	res := search.Result{Total: resp.TotalHits, Hits: make([]search.Hit, 0, len(hits))}
	for i := range hits {
		d, err := hits[i].document()
		if err != nil {
			return search.Result{}, 0, unavailable("search", fmt.Errorf("document %s: %w", hits[i].ID, err))
		}
		res.Hits = append(res.Hits, search.Hit{
			Document:         d,
			HighlightTitle:   search.Highlight(ix.f, d.Title, words),
			HighlightSummary: search.Highlight(ix.f, d.Summary, words),
		})
	}
	if q.Facets {
		res.Facets = empty(q).Facets
		for attr, into := range map[string]map[string]int{
			attrDistrict: res.Facets.District, attrStage: res.Facets.Stage,
			attrCategories: res.Facets.Category, attrSanctionTypes: res.Facets.Sanction,
		} {
			for v, n := range resp.FacetDistribution[attr] {
				if n > 0 {
					into[v] = n
				}
			}
		}
	}
	return res, time.Duration(resp.ProcessingTimeMs) * time.Millisecond, nil
}

// empty is the answer to a query that matches nothing.
func empty(q search.Query) search.Result {
	var res search.Result
	if q.Facets {
		res.Facets = search.Facets{District: map[string]int{}, Stage: map[string]int{}, Category: map[string]int{}, Sanction: map[string]int{}}
	}
	return res
}

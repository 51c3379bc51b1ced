package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Limits of the public search (GET /api/v1/cases).
const (
	// MaxQueryRunes is the longest query text, in characters, after
	// trimming.
	MaxQueryRunes = 200
	// MaxSearchDepth is how far into a result list paging reaches:
	// page*per_page may not pass it. Deep pages cost the engine more than
	// any reader needs (a narrower query finds the case sooner), and the
	// cap keeps anyone from walking the whole index page by page.
	MaxSearchDepth = 10_000
	// DefaultPerPage is per_page when it is not given.
	DefaultPerPage = 20
	// SearchTimeout bounds one query to the index: past it the search
	// answers 503 rather than keep the reader (and a connection) waiting.
	SearchTimeout = 2 * time.Second
)

// SearchParams are the parameters of GET /api/v1/cases as they came, not
// yet checked: SearchCases validates every one. An empty value is the same
// as an absent one (an HTML form sends "district=" for "any district").
// A parameter that takes one value and was given several is refused by the
// HTTP layer before it gets here.
type SearchParams struct {
	Q          string
	District   string
	Stage      string
	Categories []string // repeatable
	Sanctions  []string // repeatable
	From, To   string   // YYYY-MM-DD, inclusive
	Sort       string   // relevance (default), newest, oldest
	Page       string   // from 1; default 1
	PerPage    string   // 1..100; default 20
}

// SearchAnswer is a page of search results as GET /api/v1/cases returns
// it. Answers are cached and shared between callers: read only.
type SearchAnswer struct {
	Total   int           `json:"total"`
	Page    int           `json:"page"`
	PerPage int           `json:"per_page"`
	Hits    []CaseSummary `json:"hits"`
	Facets  SearchFacets  `json:"facets"`

	body []byte // the answer encoded as above, made once
}

// JSON returns the answer encoded as the API sends it. The caller must not
// modify it.
func (s *SearchAnswer) JSON() []byte { return s.body }

// SearchFacets count the cases matching a search (over all pages) by
// district, stage, category (the guideline's number in decimal, "5") and
// sanction type. Values with no case are absent.
type SearchFacets struct {
	District map[string]int `json:"district"`
	Stage    map[string]int `json:"stage"`
	Category map[string]int `json:"category"`
	Sanction map[string]int `json:"sanction"`
}

// searchRequest is a validated search: the index query and the page.
type searchRequest struct {
	query   search.Query
	words   string // the words of query.Text as search matches them, space-separated
	page    int
	perPage int
}

// SearchCases searches the published cases. Every parameter is checked
// first: a value outside the taxonomy, a malformed or reversed date range,
// a page out of range or past MaxSearchDepth, or a query longer than
// MaxQueryRunes or holding control characters is EInvalid naming the
// parameter. The query text is folded (Traditional and Simplified match
// each other); words past search.MaxWords are ignored, as the index
// ignores them. The index sees only typed, validated values.
//
// Answers are cached per normalised query and publication generation, so
// a change reaching the index is seen by the next search; concurrent
// identical searches share one query to the index. EUnavailable when the
// index cannot be reached or does not answer within SearchTimeout.
func (a *App) SearchCases(ctx context.Context, p SearchParams) (*SearchAnswer, error) {
	req, err := a.parseSearch(p)
	if err != nil {
		return nil, err
	}
	req.query.Today = a.today()
	// The generation is read before the index is: an answer computed from
	// an index older than the generation it is filed under would outlive
	// the change that bumped it; filed under the older one, it is simply
	// never asked for again.
	gen, err := a.store.PublicationGeneration(ctx)
	if err != nil {
		// The index can still answer; only the cache needs the store.
		a.log.Warn("search: reading the publication generation; answering uncached", "err", err)
		return a.runSearch(ctx, req)
	}
	key := req.cacheKey(gen)
	if ans, ok := a.searchCache.Get(ctx, key); ok {
		return ans, nil
	}
	ch := a.searchFlight.DoChan(key, func() (any, error) {
		// Detached from the first caller: its going away must not fail
		// the others waiting on the same answer. runSearch bounds it.
		dctx := context.WithoutCancel(ctx)
		run := func() (*SearchAnswer, error) {
			ans, err := a.runSearch(dctx, req)
			if err == nil {
				a.searchCache.Set(dctx, key, ans)
			}
			return ans, err
		}
		if t, ok := a.searchCache.(tieredCache); ok {
			return t.compute(dctx, key, a.searchTimeout, run)
		}
		return run()
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*SearchAnswer), nil
	case <-ctx.Done():
		return nil, unavailable("the search did not finish in time; try again", ctx.Err())
	}
}

// runSearch queries the index and builds the answer.
func (a *App) runSearch(ctx context.Context, req searchRequest) (*SearchAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, a.searchTimeout)
	defer cancel()
	res, err := a.index.Search(ctx, req.query)
	if err != nil {
		// Whatever the engine's trouble (down, slow, closed), the reader
		// gets a clear 503 and the log keeps the cause.
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, unavailable("search did not answer in time; try again shortly", err)
		}
		return nil, unavailable("search is unavailable at the moment; try again shortly", err)
	}
	ans := &SearchAnswer{Total: res.Total, Page: req.page, PerPage: req.perPage, Hits: make([]CaseSummary, 0, len(res.Hits))}
	for i := range res.Hits {
		h := &res.Hits[i]
		s := a.docSummary(&h.Document)
		s.Highlight = &CaseHighlight{Title: h.HighlightTitle, Summary: h.HighlightSummary}
		ans.Hits = append(ans.Hits, s)
	}
	ans.Facets = SearchFacets{
		District: nonNil(res.Facets.District), Stage: nonNil(res.Facets.Stage),
		Category: nonNil(res.Facets.Category), Sanction: nonNil(res.Facets.Sanction),
	}
	if ans.body, err = json.Marshal(ans); err != nil {
		return nil, fmt.Errorf("app: search answer: %w", err)
	}
	return ans, nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// docSummary is the public summary of an indexed case.
func (a *App) docSummary(d *search.Document) CaseSummary {
	s := CaseSummary{
		ID: d.ID, Title: d.Title, Summary: d.Summary, SubjectName: d.SubjectName, School: d.School,
		District: d.District, Stage: d.Stage, Categories: d.Categories, Sanctions: d.Sanctions,
		DecisionDate: d.DecisionDate, PublishedAt: d.PublishedAt.UTC(), URL: a.caseURL(d.ID),
	}
	if s.Categories == nil {
		s.Categories = []int{}
	}
	if s.Sanctions == nil {
		s.Sanctions = []store.Sanction{}
	}
	return s
}

// parseSearch validates p. Parameters are checked in a fixed order, so that
// of two bad ones the same is reported every time.
func (a *App) parseSearch(p SearchParams) (searchRequest, error) {
	r := searchRequest{page: 1, perPage: DefaultPerPage}
	q := &r.query

	text := strings.TrimSpace(p.Q)
	if n := utf8.RuneCountInString(text); n > MaxQueryRunes {
		return r, store.FieldError(store.EInvalid, "q", "the query is %d characters long; at most %d are searched", n, MaxQueryRunes)
	}
	if err := checkChars("q", text, singleLine); err != nil {
		return r, err
	}
	q.Text = a.folder.Fold(text)
	r.words = strings.Join(search.Words(a.folder, q.Text), " ")

	if p.District != "" {
		// Folded first, so that 海澱區 or a full-width form names 海淀区.
		d := a.folder.Fold(p.District)
		if !store.ValidDistrict(d) {
			return r, store.FieldError(store.EInvalid, "district", "district must be one of the sixteen districts of Beijing (see /api/v1/taxonomy)")
		}
		q.District = d
	}
	if p.Stage != "" {
		if !store.ValidStage(p.Stage) {
			return r, store.FieldError(store.EInvalid, "stage", "stage must be one of the school stages (see /api/v1/taxonomy)")
		}
		q.Stage = p.Stage
	}
	for _, v := range p.Categories {
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || !store.ValidCategory(n) {
			return r, store.FieldError(store.EInvalid, "category", "category must be a number from 1 to 10, one of the Ten Guidelines")
		}
		q.Categories = append(q.Categories, n)
	}
	for _, v := range p.Sanctions {
		if v == "" {
			continue
		}
		if !store.ValidSanction(v) {
			return r, store.FieldError(store.EInvalid, "sanction", "sanction must be one of the sanction types (see /api/v1/taxonomy)")
		}
		q.Sanctions = append(q.Sanctions, v)
	}
	// Sorted and without repeats: the cache key, and so the answer, must
	// not depend on how the filters were spelled.
	slices.Sort(q.Categories)
	q.Categories = slices.Compact(q.Categories)
	slices.Sort(q.Sanctions)
	q.Sanctions = slices.Compact(q.Sanctions)

	var err error
	if q.From, err = searchDate("from", p.From); err != nil {
		return r, err
	}
	if q.To, err = searchDate("to", p.To); err != nil {
		return r, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return r, store.FieldError(store.EInvalid, "from", "from (%s) is after to (%s)", q.From, q.To)
	}

	switch p.Sort {
	case "", search.SortRelevance:
		q.Sort = search.SortRelevance
	case search.SortNewest, search.SortOldest:
		q.Sort = p.Sort
	default:
		return r, store.FieldError(store.EInvalid, "sort", "sort must be relevance, newest or oldest")
	}

	if r.page, err = searchInt("page", p.Page, 1); err != nil {
		return r, err
	}
	if r.page < 1 {
		return r, store.FieldError(store.EInvalid, "page", "page starts at 1")
	}
	if r.perPage, err = searchInt("per_page", p.PerPage, DefaultPerPage); err != nil {
		return r, err
	}
	if r.perPage < 1 || r.perPage > MaxPerPage {
		return r, store.FieldError(store.EInvalid, "per_page", "per_page is from 1 to %d", MaxPerPage)
	}
	if r.page > MaxSearchDepth/r.perPage {
		return r, store.FieldError(store.EInvalid, "page", "search results reach only the first %d cases (page %d at most with per_page %d); narrow the search instead",
			MaxSearchDepth, MaxSearchDepth/r.perPage, r.perPage)
	}
	q.Offset = (r.page - 1) * r.perPage
	q.Limit = r.perPage
	q.Facets = true
	return r, nil
}

// searchDate parses an optional YYYY-MM-DD parameter.
func searchDate(field, v string) (store.Date, error) {
	if v == "" {
		return store.Date{}, nil
	}
	d, err := store.ParseDate(v)
	if err != nil {
		return d, store.FieldError(store.EInvalid, field, "%s must be a date written YYYY-MM-DD", field)
	}
	return d, nil
}

// searchInt parses an optional whole-number parameter: decimal digits
// only, so that "+2" or " 2" is not a second spelling of 2.
func searchInt(field, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	if len(v) > 9 || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, store.FieldError(store.EInvalid, field, "%s must be a whole number", field)
	}
	n, _ := strconv.Atoi(v) // nine digits at most: always fits
	return n, nil
}

// cacheKey is the canonical form of the request (filters sorted, text as
// the words search matches, defaults filled in) with the day and the
// publication generation: two requests that mean the same search share a
// key, and a change to the published set or the date (expiry) makes a new
// one. The words go last, so no text can imitate another field.
func (r *searchRequest) cacheKey(gen int64) string {
	q := &r.query
	var b strings.Builder
	b.Grow(96 + len(q.Text))
	b.WriteString("cases:g")
	b.WriteString(strconv.FormatInt(gen, 10))
	b.WriteString("|t")
	b.WriteString(q.Today.String())
	b.WriteString("|d")
	b.WriteString(q.District)
	b.WriteString("|s")
	b.WriteString(q.Stage)
	b.WriteString("|c")
	for i, c := range q.Categories {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
	}
	b.WriteString("|x")
	b.WriteString(strings.Join(q.Sanctions, ","))
	b.WriteString("|f")
	b.WriteString(q.From.String())
	b.WriteString("|u")
	b.WriteString(q.To.String())
	b.WriteString("|o")
	b.WriteString(q.Sort)
	b.WriteString("|p")
	b.WriteString(strconv.Itoa(r.page))
	b.WriteString("|n")
	b.WriteString(strconv.Itoa(r.perPage))
	b.WriteString("|q")
	b.WriteString(r.words)
	return b.String()
}

package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// Public pages for parents and the public: the home page, the search of
// published cases and a case's own page. They call the same use cases as
// the JSON API (SearchCases, PublicCaseAnswer), so a page and the API never
// disagree about what is public or what a parameter means.

// homeNewest is how many of the newest cases the home page lists.
const homeNewest = 5

// taxonomy names the enumerations in both languages.
var taxonomy = store.DefaultTaxonomy()

// categoryName is guideline n of the Ten Guidelines, numbered, in lang.
func categoryName(n int, lang string) string {
	for _, c := range taxonomy.Categories {
		if c.ID == n {
			if lang == langEN {
				return fmt.Sprintf("%d. %s", n, c.EN)
			}
			return fmt.Sprintf("%d. %s", n, c.ZH)
		}
	}
	return strconv.Itoa(n)
}

// sanctionView is a sanction by its name in the page's language.
type sanctionView struct {
	Name, Detail string
}

// hitView is a case in a list: the home page's newest cases and search
// results. Title and Summary are HTML that the search index has escaped
// (see search.Highlight), with its matches in <mark>.
type hitView struct {
	URL          string
	Title        string // HTML: escaped, with <mark> around matches
	Summary      string // HTML: escaped, with <mark> around matches
	SubjectName  string
	School       string
	District     string
	Stage        string
	Categories   []string
	Sanctions    []sanctionView
	DecisionDate string // YYYY-MM-DD
}

// summaryRunes is how much of a summary a list of perPage cases shows:
// enough to tell cases apart, and short enough that a page of 100 results
// of the longest titles stays under the 100 KB every public page must keep
// to. The case page shows the summary whole.
func summaryRunes(perPage int) int {
	return min(80, max(30, 3000/max(perPage, 1)))
}

// shorten cuts highlighted HTML (escaped text with <mark> and </mark>, as
// search.Highlight writes it) to n visible characters, never inside an
// entity or a tag, closing an open mark, and adds an ellipsis when it cut.
func shorten(h string, n int) string {
	var b strings.Builder
	open := false
	for i, seen := 0, 0; i < len(h); {
		switch h[i] {
		case '<':
			j := strings.IndexByte(h[i:], '>')
			if j < 0 {
				j = len(h) - i - 1
			}
			tag := h[i : i+j+1]
			open = tag == "<mark>"
			b.WriteString(tag)
			i += j + 1
			continue
		}
		if seen == n {
			if open {
				b.WriteString("</mark>")
			}
			b.WriteString("…")
			return b.String()
		}
		size := 1
		if h[i] == '&' {
			if j := strings.IndexByte(h[i:], ';'); j > 0 {
				size = j + 1
			}
		} else {
			_, size = utf8.DecodeRuneInString(h[i:])
		}
		b.WriteString(h[i : i+size])
		i += size
		seen++
	}
	return b.String()
}

func newHitView(h *app.CaseSummary, lang string, keep int) hitView {
	v := hitView{
		URL: "/cases/" + url.PathEscape(h.ID), SubjectName: h.SubjectName, School: h.School,
		District: termName(taxonomy.Districts, h.District, lang), Stage: termName(taxonomy.Stages, h.Stage, lang),
		DecisionDate: h.DecisionDate.String(),
	}
	if h.Highlight != nil {
		v.Title, v.Summary = h.Highlight.Title, h.Highlight.Summary
	} else {
		v.Title, v.Summary = html.EscapeString(h.Title), html.EscapeString(h.Summary) // as search.Highlight escapes
	}
	if keep > 0 {
		v.Summary = shorten(v.Summary, keep)
	}
	for _, n := range h.Categories {
		v.Categories = append(v.Categories, categoryName(n, lang))
	}
	for _, s := range h.Sanctions {
		v.Sanctions = append(v.Sanctions, sanctionView{Name: termName(taxonomy.Sanctions, s.Type, lang), Detail: s.Detail})
	}
	return v
}

// ---- Home ----

// countRow is one line of the home page's counts, linking to the search
// it counts.
type countRow struct {
	Name  string
	Count int
	URL   string
}

type homeView struct {
	Unavailable bool // the search index did not answer: no lists, the search box stays
	Total       int
	Hits        []hitView // the newest
	Categories  []countRow
	Districts   []countRow
}

// homePage shows the search box, the newest published cases and how many
// cases each guideline and each district has, from one search of
// everything, newest first.
func (s *Server) homePage(c *fiber.Ctx) error {
	lang := pageLang(c)
	d := &homeView{}
	ans, err := s.app.SearchCases(c.UserContext(), app.SearchParams{Sort: "newest", PerPage: strconv.Itoa(homeNewest)})
	if err != nil {
		var se *store.Error
		if !errors.As(err, &se) || se.Code != store.EUnavailable {
			return err
		}
		// The home page still offers its links; the lists wait for the index.
		d.Unavailable = true
		return s.render(c, fiber.StatusOK, "home", "home.title", d)
	}
	d.Total = ans.Total
	for i := range ans.Hits {
		d.Hits = append(d.Hits, newHitView(&ans.Hits[i], lang, summaryRunes(homeNewest)))
	}
	for _, cat := range taxonomy.Categories {
		n := strconv.Itoa(cat.ID)
		d.Categories = append(d.Categories, countRow{Name: categoryName(cat.ID, lang), Count: ans.Facets.Category[n],
			URL: searchForm{Categories: []string{n}}.url(1)})
	}
	for _, t := range taxonomy.Districts {
		d.Districts = append(d.Districts, countRow{Name: termName(taxonomy.Districts, t.ID, lang), Count: ans.Facets.District[t.ID],
			URL: searchForm{District: t.ID}.url(1)})
	}
	return s.render(c, fiber.StatusOK, "home", "home.title", d)
}

// ---- Search ----

// searchForm is the search as the visitor wrote it: the API's parameters
// (API.md), which the page's address carries so that it can be shared.
type searchForm struct {
	Q, District, Stage    string
	Categories, Sanctions []string
	From, To, Sort        string
	PerPage               string
}

// values is the form as a query, without empty parameters.
func (f searchForm) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", f.Q)
	set("district", f.District)
	set("stage", f.Stage)
	for _, c := range f.Categories {
		if c != "" {
			v.Add("category", c)
		}
	}
	for _, s := range f.Sanctions {
		if s != "" {
			v.Add("sanction", s)
		}
	}
	set("from", f.From)
	set("to", f.To)
	set("sort", f.Sort)
	set("per_page", f.PerPage)
	return v
}

// url is the address of page n of the search.
func (f searchForm) url(n int) string {
	v := f.values()
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/cases"
	}
	return "/cases?" + v.Encode()
}

func without(vs []string, drop string) []string {
	var out []string
	for _, v := range vs {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}

func contains(vs []string, s string) bool {
	for _, v := range vs {
		if v == s {
			return true
		}
	}
	return false
}

// readSearchForm reads the first value of each parameter, for showing the
// form again; searchParams is what validates them.
func readSearchForm(c *fiber.Ctx) searchForm {
	args := c.Context().QueryArgs()
	one := func(k string) string { return string(args.Peek(k)) }
	f := searchForm{Q: one("q"), District: one("district"), Stage: one("stage"), From: one("from"), To: one("to"),
		Sort: one("sort"), PerPage: one("per_page")}
	for _, v := range args.PeekMulti("category") {
		f.Categories = append(f.Categories, string(v))
	}
	for _, v := range args.PeekMulti("sanction") {
		f.Sanctions = append(f.Sanctions, string(v))
	}
	return f
}

// option is one choice of a filter, with how many results have it.
type option struct {
	ID, Value, Name string
	Count           int
	ShowCount       bool // the count means something: no choice of the same filter is in force
	Selected        bool
}

// chip is a filter in force, with the address of the search without it.
type chip struct {
	Label, Remove string
}

// pageLink is one link of the paging navigation; a zero N is a gap.
type pageLink struct {
	N       int
	URL     string
	Current bool
}

type searchView struct {
	Form          searchForm
	Errors        []fieldError
	HiddenPerPage string // per_page carried on by the form, unless it was the fault

	Districts, Stages, Categories, Sanctions, Sorts []option
	Chips                                           []chip
	ClearURL                                        string

	Searched           bool // an answer came (no errors)
	Total, First, Last int
	Page, Pages        int
	Hits               []hitView
	Prev, Next         string
	Links              []pageLink
	FirstPage          string
}

// Err is the message for the field with id, or "".
func (v *searchView) Err(id string) string {
	for _, e := range v.Errors {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

// SanctionFirst is the id of the first sanction's checkbox, where an error
// about the sanctions leads.
func (v *searchView) SanctionFirst() string { return searchFieldIDs["sanction"] }

// searchFieldIDs maps each parameter to the form control its error links
// to; page and per_page have none (the form starts again at page 1), so
// their errors lead to the form as a whole.
var searchFieldIDs = map[string]string{
	"q": "q", "district": "district", "stage": "stage", "category": "category-1", "sanction": "sanction-" + taxonomy.Sanctions[0].ID,
	"from": "from", "to": "to", "sort": "sort", "page": "search-form", "per_page": "search-form",
}

// searchErrorKeys is the message for a refused parameter.
var searchErrorKeys = map[string]string{
	"q": uiKey("public.search.error.q"), "district": uiKey("public.search.error.district"), "stage": uiKey("public.search.error.stage"),
	"category": uiKey("public.search.error.category"), "sanction": uiKey("public.search.error.sanction"),
	"from": uiKey("public.search.error.from"), "to": uiKey("public.search.error.to"), "sort": uiKey("public.search.error.sort"),
	"page": uiKey("public.search.error.page"), "per_page": uiKey("public.search.error.per_page"),
}

// searchSorts are the orders of the results, with their names.
var searchSorts = []struct{ value, key string }{
	{"relevance", uiKey("public.search.sort.relevance")}, {"newest", uiKey("public.search.sort.newest")}, {"oldest", uiKey("public.search.sort.oldest")},
}

// searchErrors turns a refusal of the search's parameters into the form's
// errors, in the page's language; nil when err is not about a parameter.
func (s *Server) searchErrors(lang string, err error) []fieldError {
	var e *store.Error
	if !errors.As(err, &e) || e.Code != store.EInvalid {
		return nil
	}
	id, ok := searchFieldIDs[e.Field]
	if !ok {
		return nil
	}
	return []fieldError{{Field: id, Message: s.site.catalog.text(lang, searchErrorKeys[e.Field])}}
}

// searchPage answers GET /cases: the API's search with its parameters, as
// a page. Bad parameters give the form again with an error summary (400).
func (s *Server) searchPage(c *fiber.Ctx) error {
	lang := pageLang(c)
	d := &searchView{Form: readSearchForm(c)}
	d.HiddenPerPage = d.Form.PerPage
	p, err := searchParams(c)
	var ans *app.SearchAnswer
	if err == nil {
		ans, err = s.app.SearchCases(c.UserContext(), p)
	}
	if err != nil {
		d.Errors = s.searchErrors(lang, err)
		if d.Errors == nil {
			return err
		}
		var e *store.Error
		if errors.As(err, &e) && e.Field == "per_page" {
			d.HiddenPerPage = ""
		}
		d.options(lang, s.site.catalog, nil)
		return s.render(c, fiber.StatusBadRequest, "search", "public.search.title", d)
	}
	d.Searched = true
	d.options(lang, s.site.catalog, &ans.Facets)
	d.chips(lang, s.site.catalog)
	d.results(ans, lang)
	return s.render(c, fiber.StatusOK, "search", "public.search.title", d)
}

// options lists every filter's choices. With an answer, each choice of a
// filter not in use shows how many of the results it would keep (the
// facets count after every filter, so within a filter in use they would
// only repeat the choice made).
func (d *searchView) options(lang string, cat *catalog, facets *app.SearchFacets) {
	f := &d.Form
	var fd, fs, fc, fx map[string]int
	if facets != nil {
		fd, fs, fc, fx = facets.District, facets.Stage, facets.Category, facets.Sanction
	}
	anyOf := func(vs []string) bool {
		for _, v := range vs {
			if v != "" {
				return true
			}
		}
		return false
	}
	showD, showS := facets != nil && f.District == "", facets != nil && f.Stage == ""
	showC, showX := facets != nil && !anyOf(f.Categories), facets != nil && !anyOf(f.Sanctions)
	for _, t := range taxonomy.Districts {
		d.Districts = append(d.Districts, option{Value: t.ID, Name: termName(taxonomy.Districts, t.ID, lang),
			Count: fd[t.ID], ShowCount: showD, Selected: f.District == t.ID})
	}
	for _, t := range taxonomy.Stages {
		d.Stages = append(d.Stages, option{Value: t.ID, Name: termName(taxonomy.Stages, t.ID, lang),
			Count: fs[t.ID], ShowCount: showS, Selected: f.Stage == t.ID})
	}
	for _, cat := range taxonomy.Categories {
		n := strconv.Itoa(cat.ID)
		d.Categories = append(d.Categories, option{ID: "category-" + n, Value: n, Name: categoryName(cat.ID, lang),
			Count: fc[n], ShowCount: showC, Selected: contains(f.Categories, n)})
	}
	for _, t := range taxonomy.Sanctions {
		d.Sanctions = append(d.Sanctions, option{ID: "sanction-" + t.ID, Value: t.ID, Name: termName(taxonomy.Sanctions, t.ID, lang),
			Count: fx[t.ID], ShowCount: showX, Selected: contains(f.Sanctions, t.ID)})
	}
	for _, o := range searchSorts {
		d.Sorts = append(d.Sorts, option{Value: o.value, Name: cat.text(lang, o.key), Selected: f.Sort == o.value || (f.Sort == "" && o.value == "relevance")})
	}
}

// chips lists the filters in force, each with a link that removes it.
func (d *searchView) chips(lang string, cat *catalog) {
	f := d.Form
	add := func(key, value string, drop func(*searchForm)) {
		g := f
		g.Categories = append([]string(nil), f.Categories...)
		g.Sanctions = append([]string(nil), f.Sanctions...)
		drop(&g)
		d.Chips = append(d.Chips, chip{Label: cat.text(lang, key, value), Remove: g.url(1)})
	}
	if f.District != "" {
		add("public.search.chip.district", termName(taxonomy.Districts, f.District, lang), func(g *searchForm) { g.District = "" })
	}
	if f.Stage != "" {
		add("public.search.chip.stage", termName(taxonomy.Stages, f.Stage, lang), func(g *searchForm) { g.Stage = "" })
	}
	seen := map[string]bool{}
	for _, c := range f.Categories {
		if c == "" || seen["c"+c] {
			continue
		}
		seen["c"+c] = true
		n, _ := strconv.Atoi(c) // validated by the search
		add("public.search.chip.category", categoryName(n, lang), func(g *searchForm) { g.Categories = without(g.Categories, c) })
	}
	for _, x := range f.Sanctions {
		if x == "" || seen["s"+x] {
			continue
		}
		seen["s"+x] = true
		add("public.search.chip.sanction", termName(taxonomy.Sanctions, x, lang), func(g *searchForm) { g.Sanctions = without(g.Sanctions, x) })
	}
	v := &view{Lang: lang, cat: cat}
	if f.From != "" {
		add("public.search.chip.from", v.TDate(f.From), func(g *searchForm) { g.From = "" })
	}
	if f.To != "" {
		add("public.search.chip.to", v.TDate(f.To), func(g *searchForm) { g.To = "" })
	}
	if len(d.Chips) > 0 {
		d.ClearURL = searchForm{Q: f.Q, Sort: f.Sort, PerPage: f.PerPage}.url(1)
	}
}

// results fills the hits, the count and the paging links.
func (d *searchView) results(ans *app.SearchAnswer, lang string) {
	d.Total, d.Page = ans.Total, ans.Page
	for i := range ans.Hits {
		d.Hits = append(d.Hits, newHitView(&ans.Hits[i], lang, summaryRunes(ans.PerPage)))
	}
	if len(d.Hits) > 0 {
		d.First = (ans.Page-1)*ans.PerPage + 1
		d.Last = d.First + len(d.Hits) - 1
	}
	d.Pages = (ans.Total + ans.PerPage - 1) / ans.PerPage
	if most := app.MaxSearchDepth / ans.PerPage; d.Pages > most {
		d.Pages = most // paging reaches no further (app.MaxSearchDepth)
	}
	d.FirstPage = d.Form.url(1)
	if d.Pages <= 1 || d.Page > d.Pages {
		return
	}
	if d.Page > 1 {
		d.Prev = d.Form.url(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = d.Form.url(d.Page + 1)
	}
	// The first and last pages, and two either side of the current one.
	gap := false
	for n := 1; n <= d.Pages; n++ {
		if n == 1 || n == d.Pages || (n >= d.Page-2 && n <= d.Page+2) {
			d.Links = append(d.Links, pageLink{N: n, URL: d.Form.url(n), Current: n == d.Page})
			gap = false
		} else if !gap {
			d.Links = append(d.Links, pageLink{})
			gap = true
		}
	}
}

// ---- A case ----

type caseView struct {
	hitView
	PlainTitle   string
	PlainSummary string
	Permalink    string
	Paragraphs   [][]string // the body's paragraphs, each as its lines
	IncidentDate string
	Authority    string
	PublishedAt  time.Time
	AmendedAt    time.Time // zero when never amended
	Revisions    []app.PublicRevision
}

type withdrawnView struct {
	WithdrawnAt time.Time
	Reason      string
}

// blankLines separates the paragraphs of a case's body.
var blankLines = regexp.MustCompile(`\n[ \t\r]*\n\s*`)

// paragraphs splits plain text into paragraphs at blank lines, and each
// paragraph into its lines, so the page keeps the line breaks without
// preformatted text or inline styles.
func paragraphs(text string) [][]string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return nil
	}
	var out [][]string
	for _, p := range blankLines.Split(text, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}

// casePage answers GET /cases/{id}: the case as the API gives it, the
// withdrawal notice with 410, or the not-found page for an unknown id, a
// draft or an expired case.
func (s *Server) casePage(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "case id")
	if err != nil {
		return err
	}
	ans, err := s.app.PublicCaseAnswer(c.UserContext(), id)
	if err != nil {
		return err
	}
	lang := pageLang(c)
	if ans.Status == http.StatusGone {
		var w app.WithdrawnCase
		if err := json.Unmarshal(ans.Body, &w); err != nil {
			return fmt.Errorf("case page: %w", err)
		}
		return s.render(c, fiber.StatusGone, "case_withdrawn", "public.withdrawn.title", withdrawnView{WithdrawnAt: w.WithdrawnAt, Reason: w.Reason})
	}
	var pc app.PublicCase
	if err := json.Unmarshal(ans.Body, &pc); err != nil {
		return fmt.Errorf("case page: %w", err)
	}
	pc.Highlight = nil
	d := caseView{hitView: newHitView(&pc.CaseSummary, lang, 0), PlainTitle: pc.Title, PlainSummary: pc.Summary, Permalink: pc.URL,
		Paragraphs: paragraphs(pc.Body), IncidentDate: pc.IncidentDate.String(), Authority: pc.Authority, PublishedAt: pc.PublishedAt,
		Revisions: pc.Revisions}
	if pc.AmendedAt != nil {
		d.AmendedAt = *pc.AmendedAt
	}
	v := s.newView(c, "", d)
	v.Title = pc.Title
	v.Status = fiber.StatusOK
	return s.renderView(c, fiber.StatusOK, "case", v)
}

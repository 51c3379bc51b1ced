package search

import (
	"context"
	"errors"
	"time"

	"ethicsportal/store"
)

// Index is the full-text index of published cases. It is derived from the
// store and can always be rebuilt from it; the public search reads it.
// search/bleve (embedded) and search/meili (a Meilisearch server)
// implement it, and search/searchtest is the conformance suite both pass.
//
// Implementations fold documents and queries with the Folder they are given
// (NFC, full-width to half-width, Traditional to Simplified), so that a
// query in either script finds text in either script.
//
// Methods are safe for concurrent use. An engine that cannot be reached
// gives an error wrapping ErrUnavailable; the caller answers 503.
type Index interface {
	// Upsert adds or replaces docs (by ID) and returns once every one of
	// them is searchable, or with an error if the engine refused or failed
	// any of them. Upserting the same document twice is not an error.
	Upsert(ctx context.Context, docs ...Document) error

	// Delete removes the documents with those IDs and returns once they no
	// longer appear in any search. Unknown IDs are not an error.
	Delete(ctx context.Context, ids ...string) error

	// Search runs q. Errors: an invalid Query (a programming error: the
	// caller validates input first), or ErrUnavailable.
	Search(ctx context.Context, q Query) (Result, error)

	// Rebuild builds a new, empty index, lets fill add documents to it
	// through put, and then swaps it in for the current one atomically:
	// until Rebuild returns, searches see the old index whole; afterwards,
	// the new one whole. If fill or the build fails, the old index stays.
	// Writes (Upsert, Delete) made while a rebuild runs reach the old
	// index only, so the caller rebuilds from a store that has them.
	Rebuild(ctx context.Context, fill func(put func(docs []Document) error) error) error

	// Count returns how many documents the index holds.
	Count(ctx context.Context) (int, error)

	// Ping reports whether the engine answers.
	Ping(ctx context.Context) error

	// Close releases the index.
	Close() error
}

// ErrUnavailable is wrapped by errors of an engine that cannot be reached
// or did not answer in time.
var ErrUnavailable = errors.New("search index unavailable")

// Document is a published case as the index keeps it: its text as published
// (for display) and what search filters, sorts and counts by. The index
// folds the text for matching itself and never changes the display text.
type Document struct {
	ID           string
	Title        string
	Summary      string
	Body         string
	SubjectName  string
	School       string
	Authority    string
	District     string
	Stage        string
	Categories   []int
	Sanctions    []store.Sanction
	DecisionDate store.Date
	PublishedAt  time.Time
	// PublishUntil ends the disclosure period (zero: no end). Search leaves
	// out documents whose PublishUntil is before Query.Today, so a case
	// leaves search on the day it expires even before the sweep deletes it.
	PublishUntil store.Date
}

// Sort orders of search results.
const (
	SortRelevance = "relevance" // best match first; newest first when there is no text
	SortNewest    = "newest"    // latest decision date first
	SortOldest    = "oldest"    // earliest decision date first
)

// Query is one search. Every value has been validated by the caller
// against the taxonomy; the index never builds a filter from unchecked
// text.
//
// Matching: Text is folded and lower-cased (MatchText) and split on white
// space and punctuation into words (Words and IsWordBreak: at most MaxWords;
// later ones are not searched; punctuation is never matched); a
// document matches when each word occurs, as written (a run of characters
// in that order), in its title, summary, body, subject name, school or
// authority folded and lower-cased the same way. Empty Text matches every
// document.
//
// Filters combine with AND; the values of one repeatable filter (Categories,
// Sanctions) with OR.
type Query struct {
	Text       string
	District   string     // "" for any
	Stage      string     // "" for any
	Categories []int      // any of them; empty for any
	Sanctions  []string   // any of these sanction types; empty for any
	From, To   store.Date // decision date, inclusive; zero for open
	Today      store.Date // documents whose PublishUntil is before it are left out; required
	Sort       string     // a Sort* value; "" means SortRelevance
	Offset     int        // hits to skip, >= 0
	Limit      int        // hits to return, 1..100
	Facets     bool       // count the matching documents by district, stage, category and sanction
}

// Result is the answer to a Query. Ties in any order are broken by
// DecisionDate (newest first) and then ID, so paging is stable.
type Result struct {
	Total  int // documents matching, over all pages
	Hits   []Hit
	Facets Facets // nil unless Query.Facets
}

// Hit is one matching document with its highlights.
type Hit struct {
	Document
	// HighlightTitle and HighlightSummary are the title and summary
	// HTML-escaped, with every match of a query word wrapped in <mark> and
	// </mark> (see Highlight). Without query text they are just escaped.
	HighlightTitle   string
	HighlightSummary string
}

// Facets count the matching documents (over all pages, after every filter)
// by value: District and Stage by their IDs, Category by the guideline's
// number in decimal, Sanction by sanction type. A document with two
// categories counts once under each. Values with no document are absent.
type Facets struct {
	District map[string]int
	Stage    map[string]int
	Category map[string]int
	Sanction map[string]int
}

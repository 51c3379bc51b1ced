package bleve

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Fields of an indexed document. Documents are built by hand (Batch.IndexAdvanced), not through a
// mapping, so the analysis below is the only one there is and nothing is kept that search does
// not read.
const (
	// fieldText holds the matchable text of every searched part (title, summary, body, subject
	// name, school, authority) as grams: each character at its position and each pair of
	// adjacent characters at the position of its first. A query word of one character is a
	// term query on its unigram, of two a term query on its bigram, of more a phrase of its
	// bigrams; so a word matches exactly where it is a substring of the folded text.
	fieldText = "a"
	// fieldTitle holds the title's grams again, so that a word found in the title scores higher.
	fieldTitle = "h"
	// fieldKeys holds one keyword per filter and sort value (see the key* prefixes), indexed for
	// the filters and kept as doc values for the facets, date filters and ordering that the
	// collector reads hit by hit.
	fieldKeys = "k"
	// fieldSource is the document as published, JSON, stored only.
	fieldSource = "s"
)

// Prefixes of the terms of fieldKeys. One short field with every value is read by one doc-value
// visit per hit, where a field per value would cost a visit each.
const (
	keyID        = 'i' // the document's ID
	keyDate      = 't' // decision date, YYYYMMDD; absent when the document has none
	keyDistrict  = 'd'
	keyStage     = 'g'
	keyCategory  = 'c' // the guideline's number in decimal
	keySanction  = 'x' // a sanction type, once per document
	keyUntil     = 'u' // PublishUntil, YYYYMMDD; absent when the period has no end
	dateKeyBytes = 9   // a key letter and eight digits
)

const (
	textOptions  = index.IndexField | index.IncludeTermVectors
	keyOptions   = index.IndexField | index.DocValues | index.SkipFreqNorm
	storeOptions = index.StoreField
)

// gap separates the positions of two parts of fieldText, so no phrase spans them. Words never
// hold white space, so one free position is enough.
const gap = 1

// gramAnalyzer turns text in search.MatchText form into unigram and bigram tokens; white space
// separates without becoming a token (query words never contain it).
type gramAnalyzer struct{}

// Analyze implements analysis.Analyzer.
func (gramAnalyzer) Analyze(text []byte) analysis.TokenStream {
	n := utf8.RuneCount(text)
	stream := make(analysis.TokenStream, 0, 2*n)
	tokens := make([]analysis.Token, 0, 2*n) // one allocation for every token
	pos := 0
	prevStart := -1 // byte offset of the previous rune when it was not a space
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if unicode.IsSpace(r) {
			pos += gap
			prevStart = -1
			i += size
			continue
		}
		pos++
		if prevStart >= 0 {
			tokens = append(tokens, analysis.Token{
				Term: text[prevStart : i+size], Start: prevStart, End: i + size,
				Position: pos - 1, Type: analysis.Ideographic,
			})
			stream = append(stream, &tokens[len(tokens)-1])
		}
		tokens = append(tokens, analysis.Token{
			Term: text[i : i+size], Start: i, End: i + size, Position: pos, Type: analysis.Ideographic,
		})
		stream = append(stream, &tokens[len(tokens)-1])
		prevStart = i
		i += size
	}
	return stream
}

// keysAnalyzer makes one token of each white-space separated key, in order.
type keysAnalyzer struct{}

// Analyze implements analysis.Analyzer.
func (keysAnalyzer) Analyze(text []byte) analysis.TokenStream {
	var stream analysis.TokenStream
	pos := 0
	for len(text) > 0 {
		i := 0
		for i < len(text) && text[i] != '\n' {
			i++
		}
		if i > 0 {
			pos++
			stream = append(stream, &analysis.Token{
				Term: text[:i], Start: 0, End: i, Position: pos, Type: analysis.AlphaNumeric,
			})
		}
		if i < len(text) {
			i++
		}
		text = text[i:]
	}
	return stream
}

// source is the stored form of a search.Document: the display text as published and what a hit
// shows. Short keys keep the stored blob small; it is read only for the hits of a page.
type source struct {
	Title        string           `json:"ti"`
	Summary      string           `json:"su"`
	Body         string           `json:"bo,omitempty"`
	SubjectName  string           `json:"sn,omitempty"`
	School       string           `json:"sc,omitempty"`
	Authority    string           `json:"au,omitempty"`
	District     string           `json:"di,omitempty"`
	Stage        string           `json:"st,omitempty"`
	Categories   []int            `json:"ca,omitempty"`
	Sanctions    []store.Sanction `json:"sa,omitempty"`
	DecisionDate string           `json:"dd,omitempty"`
	PublishedAt  time.Time        `json:"pa"`
	PublishUntil string           `json:"pu,omitempty"`
}

// newDocument builds the indexed form of d. Text is put in search.MatchText form here; the
// display text is stored unchanged.
func newDocument(f *search.Folder, d search.Document) (*document.Document, error) {
	if d.ID == "" {
		return nil, fmt.Errorf("a document has no ID")
	}
	if strings.ContainsAny(d.ID, "\n") {
		return nil, fmt.Errorf("document ID %q holds a line break", d.ID)
	}
	src, err := json.Marshal(source{
		Title: d.Title, Summary: d.Summary, Body: d.Body, SubjectName: d.SubjectName,
		School: d.School, Authority: d.Authority, District: d.District, Stage: d.Stage,
		Categories: d.Categories, Sanctions: d.Sanctions, DecisionDate: d.DecisionDate.String(),
		PublishedAt: d.PublishedAt, PublishUntil: d.PublishUntil.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding document %s: %w", d.ID, err)
	}

	var text strings.Builder
	for i, part := range []string{d.Title, d.Summary, d.Body, d.SubjectName, d.School, d.Authority} {
		if i > 0 {
			text.WriteByte('\n')
		}
		text.WriteString(matchText(f, part))
	}

	doc := document.NewDocument(d.ID)
	doc.AddField(document.NewTextFieldCustom(fieldText, nil, []byte(text.String()), textOptions, gramAnalyzer{}))
	doc.AddField(document.NewTextFieldCustom(fieldTitle, nil, []byte(matchText(f, d.Title)), textOptions, gramAnalyzer{}))
	doc.AddField(document.NewTextFieldCustom(fieldKeys, nil, []byte(keys(d)), keyOptions, keysAnalyzer{}))
	doc.AddField(document.NewTextFieldWithIndexingOptions(fieldSource, nil, src, storeOptions))
	return doc, nil
}

// keys returns the terms of fieldKeys for d, one a line.
func keys(d search.Document) string {
	var b strings.Builder
	add := func(prefix byte, v string) {
		if v == "" || strings.ContainsRune(v, '\n') {
			return
		}
		b.WriteByte(prefix)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add(keyID, d.ID)
	add(keyDate, dateKey(d.DecisionDate))
	add(keyDistrict, d.District)
	add(keyStage, d.Stage)
	for _, c := range d.Categories {
		add(keyCategory, strconv.Itoa(c))
	}
	var seen []string
	for _, s := range d.Sanctions {
		if !slices.Contains(seen, s.Type) {
			seen = append(seen, s.Type)
			add(keySanction, s.Type)
		}
	}
	add(keyUntil, dateKey(d.PublishUntil))
	return b.String()
}

// dateKey formats d as YYYYMMDD, which sorts as the dates do; "" for the zero Date.
func dateKey(d store.Date) string {
	return strings.ReplaceAll(d.String(), "-", "")
}

// dateNum is the decision date as a number YYYYMMDD read from a key's digits; 0 when the digits
// are not eight.
func dateNum(digits []byte) int32 {
	if len(digits) != 8 {
		return 0
	}
	var n int32
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int32(c-'0')
	}
	return n
}

// decode turns a stored source back into the Document it was made from.
func decode(id string, blob []byte) (search.Document, error) {
	var s source
	if err := json.Unmarshal(blob, &s); err != nil {
		return search.Document{}, fmt.Errorf("decoding document %s: %w", id, err)
	}
	d := search.Document{
		ID: id, Title: s.Title, Summary: s.Summary, Body: s.Body, SubjectName: s.SubjectName,
		School: s.School, Authority: s.Authority, District: s.District, Stage: s.Stage,
		Categories: s.Categories, Sanctions: s.Sanctions, PublishedAt: s.PublishedAt,
	}
	var err error
	if s.DecisionDate != "" {
		if d.DecisionDate, err = store.ParseDate(s.DecisionDate); err != nil {
			return search.Document{}, fmt.Errorf("decoding document %s: %w", id, err)
		}
	}
	if s.PublishUntil != "" {
		if d.PublishUntil, err = store.ParseDate(s.PublishUntil); err != nil {
			return search.Document{}, fmt.Errorf("decoding document %s: %w", id, err)
		}
	}
	return d, nil
}

// matchText is search.MatchText: folded and lower-cased rune by rune.
func matchText(f *search.Folder, s string) string {
	s = f.Fold(s)
	for _, r := range s {
		if unicode.ToLower(r) != r {
			return strings.Map(unicode.ToLower, s)
		}
	}
	return s
}

// words is search.Words: the query's words in match form, without repeats, at most ten.
func words(f *search.Folder, text string) []string {
	var ws []string
	for w := range strings.FieldsSeq(matchText(f, text)) {
		if slices.Contains(ws, w) {
			continue
		}
		if len(ws) == 10 {
			break
		}
		ws = append(ws, w)
	}
	return ws
}

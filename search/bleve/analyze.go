package bleve

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	// name, school, authority) as grams of 1 to maxGram-1 characters: at each character, the
	// runs of those lengths that start there. A query word that short is one term, looked up
	// whole, so it matches exactly where it is a substring of the folded text.
	fieldText = "a"
	// fieldLong holds the grams of maxGram characters of the same text, with their positions. A
	// word of maxGram characters is one term here; a longer one is a phrase of such grams
	// (phraseGrams). Only this field keeps positions, which phrases alone read.
	fieldLong = "p"
	// fieldTitle holds the grams of 1 to maxGram characters of the title alone, which the
	// relevance order ranks by (titleLevels).
	fieldTitle = "h"
	// fieldKeys holds one keyword per value that filters, facets and ordering read (see the key*
	// prefixes), kept as doc values, from which the columns of each segment are built.
	fieldKeys = "k"
	// fieldSource is the document as published (encodeSource), stored only.
	fieldSource = "s"
)

// Prefixes of the terms of fieldKeys.
const (
	keyID       = 'i' // the document's ID
	keyDate     = 't' // decision date, YYYYMMDD; absent when the document has none
	keyDistrict = 'd'
	keyStage    = 'g'
	keyCategory = 'c' // the guideline's number in decimal
	keySanction = 'x' // a sanction type, once per document
	keyUntil    = 'u' // PublishUntil, YYYYMMDD; absent when the period has no end
	keyTitle    = 'h' // the title in match form, which relevance ranks by
)

const (
	textOptions = index.IndexField
	longOptions = index.IndexField | index.IncludeTermVectors
	// Doc values are read once per segment, when its columns are built; uncompressed and one
	// document per chunk they are read without decoding.
	keyOptions   = index.IndexField | index.DocValues | index.SkipDVCompression | index.SkipDVChunking
	storeOptions = index.StoreField
)

// gap separates the positions of two parts of fieldText, so no phrase spans them. Words never
// hold white space, so one free position is enough.
const gap = 1

// maxGram is the longest gram indexed. A query word of up to maxGram characters is one term
// lookup; a longer one is a phrase of grams of this length. Four covers most Chinese words people
// type (四字词语 included).
const maxGram = 4

// gramAnalyzer turns text in search.MatchText form into the grams of min to max characters that
// start at each character, each at the position of its first character. White space separates
// without becoming a token (query words never contain it), and no gram spans it.
//
// Tokens carry no byte offsets: highlighting does not use them, and zero offsets keep the term
// vectors (positions, read by phrase queries only) small.
type gramAnalyzer struct{ min, max int }

var (
	shortGrams = gramAnalyzer{1, maxGram - 1}
	longGrams  = gramAnalyzer{maxGram, maxGram}
	titleGrams = gramAnalyzer{1, maxGram}
)

// Analyze implements analysis.Analyzer.
func (g gramAnalyzer) Analyze(text []byte) analysis.TokenStream {
	n := utf8.RuneCount(text)
	size := (g.max - g.min + 1) * n
	stream := make(analysis.TokenStream, 0, size)
	tokens := make([]analysis.Token, 0, size) // one allocation for every token
	var starts [maxGram + 1]int               // byte offsets of the last runes of the current run
	run := 0                                  // runes in the current run
	pos := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if unicode.IsSpace(r) {
			pos += gap
			run = 0
			i += size
			continue
		}
		pos++
		starts[run%len(starts)] = i
		run++
		i += size
		// The grams that end here, each at the position of its first rune.
		for k := min(run, g.max); k >= g.min; k-- {
			tokens = append(tokens, analysis.Token{
				Term: text[starts[(run-k)%len(starts)]:i], Position: pos - k + 1, Type: analysis.Ideographic,
			})
			stream = append(stream, &tokens[len(tokens)-1])
		}
	}
	return stream
}

// keysAnalyzer makes one token of each line of its text, in order.
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

// newDocument builds the indexed form of d. Text is put in search.MatchText form here; the
// display text is stored unchanged.
func newDocument(f *search.Folder, d search.Document) (*document.Document, error) {
	if d.ID == "" {
		return nil, fmt.Errorf("a document has no ID")
	}
	// Keys are lines of fieldKeys (keysAnalyzer).
	keyed := []string{d.ID, d.District, d.Stage}
	for _, s := range d.Sanctions {
		keyed = append(keyed, s.Type)
	}
	for _, v := range keyed {
		if strings.ContainsRune(v, '\n') {
			return nil, fmt.Errorf("document %q: value %q holds a line break", d.ID, v)
		}
	}
	for _, c := range d.Categories {
		if c < 1 || c >= maxBits {
			return nil, fmt.Errorf("document %s: guideline %d outside 1..%d", d.ID, c, maxBits-1)
		}
	}
	src, err := encodeSource(d)
	if err != nil {
		return nil, fmt.Errorf("encoding document %s: %w", d.ID, err)
	}
	title := search.MatchText(f, d.Title)
	var text strings.Builder
	for i, part := range []string{d.Title, d.Summary, d.Body, d.SubjectName, d.School, d.Authority} {
		if i > 0 {
			text.WriteByte('\n')
		}
		if i == 0 {
			text.WriteString(title)
		} else {
			text.WriteString(search.MatchText(f, part))
		}
	}

	doc := document.NewDocument(d.ID)
	matchable := []byte(text.String())
	doc.AddField(document.NewTextFieldCustom(fieldText, nil, matchable, textOptions, shortGrams))
	doc.AddField(document.NewTextFieldCustom(fieldLong, nil, matchable, longOptions, longGrams))
	doc.AddField(document.NewTextFieldCustom(fieldTitle, nil, []byte(title), textOptions, titleGrams))
	doc.AddField(document.NewTextFieldCustom(fieldKeys, nil, []byte(keys(d, title)), keyOptions, keysAnalyzer{}))
	doc.AddField(document.NewTextFieldWithIndexingOptions(fieldSource, nil, src, storeOptions))
	return doc, nil
}

// keys returns the terms of fieldKeys for d, one a line.
func keys(d search.Document, title string) string {
	var b strings.Builder
	add := func(prefix byte, v string) {
		if v == "" {
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
	add(keyTitle, title) // folded: white space is single spaces, never a line break
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

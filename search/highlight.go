package search

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxWords is the most words of a query that search matches; Words drops the rest. Engines
// bound the terms of a query (Meilisearch takes ten), and a longer query is a paste, not a
// search.
const MaxWords = 10

// MatchText returns s as search compares it: folded (Fold) and lower-cased, rune by rune, so
// that "ABC", "ａｂｃ" and "abc" match alike. Documents and query words are both put in this
// form; a query word matches a document when it is a substring of the document's MatchText.
func MatchText(f *Folder, s string) string {
	return lowerRunes(f.Fold(s))
}

// lowerRunes lower-cases s with unicode.ToLower, one rune for one rune (strings.ToLower can
// change a string's length), so that alignments survive it.
func lowerRunes(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.ToLower(r) != r {
			return strings.Map(unicode.ToLower, s)
		}
		i += n
	}
	return s
}

// Words returns the words of a query as search matches them: text in MatchText form split on
// white space and on punctuation (IsWordBreak), without repeats, at most MaxWords of them, in the
// order written. Text with no words gives nil. People paste sentences, quotes and bracketed
// titles into the search box; punctuation never has to match, so 体罚。 finds what 体罚 finds and
// “体罚”，学生 is the two words 体罚 and 学生.
func Words(f *Folder, text string) []string {
	var words []string
	for w := range strings.FieldsFuncSeq(MatchText(f, text), IsWordBreak) {
		if slices.Contains(words, w) {
			continue
		}
		if len(words) == MaxWords {
			break
		}
		words = append(words, w)
	}
	return words
}

// IsWordBreak reports whether r separates the words of a query (Words): white space, Unicode
// punctuation (unicode.IsPunct: 。，、“”「」《》!?"'&; and the like) and symbols
// (unicode.IsSymbol: + = $ ^ ～ ｜ < > ` ￥ and emoji). People paste text and add operators
// out of habit (体罚+辱骂, +体罚); none of these has to match, so none may make a query miss.
// r is a rune of MatchText form.
func IsWordBreak(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// Highlight returns text HTML-escaped (as html.EscapeString does) with every occurrence of each
// word wrapped in <mark> and </mark>. Matching is on MatchText forms, so 體罰 in the text is
// marked for the word 体罚 and ＡＢ for ab, while the output keeps the characters of text.
// Overlapping and adjacent matches share one mark; a mark always begins and ends between
// characters of text, never inside an escape. Words are put in MatchText form again (Words
// gives them so already); empty words are ignored. Invalid UTF-8 in text becomes U+FFFD.
//
// A match covers every character of text that folded into it: a Traditional phrase that
// converts as a whole is marked whole when the match touches any part of its conversion.
func Highlight(f *Folder, text string, words []string) string {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	var folded *alignedText
	var marks []span
	for _, w := range words {
		w = MatchText(f, w)
		if w == "" {
			continue
		}
		if folded == nil {
			if MatchText(f, text) == text {
				// Already folded, as most Simplified text is: every rune is its own source, and
				// the walk through the folding steps can be skipped.
				folded = identity(text)
			} else {
				folded = alignFold(f, text)
			}
		}
		for i := 0; ; {
			j := strings.Index(folded.text[i:], w)
			if j < 0 {
				break
			}
			i += j
			marks = append(marks, folded.source(i, i+len(w)))
			_, n := utf8.DecodeRuneInString(folded.text[i:])
			i += n // the next match may overlap this one
		}
	}
	if len(marks) == 0 {
		return html.EscapeString(text)
	}
	slices.SortFunc(marks, func(a, b span) int { return a.from - b.from })
	var b strings.Builder
	b.Grow(len(text) + len(marks)*len("<mark></mark>") + 16)
	done := 0
	for k := 0; k < len(marks); {
		from, to := marks[k].from, marks[k].to
		for k++; k < len(marks) && marks[k].from <= to; k++ {
			to = max(to, marks[k].to)
		}
		b.WriteString(html.EscapeString(text[done:from]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[from:to]))
		b.WriteString("</mark>")
		done = to
	}
	b.WriteString(html.EscapeString(text[done:]))
	return b.String()
}

// span is a byte range [from, to) of the original text.
type span struct{ from, to int }

func (s span) union(o span) span { return span{min(s.from, o.from), max(s.to, o.to)} }

// alignedText is text in MatchText form with, for each of its runes, the range of the original
// text it came from.
type alignedText struct {
	text   string
	starts []int  // byte offset in text of each rune
	spans  []span // source range of each rune
}

// source returns the range of the original text that the bytes [i, j) of a.text came from. i and
// j must be rune boundaries of a.text with i < j.
func (a *alignedText) source(i, j int) span {
	first, _ := slices.BinarySearch(a.starts, i)
	last, _ := slices.BinarySearch(a.starts, j)
	s := a.spans[first]
	for _, o := range a.spans[first+1 : last] {
		s = s.union(o)
	}
	return s
}

// alignBuilder accumulates the output of one step of folding.
type alignBuilder struct {
	b      strings.Builder
	starts []int
	spans  []span
}

func (ab *alignBuilder) emit(s string, from span) {
	for _, r := range s {
		ab.starts = append(ab.starts, ab.b.Len())
		ab.spans = append(ab.spans, from)
		ab.b.WriteRune(r)
	}
}

func (ab *alignBuilder) done() *alignedText {
	return &alignedText{text: ab.b.String(), starts: ab.starts, spans: ab.spans}
}

// rewrite applies one step of folding to a: step is called with a.text and calls emit, in
// order, for non-empty, non-overlapping byte ranges [i, j) of it on rune boundaries, with what
// each range becomes; a range it skips is dropped. Each rune of the output keeps the union of
// the source ranges of the runes it replaced. A step that changes nothing returns a itself.
func (a *alignedText) rewrite(step func(s string, emit func(i, j int, out string))) *alignedText {
	var ab *alignBuilder // nil while the output is a prefix of a.text, as it is
	same := 0            // while ab is nil: the output so far is a.text[:same]
	r := 0               // the rune of a that the next range starts at or after
	step(a.text, func(i, j int, out string) {
		if ab == nil {
			if i == same && out == a.text[i:j] {
				same = j
				return
			}
			k, _ := slices.BinarySearch(a.starts, same)
			ab = &alignBuilder{
				starts: append(make([]int, 0, len(a.starts)), a.starts[:k]...),
				spans:  append(make([]span, 0, len(a.spans)), a.spans[:k]...),
			}
			ab.b.Grow(len(a.text))
			ab.b.WriteString(a.text[:same])
			r = k
		}
		for r < len(a.starts) && a.starts[r] < i {
			r++
		}
		from := a.spans[r]
		for r < len(a.starts) && a.starts[r] < j {
			from = from.union(a.spans[r])
			r++
		}
		ab.emit(out, from)
	})
	if ab != nil {
		return ab.done()
	}
	if same == len(a.text) {
		return a
	}
	k, _ := slices.BinarySearch(a.starts, same)
	return &alignedText{text: a.text[:same], starts: a.starts[:k], spans: a.spans[:k]}
}

// identity is the alignment of text that folding leaves as it is.
func identity(text string) *alignedText {
	a := &alignedText{text: text, starts: make([]int, 0, len(text)/2), spans: make([]span, 0, len(text)/2)}
	for i, r := range text {
		a.starts = append(a.starts, i)
		a.spans = append(a.spans, span{i, i + utf8.RuneLen(r)})
	}
	return a
}

// alignFold computes MatchText(f, text) for valid UTF-8 text, step by step as Fold does, keeping
// for each rune of the result the range of text it came from. TestAlignFold and FuzzHighlight
// hold its text to MatchText.
func alignFold(f *Folder, text string) *alignedText {
	// Full-width to half-width, rune by rune.
	var ab alignBuilder
	for i, r := range text {
		n := utf8.RuneLen(r)
		ab.emit(foldWidth(text[i:i+n]), span{i, i + n})
	}
	a := ab.done()
	// NFC, one normalisation segment at a time: segments normalise independently.
	if !norm.NFC.IsNormalString(a.text) {
		a = a.rewrite(func(s string, emit func(i, j int, out string)) {
			for i := 0; i < len(s); {
				n := norm.NFC.NextBoundaryInString(s[i:], true)
				emit(i, i+n, norm.NFC.String(s[i:i+n]))
				i += n
			}
		})
	}
	// Traditional to Simplified, pass by pass as Fold, each key to its value.
	if !isASCII(a.text) {
		for range maxT2SPasses {
			before := a.text
			for _, group := range f.t2s.DictChains {
				a = a.rewrite(func(s string, emit func(i, j int, out string)) {
					for i := 0; i < len(s); {
						n, value := t2sMatch(group, s, i)
						emit(i, i+n, value)
						i += n
					}
				})
			}
			if a.text == before {
				break
			}
		}
	}
	// White space runs to one space, trimmed; then lower case, rune by rune.
	return a.rewrite(func(s string, emit func(i, j int, out string)) {
		space := -1 // start of the pending run of white space
		for i, r := range s {
			n := utf8.RuneLen(r)
			if unicode.IsSpace(r) {
				if space < 0 {
					space = i
				}
				continue
			}
			if space >= 0 {
				if space > 0 {
					emit(space, i, " ")
				}
				space = -1
			}
			if l := unicode.ToLower(r); l != r {
				emit(i, i+n, string(l))
			} else {
				emit(i, i+n, s[i:i+n])
			}
		}
	})
}

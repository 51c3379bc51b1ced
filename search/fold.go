package search

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// maxT2SPasses bounds the passes of t2s in Fold. One pass is not idempotent (t2s maps 薴 to 苧 and
// 苧 to 苎), and folding must be, or text folded twice would stop matching text folded once.
// The only chain in the character dictionary is two steps long; the spare passes are for phrases
// that form anew across converted characters. TestFoldIdempotentOverDictionary and FuzzFold check.
const maxT2SPasses = 4

// t2sWindow is the longest dictionary key, in runes, that opencc's Convert will match; Fold keeps
// the same limit so that its output is exactly opencc's.
const t2sWindow = 10

// Folder folds Chinese text for matching: Unicode NFC, full-width ASCII and the ideographic space
// to half-width, Traditional to Simplified (OpenCC t2s), and runs of white space to one space,
// trimmed. Safe for concurrent use. Build one at start-up and share it: loading the dictionaries
// costs milliseconds.
//
// The t2s step is applied until the text stops changing, so Fold(Fold(s)) == Fold(s) for every s.
// Invalid UTF-8 is replaced by U+FFFD first, so the result is always valid UTF-8.
type Folder struct {
	// t2s is read only after NewFolder returns: the dictionaries are double-array tries that
	// lookups never modify, which is what makes Fold safe for concurrent use without a lock.
	t2s *opencc.OpenCC
}

// NewFolder loads the OpenCC t2s dictionaries (embedded in the binary; no files are read).
func NewFolder() (*Folder, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, fmt.Errorf("search: loading OpenCC t2s: %w", err)
	}
	return &Folder{t2s: cc}, nil
}

// Fold returns the folded form of s. Text that is already folded is returned without allocating.
func (f *Folder) Fold(s string) string {
	if isASCII(s) {
		// Nothing but white space can change in ASCII: no full-width forms, no combining
		// marks, no Han. Names and numbers take this path.
		return foldSpace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// Width before NFC: "Ｅ\u0301" has no composed form, but "E\u0301" does.
	s = foldWidth(s)
	s = norm.NFC.String(s)
	for range maxT2SPasses {
		t, changed := f.convert(s)
		if !changed {
			break
		}
		s = t
	}
	return foldSpace(s)
}

// convert is one pass of opencc's Convert over the same dictionaries, with the same matching rule:
// for each conversion chain in turn, at each position the first dictionary of the chain with any
// match wins, and within it the longest key (up to t2sWindow runes); unmatched runes are copied.
// opencc's own Convert allocates a map and several strings per rune; walking the tries directly
// is an order of magnitude faster, and TestConvertMatchesOpenCC and FuzzFold hold it to the same
// output. s must be valid UTF-8. changed reports whether the result differs from s.
func (f *Folder) convert(s string) (_ string, changed bool) {
	for _, group := range f.t2s.DictChains {
		var out []byte // nil until the first replacement, so unchanged text costs no allocation
		for i := 0; i < len(s); {
			keyLen, value := t2sMatch(group, s, i)
			if out == nil && value != s[i:i+keyLen] {
				out = make([]byte, i, len(s)+8)
				copy(out, s[:i])
			}
			if out != nil {
				out = append(out, value...)
			}
			i += keyLen
		}
		if out != nil {
			if t := string(out); t != s {
				s, changed = t, true
			}
		}
	}
	return s, changed
}

// t2sMatch is one step of a conversion chain at byte i of s: the first dictionary of the group
// with any match wins, and within it the longest key (up to t2sWindow runes). It returns the
// key's length in bytes and its replacement; an unmatched rune is its own replacement.
func t2sMatch(group *opencc.Group, s string, i int) (keyLen int, value string) {
	var b [1]byte
	for _, d := range group.Dicts {
		from, runes := 0, 0
		for k := i; k < len(s); k++ {
			if utf8.RuneStart(s[k]) {
				if runes == t2sWindow {
					break
				}
				runes++
			}
			b[0] = s[k]
			to, err := d.Trie.Jump(b[:], from)
			if err != nil {
				break
			}
			if v, err := d.Trie.Value(to); err == nil {
				keyLen, value = k+1-i, d.Values[v][0]
			}
			from = to
		}
		if keyLen > 0 {
			return keyLen, value
		}
	}
	_, keyLen = utf8.DecodeRuneInString(s[i:])
	return keyLen, s[i : i+keyLen]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldWidth maps full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic space to a space.
// x/text/width.Narrow is not used because it also narrows CJK punctuation and kana (。 to ｡),
// which would change the text people read in results.
func foldWidth(s string) string {
	i := strings.IndexFunc(s, isWide)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFF01 - '!'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWide(r rune) bool { return r == '\u3000' || (r >= '\uFF01' && r <= '\uFF5E') }

// foldSpace turns each run of Unicode white space into one ASCII space and trims both ends.
func foldSpace(s string) string {
	if !needsSpaceFold(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsSpaceFold reports whether s has white space other than single ASCII spaces between
// non-space runes.
func needsSpaceFold(s string) bool {
	prevSpace := true // a space at the start must be trimmed
	for _, r := range s {
		if !unicode.IsSpace(r) {
			prevSpace = false
			continue
		}
		if r != ' ' || prevSpace {
			return true
		}
		prevSpace = true
	}
	return prevSpace && s != ""
}

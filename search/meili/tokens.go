package meili

import (
	"strings"
	"unicode/utf8"
)

// Meilisearch segments Chinese into words (jieba), and a query word matches
// only whole words of the document: 学生 does not find 大学生, segmented as
// one word. The search contract is substring matching. So the index gets,
// beside the display text, the text in search.MatchText form written as one
// token per character, and a query word becomes a phrase of the tokens of
// its characters: a phrase matches where its tokens stand at consecutive
// positions, which is where the word occurs in the text.
//
// ASCII lower-case letters and digits are their own tokens. Every other
// character, Han or punctuation or space, becomes "q" followed by its code
// point in hexadecimal written with the letters a-p (体, U+4F53, is
// "qepfd"): plain ASCII letters that Meilisearch's tokenizer passes through
// as they are, never splits, normalises or takes for a separator, and that
// no single-character token can equal. Keeping punctuation and spaces as
// tokens keeps positions exact: 罚学 does not match "体罚 学生", where a
// space stands between 罚 and 学.

// tokens returns s, which must be in search.MatchText form, as the tokens
// of its characters separated by spaces.
func tokens(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, r := range s {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			continue
		}
		writeToken(&b, r)
	}
	return b.String()
}

// writeToken writes the token of a character that is not its own token.
func writeToken(b *strings.Builder, r rune) {
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	b.WriteByte('q')
	shift := 0
	for r>>(shift+4) != 0 {
		shift += 4
	}
	for ; shift >= 0; shift -= 4 {
		b.WriteByte(byte('a' + (r>>shift)&0xF))
	}
}

// phrases returns the query for words (each in search.MatchText form): one
// phrase per word, all of which must match.
func phrases(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(tokens(w))
		b.WriteByte('"')
	}
	return b.String()
}

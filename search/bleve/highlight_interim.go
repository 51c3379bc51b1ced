package bleve

import (
	"html"
	"strings"
	"unicode/utf8"

	"ethicsportal/search"
)

// highlight marks the words in text. It stands in for search.Highlight until that lands: it
// marks matches only where folding kept one rune for each rune of text.
func highlight(f *search.Folder, text string, words []string) string {
	folded := matchText(f, text)
	if len(words) == 0 || utf8.RuneCountInString(folded) != utf8.RuneCountInString(text) {
		return html.EscapeString(text)
	}
	fr, tr := []rune(folded), []rune(text)
	marked := make([]bool, len(fr))
	for _, w := range words {
		wr := []rune(w)
		for i := 0; i+len(wr) <= len(fr); i++ {
			if string(fr[i:i+len(wr)]) == w {
				for k := i; k < i+len(wr); k++ {
					marked[k] = true
				}
			}
		}
	}
	var b strings.Builder
	for i, r := range tr {
		if marked[i] && (i == 0 || !marked[i-1]) {
			b.WriteString("<mark>")
		}
		b.WriteString(html.EscapeString(string(r)))
		if marked[i] && (i == len(tr)-1 || !marked[i+1]) {
			b.WriteString("</mark>")
		}
	}
	return b.String()
}

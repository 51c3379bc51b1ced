package meili

import (
	"strconv"
	"strings"
)

// filter builds a Meilisearch filter expression from typed values: attribute
// names are constants of this package, numbers are formatted by strconv, and
// every string is quoted and escaped, so no value can change the
// expression's structure whatever it holds. Conditions combine with AND.
type filter struct {
	parts []string
}

// eq adds attr = value.
func (f *filter) eq(attr, value string) {
	f.parts = append(f.parts, attr+" = "+quote(value))
}

// in adds attr IN [values...]: any of them.
func (f *filter) in(attr string, values []string) {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	f.parts = append(f.parts, attr+" IN ["+strings.Join(q, ", ")+"]")
}

// inInts adds attr IN [values...] for numbers.
func (f *filter) inInts(attr string, values []int) {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Itoa(v)
	}
	f.parts = append(f.parts, attr+" IN ["+strings.Join(q, ", ")+"]")
}

// atLeast adds attr >= n.
func (f *filter) atLeast(attr string, n int) {
	f.parts = append(f.parts, attr+" >= "+strconv.Itoa(n))
}

// atMost adds attr <= n.
func (f *filter) atMost(attr string, n int) {
	f.parts = append(f.parts, attr+" <= "+strconv.Itoa(n))
}

// String returns the expression, "" for no condition.
func (f *filter) String() string { return strings.Join(f.parts, " AND ") }

// quoteEscaper escapes what Meilisearch's filter parser unescapes inside a
// double-quoted string: the backslash and the double quote.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// quote returns s as a double-quoted filter string.
func quote(s string) string { return `"` + quoteEscaper.Replace(s) + `"` }

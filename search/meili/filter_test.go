package meili

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"ethicsportal/search"
	"ethicsportal/store"
)

const injection = `海淀区" OR status = "draft`

func TestFilterString(t *testing.T) {
	var f filter
	f.eq("district", injection)
	f.eq("stage", `a\`)
	f.in("sanction_types", []string{"warning", `x" OR "1"="1`})
	f.inInts("categories", []int{5, 10})
	f.atLeast("decision_day", 20240101)
	f.atMost("decision_day", 20241231)
	want := `district = "海淀区\" OR status = \"draft" AND stage = "a\\" AND ` +
		`sanction_types IN ["warning", "x\" OR \"1\"=\"1"] AND categories IN [5, 10] AND ` +
		`decision_day >= 20240101 AND decision_day <= 20241231`
	if got := f.String(); got != want {
		t.Errorf("filter\n %s\nwant\n %s", got, want)
	}
	var none filter
	if none.String() != "" {
		t.Errorf("empty filter = %q", none.String())
	}
}

// FuzzQuote: a quoted string has exactly two unescaped double quotes, at its
// ends, so nothing in it can close it early.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{injection, `\`, `\"`, `"`, `a\\"b`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := quote(s)
		escaped := false
		for i, r := range q {
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"' && i != 0 && i != len(q)-1:
				t.Fatalf("quote(%q) = %s ends at byte %d", s, q, i)
			}
		}
		if escaped || !strings.HasSuffix(q, `"`) || len(q) < 2 {
			t.Fatalf("quote(%q) = %s is not closed", s, q)
		}
	})
}

func TestTokens(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"体罚":         "qepfd qhpfk",
		"ab1":        "a b 1",
		"体罚 学生":      "qepfd qhpfk qca qflgg qhfbp",
		"a,b":        "a qcm b",
		"\x00":       "qa",
		"\U0010ffff": "qbapppp",
		"Ab":         "qeb b", // upper case is not MatchText form; it still gets a token of its own
	} {
		if got := tokens(in); got != want {
			t.Errorf("tokens(%q) = %q, want %q", in, got, want)
		}
	}
	if got := phrases([]string{"体罚", "ab"}); got != `"qepfd qhpfk" "a b"` {
		t.Errorf("phrases = %s", got)
	}
}

// FuzzTokens: one token per character, made of a-z and 0-9 only, and
// different characters give different tokens.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"体罚 学生", "abc123", "<b>&amp;", "\x00\U0010ffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		toks := strings.Fields(tokens(s))
		if len(toks) != utf8.RuneCountInString(s) {
			t.Fatalf("tokens(%q) = %d tokens for %d characters", s, len(toks), utf8.RuneCountInString(s))
		}
		seen := map[string]rune{}
		for i, r := range []rune(s) {
			tok := toks[i]
			if strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
				t.Fatalf("token %q of %q has other characters", tok, r)
			}
			if o, ok := seen[tok]; ok && o != r {
				t.Fatalf("%q and %q both give token %q", o, r, tok)
			}
			seen[tok] = r
		}
	})
}

// TestMatchesNothing: values outside the taxonomy answer at once with
// nothing, and with empty facets when asked.
func TestMatchesNothing(t *testing.T) {
	today := store.NewDate(2025, 1, 1)
	for _, q := range []search.Query{
		{District: injection}, {Stage: "primary' OR 1=1"}, {Categories: []int{0, 11}}, {Sanctions: []string{injection}},
	} {
		if !matchesNothing(q) {
			t.Errorf("matchesNothing(%+v) = false", q)
		}
	}
	for _, q := range []search.Query{
		{District: "海淀区"}, {Categories: []int{0, 5}}, {Sanctions: []string{"x", "warning"}}, {},
	} {
		if matchesNothing(q) {
			t.Errorf("matchesNothing(%+v) = true", q)
		}
	}
	ix := &Index{name: "unused"} // no client: it must not be called
	res, err := ix.Search(context.Background(), search.Query{District: injection, Today: today, Limit: 10, Facets: true})
	if err != nil || res.Total != 0 || res.Facets.District == nil {
		t.Errorf("Search with a hostile district = %+v, %v", res, err)
	}
}

package search

import (
	"html"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	f := newTestFolder(t)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only space", " \u3000\t\n", nil},
		{"one", "体罚", []string{"体罚"}},
		{"traditional folded", "體罰 學生", []string{"体罚", "学生"}},
		{"full-width and case", "ＡＢＣ　Zhang", []string{"abc", "zhang"}},
		{"repeats dropped after folding", "体罚 體罰 体罚 ABC abc", []string{"体罚", "abc"}},
		{"markup split at punctuation", `<b>体罚</b> "x"`, []string{"b", "体罚", "x"}},
		{"full stop", "体罚。", []string{"体罚"}},
		{"question mark", "体罚?", []string{"体罚"}},
		{"full-width question mark", "体罚？", []string{"体罚"}},
		{"comma between words", "体罚，学生", []string{"体罚", "学生"}},
		{"curly quotes", "“体罚”", []string{"体罚"}},
		{"corner brackets", "「体罚」", []string{"体罚"}},
		{"unclosed straight quote", `"体罚`, []string{"体罚"}},
		{"title marks and enumeration comma", "《教师法》、体罚", []string{"教师法", "体罚"}},
		{"wave dash and bars", "2019～2020｜体罚￤学生", []string{"2019", "2020", "体罚", "学生"}},
		{"traditional with punctuation", "「體罰」，學生！", []string{"体罚", "学生"}},
		{"only punctuation", "。，“”「」?!&;", nil},
		{"symbols split too", "a+b=c $5", []string{"a", "b", "c", "5"}},
		{"operators pasted around words", "+体罚 体罚+辱骂 体罚^ ＋体罚 体罚=", []string{"体罚", "辱骂"}},
		{"only symbols", "+ ^ = $ ￥ 🙂", nil},
		{"capped", "a b c d e f g h i j k l", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
		{"repeats do not use up the cap", "a a a a a a a a a a a b", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Words(f, tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if n := len(Words(f, strings.Repeat("字 ", 3*MaxWords)+" 詞 詞")); n > MaxWords {
		t.Errorf("Words gave %d words, more than MaxWords (%d)", n, MaxWords)
	}
}

func TestMatchText(t *testing.T) {
	f := newTestFolder(t)
	for in, want := range map[string]string{
		"體罰學生":      "体罚学生",
		"ＡＢＣ　Ｄｅｆ":   "abc def",
		"Zhang WEI": "zhang wei",
		"  张伟  ":    "张伟",
		"É":         "é",
	} {
		if got := MatchText(f, in); got != want {
			t.Errorf("MatchText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHighlight(t *testing.T) {
	f := newTestFolder(t)
	tests := []struct {
		name  string
		text  string
		query string
		want  string
	}{
		{"no words, only escaped", `<b>"体罚"</b> & 'x'`, "",
			`&lt;b&gt;&#34;体罚&#34;&lt;/b&gt; &amp; &#39;x&#39;`},
		{"simple", "教师体罚学生", "体罚", "教师<mark>体罚</mark>学生"},
		{"every occurrence", "体罚，再体罚", "体罚", "<mark>体罚</mark>，再<mark>体罚</mark>"},
		{"traditional text, simplified word", "教師體罰學生", "体罚", "教師<mark>體罰</mark>學生"},
		{"simplified text, traditional word", "教师体罚学生", "體罰", "教师<mark>体罚</mark>学生"},
		{"full-width text", "编号ＡＢ１２３号", "ab12", "编号<mark>ＡＢ１２</mark>３号"},
		{"full-width query", "编号AB123", "ａｂ", "编号<mark>AB</mark>123"},
		{"case", "Zhang Wei", "zhang", "<mark>Zhang</mark> Wei"},
		{"overlapping merged", "体罚学生", "体罚 罚学", "<mark>体罚学</mark>生"},
		{"adjacent merged", "体罚学生", "体罚 学生", "<mark>体罚学生</mark>"},
		{"overlapping occurrences of one word", "哈哈哈", "哈哈", "<mark>哈哈哈</mark>"},
		{"apart stay apart", "体罚与学生", "体罚 学生", "<mark>体罚</mark>与<mark>学生</mark>"},
		{"escaped around mark", `<script>体罚</script>`, "体罚",
			`&lt;script&gt;<mark>体罚</mark>&lt;/script&gt;`},
		{"entity text is text", "A&amp;B", "amp", "A&amp;<mark>amp</mark>;B"},
		{"ampersand is no word", "A & B", "&", "A &amp; B"},
		{"quotes in query not marked", `他说"体罚"`, `"体罚"`, `他说&#34;<mark>体罚</mark>&#34;`},
		{"markup in query is split", `<b>体罚</b>`, "<b>", `&lt;<mark>b</mark>&gt;体罚&lt;/<mark>b</mark>&gt;`},
		{"pasted sentence", "教师体罚学生。", "体罚，学生。", "教师<mark>体罚学生</mark>。"},
		{"markup in query, not in text", "体罚学生", "<mark>", "体罚学生"},
		{"lt word does not mark inside escapes", "a<b", "lt", "a&lt;b"},
		{"no match", "体罚学生", "辱骂", "体罚学生"},
		{"space in text matched through folding", "张\u3000\u3000伟", "张", "<mark>张</mark>\u3000\u3000伟"},
		{"nfc", "cafe\u0301", "café", "<mark>cafe\u0301</mark>"},
		{"nfc partial marks whole character", "cafe\u0301", "caf", "<mark>caf</mark>e\u0301"},
		{"phrase converted whole", "乾隆年间", "乾隆", "<mark>乾隆</mark>年间"},
		{"invalid utf-8 replaced", "体\xff罚", "罚", "体\uFFFD<mark>罚</mark>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Highlight(f, tt.text, Words(f, tt.query)); got != tt.want {
				t.Errorf("Highlight(%q, %q) =\n %q\nwant\n %q", tt.text, tt.query, got, tt.want)
			}
		})
	}
}

func TestHighlightUnfoldedWords(t *testing.T) {
	f := newTestFolder(t)
	// Words not from Words are folded by Highlight itself; empty ones are ignored.
	got := Highlight(f, "教師體罰學生", []string{"", "體罰", "  "})
	if want := "教師<mark>體罰</mark>學生"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAlignFold(t *testing.T) {
	f := newTestFolder(t)
	texts := append(dictionaryText(t, f)[:2000], paragraph, "  ＡＢ\u3000c\u0301 乾隆 薴麻 \t\n", "e\u0301\u0301", "")
	for _, s := range texts {
		checkAlign(t, f, s)
	}
}

// checkAlign checks that alignFold gives MatchText and source ranges that are ordered, on rune
// boundaries of s, and together cover every rune of s that folding kept.
func checkAlign(t *testing.T, f *Folder, s string) {
	t.Helper()
	a := alignFold(f, s)
	if want := MatchText(f, s); a.text != want {
		t.Fatalf("alignFold(%q) = %q, MatchText gives %q", s, a.text, want)
	}
	if len(a.starts) != utf8.RuneCountInString(a.text) || len(a.spans) != len(a.starts) {
		t.Fatalf("alignFold(%q): %d starts and %d spans for %d runes", s, len(a.starts), len(a.spans),
			utf8.RuneCountInString(a.text))
	}
	prev := span{}
	for k, sp := range a.spans {
		if sp.from >= sp.to || sp.from < prev.from || sp.to < prev.to || sp.to > len(s) ||
			!utf8.RuneStart(s[sp.from]) || (sp.to < len(s) && !utf8.RuneStart(s[sp.to])) {
			t.Fatalf("alignFold(%q): rune %d has source %v after %v", s, k, sp, prev)
		}
		prev = sp
	}
}

func FuzzHighlight(f *testing.F) {
	for _, s := range [][2]string{
		{"教師體罰學生", "体罚"}, {`<script>alert("x")</script>`, "script"}, {"A&amp;B", "amp"},
		{"ＡＢ１２３", "ab"}, {"乾隆年间", "干"}, {"cafe\u0301", "é"}, {"\xff\xfe体罚", "罚"},
		{"  体罚  ", " "}, {"&lt;", "lt"}, {"薴麻", "苎"},
	} {
		f.Add(s[0], s[1])
	}
	folder := newTestFolder(f)
	f.Fuzz(func(t *testing.T, text, query string) {
		valid := strings.ToValidUTF8(text, "\uFFFD")
		checkAlign(t, folder, valid)
		words := Words(folder, query)
		out := Highlight(folder, text, words)
		if !utf8.ValidString(out) {
			t.Fatalf("Highlight(%q, %q) = %q is not valid UTF-8", text, words, out)
		}
		// Marks are the only markup: unmarked and unescaped, the output is the text.
		unmarked := strings.ReplaceAll(strings.ReplaceAll(out, "<mark>", ""), "</mark>", "")
		if strings.ContainsAny(unmarked, `<>"'`) {
			t.Fatalf("Highlight(%q, %q) = %q leaves markup unescaped", text, words, out)
		}
		if got := html.UnescapeString(unmarked); got != valid {
			t.Fatalf("Highlight(%q, %q) = %q, which without marks is %q", text, words, out, got)
		}
		if strings.Contains(out, "<mark></mark>") || strings.Contains(out, "</mark><mark>") {
			t.Fatalf("Highlight(%q, %q) = %q has an empty or split mark", text, words, out)
		}
		// Every word found in the folded text is marked somewhere.
		if folded := MatchText(folder, valid); slices.ContainsFunc(words, func(w string) bool {
			return strings.Contains(folded, w)
		}) && !strings.Contains(out, "<mark>") {
			t.Fatalf("Highlight(%q, %q) = %q marks nothing, but a word occurs", text, words, out)
		}
	})
}

func BenchmarkHighlight(b *testing.B) {
	f := newTestFolder(b)
	words := Words(f, "体罚 学生 教師")
	for name, text := range map[string]string{"traditional": paragraph, "folded": MatchText(f, paragraph)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sink = Highlight(f, text, words)
			}
		})
	}
}

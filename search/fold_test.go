package search

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func newTestFolder(tb testing.TB) *Folder {
	tb.Helper()
	f, err := NewFolder()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestFold(t *testing.T) {
	f := newTestFolder(t)
	tests := []struct {
		name, in, want string
	}{
		{"traditional phrase", "體罰學生", "体罚学生"},
		{"traditional name", "張偉華", "张伟华"},
		{"taiwan", "臺灣", "台湾"},
		{"qianlong kept by phrase dictionary", "乾隆", "乾隆"},
		{"qian alone becomes gan", "乾淨", "干净"},
		{"simplified unchanged", "张伟华体罚学生", "张伟华体罚学生"},
		{"two-step t2s chain reaches fixed point", "薴麻", "苎麻"},
		{"full-width ascii", "ＡＢＣ１２３", "ABC123"},
		{"full-width punctuation", "（Ａ）！～", "(A)!~"},
		{"ideographic space", "張\u3000偉", "张 伟"},
		{"cjk punctuation kept", "张伟。「案」", "张伟。「案」"},
		{"nfc", "e\u0301", "é"},
		{"nfc after width", "Ｅ\u0301", "É"},
		{"white space runs", " \t张伟\r\n\n  华\u00a0 ", "张伟 华"},
		{"only space", " \u3000\t", ""},
		{"empty", "", ""},
		{"ascii spaces", "  Zhang   Wei ", "Zhang Wei"},
		{"ascii untouched", "Zhang Wei 123", "Zhang Wei 123"},
		{"mixed", "教師ＩＤ：　Ａ１２３　張偉", "教师ID: A123 张伟"},
		{"invalid utf-8 replaced", "張\xff偉", "张\uFFFD伟"},
		{"supplementary plane kept", "𠀀張", "𠀀张"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// dictionaryText returns every key and every value of the t2s dictionaries: the places where a
// trie walk that differs from opencc's, or a conversion that is not idempotent, would show.
func dictionaryText(t *testing.T, f *Folder) []string {
	t.Helper()
	var out []string
	for _, g := range f.t2s.DictChains {
		for _, d := range g.Dicts {
			for _, id := range d.Trie.PrefixPredict(nil, 0) {
				k, err := d.Trie.Key(id)
				if err != nil {
					t.Fatal(err)
				}
				v, err := d.Trie.Value(id)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, string(k))
				out = append(out, d.Values[v]...)
			}
		}
	}
	if len(out) < 4000 {
		t.Fatalf("found only %d dictionary strings; the trie walk above is broken", len(out))
	}
	return out
}

func TestConvertMatchesOpenCC(t *testing.T) {
	f := newTestFolder(t)
	texts := append(dictionaryText(t, f),
		"該教師於課堂上體罰學生，經學校調查屬實，依《教師法》予以解聘處分。",
		"乾隆爺是誰的乾爺爺？乾乾淨淨，乾坤一擲。",
		"abc 中國 123 臺灣 ",
		strings.Repeat("乾", 25),
	)
	for _, s := range texts {
		want, err := f.t2s.Convert(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.convert(s); got != want {
			t.Errorf("convert(%q) = %q, opencc gives %q", s, got, want)
		}
	}
}

func TestFoldIdempotentOverDictionary(t *testing.T) {
	f := newTestFolder(t)
	words := dictionaryText(t, f)
	for _, s := range words {
		once := f.Fold(s)
		if twice := f.Fold(once); twice != once {
			t.Errorf("Fold(%q) = %q, but Fold of that = %q", s, once, twice)
		}
	}
	// Adjacent words can form phrases that neither forms alone.
	all := strings.Join(words, "")
	if once := f.Fold(all); f.Fold(once) != once {
		t.Error("Fold not idempotent on the concatenated dictionary")
	}
}

func TestFoldFoldedDoesNotAllocate(t *testing.T) {
	f := newTestFolder(t)
	for _, s := range []string{"张伟华", "Zhang Wei", "教师法第十四条规定 乾隆"} {
		if n := testing.AllocsPerRun(100, func() { f.Fold(s) }); n != 0 {
			t.Errorf("Fold(%q) allocates %v times; folded text should cost nothing", s, n)
		}
	}
}

func TestFoldConcurrent(t *testing.T) {
	f := newTestFolder(t)
	in := []string{"體罰學生", "張偉華", "臺灣", "ＡＢＣ１２３", "乾隆爺是誰的乾爺爺", "e\u0301"}
	want := make([]string, len(in))
	for i, s := range in {
		want[i] = f.Fold(s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(in)
				if got := f.Fold(in[i]); got != want[i] {
					t.Errorf("concurrent Fold(%q) = %q, want %q", in[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"體罰學生", "張偉華", "臺灣", "乾隆", "乾淨", "薴", "ＡＢＣ１２３", "張\u3000偉", "e\u0301",
		"Ｅ\u0301", " \t a \r\n b ", "\xff\xfe", "乾乾淨淨 乾坤一擲", "\u00a0\u0301",
	} {
		f.Add(s)
	}
	folder := newTestFolder(f)
	f.Fuzz(func(t *testing.T, s string) {
		once := folder.Fold(s)
		if !utf8.ValidString(once) {
			t.Fatalf("Fold(%q) = %q is not valid UTF-8", s, once)
		}
		if twice := folder.Fold(once); twice != once {
			t.Fatalf("Fold not idempotent: Fold(%q) = %q, Fold(%q) = %q", s, once, once, twice)
		}
		if utf8.ValidString(s) {
			want, err := folder.t2s.Convert(s)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := folder.convert(s); got != want {
				t.Fatalf("convert(%q) = %q, opencc gives %q", s, got, want)
			}
		}
	})
}

var sink string

func BenchmarkNewFolder(b *testing.B) {
	for b.Loop() {
		if _, err := NewFolder(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFoldName(b *testing.B) {
	f := newTestFolder(b)
	for _, s := range []string{"張偉華", "张伟华", "Zhang Wei"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				sink = f.Fold(s)
			}
		})
	}
}

// paragraph is a plausible case summary: 300-odd runes of Han with punctuation, digits and a
// full-width letter.
const paragraph = "經查，該教師於二〇二三年九月至十一月間，多次於課堂上體罰學生，" +
	"並以侮辱性言語責罵學生，致使多名學生身心受到傷害。學校接獲家長投訴後，" +
	"依規定成立調查小組，調查屬實。依據《中華人民共和國教師法》第三十七條及《中小學教師違反職業道德行為處理辦法》" +
	"第四條第（３）項之規定，給予該教師降低崗位等級處分，並撤銷其當年度評優評先資格，" +
	"記入個人檔案。同時責令其向受害學生及家長公開道歉。ＡＢ級備案編號：２０２３－０４５。" +
	"本處理決定自公布之日起生效。當事人如對處理決定不服，可於收到決定之日起三十日內提出申訴。"

func BenchmarkFoldParagraph(b *testing.B) {
	f := newTestFolder(b)
	simplified := f.Fold(paragraph)
	b.Run("traditional", func(b *testing.B) {
		b.SetBytes(int64(len(paragraph)))
		for b.Loop() {
			sink = f.Fold(paragraph)
		}
	})
	b.Run("simplified", func(b *testing.B) {
		b.SetBytes(int64(len(simplified)))
		for b.Loop() {
			sink = f.Fold(simplified)
		}
	})
	// For comparison: one pass of opencc's own Convert, which Fold's trie walk replaces.
	b.Run("opencc-convert", func(b *testing.B) {
		b.SetBytes(int64(len(paragraph)))
		for b.Loop() {
			sink, _ = f.t2s.Convert(paragraph)
		}
	})
}

package demo

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/longbridgeapp/opencc"

	"ethicsportal/store"
)

// simplifier folds Traditional characters to Simplified, as search does.
type simplifier struct{ cc *opencc.OpenCC }

func newFolder(t testing.TB) simplifier {
	t.Helper()
	cc, err := opencc.New("t2s")
	if err != nil {
		t.Fatal(err)
	}
	return simplifier{cc}
}

func (s simplifier) Fold(text string) string {
	out, err := s.cc.Convert(text)
	if err != nil {
		panic(err)
	}
	return out
}

// sample is the data set the tests look at, made once.
var sample = sync.OnceValue(func() []store.Case { return Cases(42, 2000) })

func TestDeterministic(t *testing.T) {
	a, b := Cases(7, 300), Cases(7, 300)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different cases")
	}
	if small := Cases(7, 40); !reflect.DeepEqual(small, a[:40]) {
		t.Fatal("a smaller data set is not a prefix of a larger one")
	}
	if other := Cases(8, 300); reflect.DeepEqual(other[5], a[5]) || other[5].ID == a[5].ID {
		t.Fatal("another seed gave the same case")
	}
	// In any order and in parallel, case i is case i.
	g, err := NewGenerator(7, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]store.Case, len(a))
	for w := range 4 {
		wg.Go(func() {
			for i := len(a) - 1 - w; i >= 0; i -= 4 {
				got[i] = g.Case(i)
			}
		})
	}
	wg.Wait()
	if !reflect.DeepEqual(got, a) {
		t.Fatal("cases made in parallel differ")
	}
}

func TestCoversTheTaxonomy(t *testing.T) {
	tax := store.DefaultTaxonomy()
	for _, n := range []int{27, len(sample())} {
		cs := sample()[:n]
		if n == 27 {
			cs = Cases(42, 27)
		}
		seen := map[string]bool{}
		for _, c := range cs {
			seen["d:"+c.District] = true
			seen["s:"+c.Stage] = true
			for _, k := range c.Categories {
				seen["c:"+string(rune('0'+k))] = true
			}
			for _, s := range c.Sanctions {
				seen["x:"+s.Type] = true
			}
		}
		var want []string
		for _, d := range tax.Districts {
			want = append(want, "d:"+d.ID)
		}
		for _, s := range tax.Stages {
			want = append(want, "s:"+s.ID)
		}
		for _, c := range tax.Categories {
			want = append(want, "c:"+string(rune('0'+c.ID)))
		}
		for _, s := range tax.Sanctions {
			want = append(want, "x:"+s.ID)
		}
		for _, w := range want {
			if !seen[w] {
				t.Errorf("%d cases: none has %s", n, w)
			}
		}
	}
}

func TestCasesAreValid(t *testing.T) {
	today := store.Today(DefaultNow)
	periods := DefaultPeriods()
	idPattern := regexp.MustCompile(`^[a-z2-7]{16}$`)
	ids := map[string]bool{}
	count := map[string]int{}
	for _, c := range sample() {
		if !idPattern.MatchString(c.ID) || ids[c.ID] {
			t.Fatalf("id %q is not 16 base32 characters or is repeated", c.ID)
		}
		ids[c.ID] = true
		if !store.ValidDistrict(c.District) || !store.ValidStage(c.Stage) {
			t.Fatalf("%s: district %q stage %q", c.ID, c.District, c.Stage)
		}
		if len(c.Categories) == 0 || !slices.IsSorted(c.Categories) || len(slices.Compact(slices.Clone(c.Categories))) != len(c.Categories) {
			t.Fatalf("%s: categories %v", c.ID, c.Categories)
		}
		for _, k := range c.Categories {
			if !store.ValidCategory(k) {
				t.Fatalf("%s: category %d", c.ID, k)
			}
		}
		if len(c.Sanctions) == 0 {
			t.Fatalf("%s: no sanction", c.ID)
		}
		longest, forever := 0, false
		for _, s := range c.Sanctions {
			if !store.ValidSanction(s.Type) || s.Detail == "" {
				t.Fatalf("%s: sanction %+v", c.ID, s)
			}
			longest = max(longest, periods[s.Type])
			forever = forever || (s.Type == "industry_ban" && strings.Contains(s.Detail, "终身") || strings.Contains(s.Detail, "終身"))
		}
		if !c.IncidentDate.Before(c.DecisionDate) || c.DecisionDate.Before(firstDecision) || c.DecisionDate.After(today) {
			t.Fatalf("%s: incident %s decision %s", c.ID, c.IncidentDate, c.DecisionDate)
		}
		if c.CreatedAt.IsZero() || c.CreatedAt.After(DefaultNow) || c.UpdatedAt.Before(c.CreatedAt) || c.UpdatedAt.After(DefaultNow) {
			t.Fatalf("%s: created %s updated %s", c.ID, c.CreatedAt, c.UpdatedAt)
		}
		count[c.Status]++
		if c.Status == store.CaseDraft {
			if !c.PublishedAt.IsZero() || !c.PublishUntil.IsZero() || c.Version != 1 {
				t.Fatalf("%s: a draft with publication data", c.ID)
			}
			continue
		}
		if !c.PublishedAt.After(c.CreatedAt) || c.PublishedAt.After(DefaultNow) || store.Today(c.PublishedAt).Before(c.DecisionDate) {
			t.Fatalf("%s: decided %s, created %s, published %s", c.ID, c.DecisionDate, c.CreatedAt, c.PublishedAt)
		}
		// The disclosure period: the longest of the sanctions', from the decision.
		if forever != c.PublishUntil.IsZero() {
			t.Fatalf("%s: publish_until %s with sanctions %v", c.ID, c.PublishUntil, c.Sanctions)
		}
		if !forever {
			if want := AddMonths(c.DecisionDate, longest); c.PublishUntil != want {
				t.Fatalf("%s: publish_until %s, want %s (%d months)", c.ID, c.PublishUntil, want, longest)
			}
		}
		expired := c.Status == store.CasePublished && !c.PublishUntil.IsZero() && c.PublishUntil.Before(today)
		if expired != !c.ExpiredAt.IsZero() || (c.Status == store.CasePublished && expired == c.Visible(today)) {
			t.Fatalf("%s: until %s expired at %s", c.ID, c.PublishUntil, c.ExpiredAt)
		}
		if expired {
			count["expired"]++
		}
		if c.Status == store.CaseWithdrawn && (c.WithdrawnAt.Before(c.PublishedAt) || c.WithdrawReason == "") {
			t.Fatalf("%s: withdrawn %s reason %q", c.ID, c.WithdrawnAt, c.WithdrawReason)
		}
		last := c.PublishedAt
		for i, r := range c.Revisions {
			next := c.CaseContent // the content the amendment made
			if i+1 < len(c.Revisions) {
				next = c.Revisions[i+1].Previous
			}
			if r.Seq != i+1 || !r.At.After(last) || r.Note == "" || reflect.DeepEqual(r.Previous, next) {
				t.Fatalf("%s: revision %d %+v", c.ID, i, r)
			}
			last = r.At
		}
		if len(c.Revisions) > 0 {
			count["amended"]++
			if !c.AmendedAt.Equal(last) {
				t.Fatalf("%s: amended at %s, last revision %s", c.ID, c.AmendedAt, last)
			}
		}
	}
	n := len(sample())
	// Realistic shares: most published, a few withdrawn, amended and in
	// draft, and a good part expired.
	for _, s := range []struct {
		what     string
		min, max float64
	}{
		{store.CasePublished, 0.9, 0.99}, {store.CaseWithdrawn, 0.01, 0.05}, {store.CaseDraft, 0.001, 0.03},
		{"amended", 0.03, 0.1}, {"expired", 0.3, 0.8},
	} {
		if share := float64(count[s.what]) / float64(n); share < s.min || share > s.max {
			t.Errorf("%s: %.3f of the cases, want %.3f to %.3f", s.what, share, s.min, s.max)
		}
	}
}

// publicTexts are every text of c the public may see.
func publicTexts(c store.Case) []string {
	out := []string{c.Title, c.Summary, c.Body, c.SubjectName, c.School, c.Authority, c.WithdrawReason}
	for _, s := range c.Sanctions {
		out = append(out, s.Detail)
	}
	for _, r := range c.Revisions {
		out = append(out, r.Note)
	}
	return out
}

// commonSurnames are the hundred commonest, beyond those the generator
// uses, so that a real name slipping in would be seen.
var commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"

// unmaskedName returns a name following 教师 in s that is not masked: a
// common surname followed by anything but 某. s is folded to Simplified.
func unmaskedName(s string) string {
	for rest := s; ; {
		i := strings.Index(rest, "教师")
		if i < 0 {
			return ""
		}
		rest = rest[i+len("教师"):]
		rs := []rune(rest)
		if len(rs) < 2 {
			return ""
		}
		skip := 1
		for _, c := range compoundSurnames {
			if strings.HasPrefix(rest, c) {
				skip = len([]rune(c))
			}
		}
		if skip == 1 && !strings.ContainsRune(commonSurnames, rs[0]) {
			continue
		}
		if len(rs) <= skip || rs[skip] != '某' {
			return string(rs[:min(len(rs), skip+2)])
		}
	}
}

func TestNamesAreMasked(t *testing.T) {
	for _, bad := range []string{"海淀区某小学数学教师张伟华体罚学生", "某校教师王芳收受礼金", "教师欧阳明远"} {
		if unmaskedName(bad) == "" {
			t.Fatalf("the check misses the name in %q", bad)
		}
	}
	if n := unmaskedName("教师张某某、教师欧阳某和撤销教师资格"); n != "" {
		t.Fatalf("the check takes masked names for names: %q", n)
	}
	f := newFolder(t)
	subject := regexp.MustCompile(`^(` + strings.Join(compoundSurnames, "|") + `|\p{Han})某{1,2}$`)
	for _, c := range sample() {
		if !subject.MatchString(f.Fold(c.SubjectName)) {
			t.Fatalf("%s: subject %q is not masked", c.ID, c.SubjectName)
		}
		for _, s := range publicTexts(c) {
			if n := unmaskedName(f.Fold(s)); n != "" {
				t.Fatalf("%s: an unmasked name after 教师, %q, in %q", c.ID, n, s)
			}
		}
	}
}

var (
	longDigits = regexp.MustCompile(`[0-9０-９]{7,}`)
	leftovers  = regexp.MustCompile(`[{}\[\]|^_]`)
)

func TestTextHygiene(t *testing.T) {
	for _, c := range sample() {
		contents := []store.CaseContent{c.CaseContent}
		for _, r := range c.Revisions {
			contents = append(contents, r.Previous)
		}
		for _, cc := range contents {
			paras := strings.Split(cc.Body, "\n\n")
			if len(paras) < 2 || len(paras) > 4 {
				t.Fatalf("%s: %d paragraphs", c.ID, len(paras))
			}
			for _, p := range paras {
				if p == "" || strings.TrimSpace(p) != p || strings.Contains(p, "\n") {
					t.Fatalf("%s: paragraph %q", c.ID, p)
				}
			}
		}
		for i, s := range publicTexts(c) {
			for _, r := range s {
				if unicode.IsControl(r) && !(i == 2 && r == '\n') || r == '\u2028' || r == '\u2029' || r == '\ufeff' || unicode.Is(unicode.Bidi_Control, r) {
					t.Fatalf("%s: character U+%04X in %q", c.ID, r, s)
				}
			}
			// Nothing the redaction check would find: no ID or phone
			// numbers, no e-mail addresses; and no template left over.
			if longDigits.MatchString(s) || strings.ContainsAny(s, "@＠") || leftovers.MatchString(s) {
				t.Fatalf("%s: %q", c.ID, s)
			}
		}
		if c.Title == "" || c.Summary == "" || len([]rune(c.Title)) > 80 || len([]rune(c.Summary)) > 300 {
			t.Fatalf("%s: title %q summary %q", c.ID, c.Title, c.Summary)
		}
	}
}

func TestTraditionalShare(t *testing.T) {
	f := newFolder(t)
	trad := 0
	for _, c := range sample() {
		folded := f.Fold(c.Body)
		if folded != c.Body {
			trad++
			// Every text of a Traditional case is converted, not only its body.
			if f.Fold(c.Title) == c.Title || f.Fold(c.Summary) == c.Summary || f.Fold(c.School) == c.School {
				t.Fatalf("%s: Traditional body, Simplified title, summary or school: %q %q %q", c.ID, c.Title, c.Summary, c.School)
			}
		}
	}
	if share := float64(trad) / float64(len(sample())); share < 0.05 || share > 0.11 {
		t.Fatalf("%.3f of the cases are in Traditional characters, want about 0.08", share)
	}
	g, err := NewGenerator(42, Options{Traditional: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if c := g.Case(i); f.Fold(c.Body) != c.Body {
			t.Fatalf("case %d is in Traditional characters with Traditional: -1", i)
		}
	}
}

func TestQueries(t *testing.T) {
	qs := Queries(42, 500)
	if len(qs) != 500 {
		t.Fatalf("%d queries, want 500", len(qs))
	}
	if again := Queries(42, 500); !slices.Equal(qs, again) {
		t.Fatal("the same seed gave other queries")
	}
	f := newFolder(t)
	texts := make([]string, len(sample()))
	for i, c := range sample() {
		texts[i] = f.Fold(c.Title + c.Summary + c.Body + c.School + c.Authority)
	}
	seen, two, trad := map[string]bool{}, 0, 0
	for _, q := range qs {
		if seen[q] {
			t.Fatalf("query %q twice", q)
		}
		seen[q] = true
		words := strings.Fields(f.Fold(q))
		if len(words) < 1 || len(words) > 2 || strings.Join(words, " ") != f.Fold(q) {
			t.Fatalf("query %q is not one or two words", q)
		}
		if len(words) == 2 {
			two++
		}
		if f.Fold(q) != q {
			trad++
		}
		found := false
		for _, text := range texts {
			if strings.Contains(text, words[0]) && strings.Contains(text, words[len(words)-1]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("query %q finds no case", q)
		}
	}
	if two < 200 || two > 400 || trad < 15 || trad > 80 {
		t.Fatalf("%d two-word and %d Traditional queries of 500", two, trad)
	}
}

func TestHolderCase(t *testing.T) {
	g, err := NewGenerator(42, Options{Now: DefaultNow})
	if err != nil {
		t.Fatal(err)
	}
	today := store.Today(DefaultNow)
	f := newFolder(t)
	for i, h := range []Holder{
		{Name: "何敏", District: "平谷区", Stage: "primary", Sanctions: []string{"revoke_qualification", "industry_ban"}},
		{Name: "林香宜", District: "通州区", Stage: "junior_secondary", Sanctions: []string{"industry_ban"}, BanForLife: true},
		{Name: "江融秋", District: "顺义区", Stage: "kindergarten", Sanctions: []string{"removed_from_teaching"}},
		{Name: "覃莲芳", District: "西城区", Stage: "primary", Without: []string{"revoke_qualification", "industry_ban"}},
		{Name: "冯珊勤", District: "石景山区", Stage: "junior_secondary", Sanctions: []string{"industry_ban"}, Without: []string{"revoke_qualification"}},
	} {
		c := g.HolderCase(i, h)
		if c.Status != store.CasePublished || !c.Visible(today) || len(c.Revisions) > 0 {
			t.Fatalf("%v: status %s, until %s, %d revisions", h, c.Status, c.PublishUntil, len(c.Revisions))
		}
		if c.District != h.District || c.Stage != h.Stage || c.SubjectName != MaskName(h.Name) {
			t.Fatalf("%v: %s %s %s", h, c.District, c.Stage, c.SubjectName)
		}
		for _, s := range h.Sanctions {
			if !slices.ContainsFunc(c.Sanctions, func(x store.Sanction) bool { return x.Type == s }) {
				t.Fatalf("%v: sanctions %v lack %s", h, c.Sanctions, s)
			}
		}
		for _, s := range h.Without {
			if slices.ContainsFunc(c.Sanctions, func(x store.Sanction) bool { return x.Type == s }) {
				t.Fatalf("%v: sanctions %v hold %s", h, c.Sanctions, s)
			}
		}
		if h.BanForLife != c.PublishUntil.IsZero() {
			t.Fatalf("%v: publish_until %s", h, c.PublishUntil)
		}
		for _, s := range publicTexts(c) {
			if strings.Contains(f.Fold(s), h.Name) {
				t.Fatalf("%v: the holder's name in %q", h, s)
			}
		}
		if c.ID == g.Case(i).ID {
			t.Fatal("a holder's case has the id of a case")
		}
	}
}

func TestAddMonths(t *testing.T) {
	for _, tt := range []struct {
		from string
		n    int
		want string
	}{
		{"2024-08-31", 6, "2025-02-28"}, {"2023-08-31", 6, "2024-02-29"}, {"2024-01-15", 60, "2029-01-15"},
		{"2024-12-31", 12, "2025-12-31"}, {"2024-10-31", 1, "2024-11-30"}, {"2025-03-01", 18, "2026-09-01"},
	} {
		d, _ := store.ParseDate(tt.from)
		if got := AddMonths(d, tt.n).String(); got != tt.want {
			t.Errorf("AddMonths(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张伟华": "张某某", "曹梅": "曹某", "欧阳明": "欧阳某", "欧阳明远": "欧阳某某", "王": "王", " 李四 ": "李某", "司马相如": "司马某某"} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	none := map[string]int{}
	for _, s := range sanctionOrder {
		none[s] = 0
	}
	g, err := NewGenerator(42, Options{Periods: none, Traditional: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if c := g.Case(i); !c.PublishUntil.IsZero() || !c.ExpiredAt.IsZero() {
			t.Fatalf("case %d ends its disclosure (%s) with no periods", i, c.PublishUntil)
		}
	}
	later := DefaultNow.AddDate(0, 2, 0)
	if g, err = NewGenerator(42, Options{Public: true, Now: later, CreatedBy: "someone"}); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		c := g.Case(i)
		if !c.Visible(store.Today(later)) || c.CreatedBy != "someone" || c.UpdatedAt.After(later) {
			t.Fatalf("case %d: %s until %s by %s, updated %s", i, c.Status, c.PublishUntil, c.CreatedBy, c.UpdatedAt)
		}
	}
	if _, err := NewGenerator(1, Options{Now: DefaultNow.AddDate(-8, 0, 0)}); err == nil {
		t.Fatal("a Now before the guidelines is accepted")
	}
}

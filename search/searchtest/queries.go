package searchtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"ethicsportal/search"
	"ethicsportal/store"
)

// texts are the query texts of the matrix: one and two words, Simplified
// and Traditional, a word found only inside a longer one (学生 in 大学生), a
// single character, full-width and half-width letters, names, markup and
// entities, punctuation as pasted, words found nowhere, and as many words as
// are searched.
var texts = []string{
	"", "体罚", "體罰", "学生", "大学生", "罚", "体罚学生", "罚学", "有偿补课", "補課", "体罚 学生",
	"學生 家长", "abc", "ＡＢＣ", "a2019", "张某某", "王某", "<b>", "&", "&amp;", `"该教师"`, "<script>",
	"体罚。", "体罚?", "体罚，学生", "“体罚”", "「体罚」", `"体罚`, "《體罰》、學生！", "。，",
	"教育委员会", "海淀区", "择校费", "同日决定", "不存在的词", "体罚 不存在的词", "\u3000体罚\u3000 ",
	// search.MaxWords words, the last one deciding; and one more, which is not searched.
	"某 中 学 教 师 侮 辱 实 习 大", "某 中 学 教 师 侮 辱 实 习 大 不存在的词",
}

// filters are the filter combinations of the matrix.
var filters = []struct {
	name string
	set  func(q *search.Query)
}{
	{"none", func(q *search.Query) {}},
	{"district", func(q *search.Query) { q.District = "海淀区" }},
	{"stage", func(q *search.Query) { q.Stage = "primary" }},
	{"category", func(q *search.Query) { q.Categories = []int{5} }},
	{"categories", func(q *search.Query) { q.Categories = []int{3, 10} }},
	{"sanctions", func(q *search.Query) { q.Sanctions = []string{"warning", "industry_ban"} }},
	{"dates", func(q *search.Query) { q.From, q.To = store.NewDate(2021, 1, 1), store.NewDate(2023, 3, 15) }},
	{"from", func(q *search.Query) { q.From = store.NewDate(2024, 2, 29) }},
	{"all", func(q *search.Query) {
		q.District, q.Stage, q.Categories, q.Sanctions = "海淀区", "junior_secondary", []int{5, 6}, []string{"warning"}
		q.From, q.To = store.NewDate(2020, 1, 1), store.NewDate(2025, 12, 31)
	}},
	{"later today", func(q *search.Query) { q.Today = Today.AddDays(200) }},
	{"earlier today", func(q *search.Query) { q.Today = Today.AddDays(-400) }},
}

var sorts = []string{"", search.SortRelevance, search.SortNewest, search.SortOldest}

func describe(q search.Query) string {
	return fmt.Sprintf("{Text:%q District:%q Stage:%q Categories:%v Sanctions:%q From:%s To:%s Today:%s Sort:%q Offset:%d Limit:%d Facets:%v}",
		q.Text, q.District, q.Stage, q.Categories, q.Sanctions, q.From, q.To, q.Today, q.Sort, q.Offset, q.Limit, q.Facets)
}

// testMatrix runs every text with a few filters, and a few texts with
// every filter, in every sort, reading every page, and compares with the
// reference.
func testMatrix(t *testing.T, s *suite, idx search.Index) {
	few := []string{"", "体罚", "學生", "abc", "不存在的词"}
	for _, text := range texts {
		for _, fl := range filters {
			if !slices.Contains(few, text) && !slices.Contains([]string{"none", "district", "all", "later today"}, fl.name) {
				continue
			}
			for i, sort := range sorts {
				q := search.Query{Text: text, Today: Today, Sort: sort, Limit: 100, Facets: i%2 == 0}
				fl.set(&q)
				s.checkPages(t, idx, q)
			}
		}
	}
}

// testPaging reads results in small pages, and pages past the end.
func testPaging(t *testing.T, s *suite, idx search.Index) {
	for _, text := range []string{"", "体罚", "学生", "教育委员会"} {
		for _, sort := range sorts {
			for _, limit := range []int{1, 7, 20} {
				s.checkPages(t, idx, search.Query{Text: text, Today: Today, Sort: sort, Limit: limit, Facets: limit == 7})
			}
			// Offsets that are not a multiple of the limit, and past the end.
			for _, off := range []int{3, 95, 149, 1000} {
				s.check(t, idx, search.Query{Text: text, Today: Today, Sort: sort, Offset: off, Limit: 10})
			}
		}
	}
}

// checkPages reads every page of q (q.Offset must be 0) and compares each,
// and all of them together, with the reference: the same documents, in the
// same order when the order is defined, none twice.
func (s *suite) checkPages(t *testing.T, idx search.Index, q search.Query) {
	t.Helper()
	want := s.ref.search(q)
	var got []string
	for q.Offset = 0; ; q.Offset += q.Limit {
		res := s.check(t, idx, q)
		if res == nil {
			return
		}
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		if q.Offset+q.Limit >= res.Total {
			break
		}
	}
	wantIDs := want.ids()
	if !want.ordered {
		slices.Sort(got)
		slices.Sort(wantIDs)
	}
	if !slices.Equal(got, wantIDs) {
		t.Errorf("%s: pages together give %d hits %v, want %d %v", describe(q), len(got), got, len(wantIDs), wantIDs)
	}
}

// check runs q and compares its one page with the reference. It returns nil
// after reporting an error.
func (s *suite) check(t *testing.T, idx search.Index, q search.Query) *search.Result {
	t.Helper()
	res, err := idx.Search(t.Context(), q)
	if err != nil {
		t.Errorf("Search %s: %v", describe(q), err)
		return nil
	}
	want := s.ref.search(q)
	ok := true
	if res.Total != len(want.docs) {
		t.Errorf("Search %s: Total %d, want %d", describe(q), res.Total, len(want.docs))
		ok = false
	}
	wantPage := want.docs[min(q.Offset, len(want.docs)):min(q.Offset+q.Limit, len(want.docs))]
	got := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		got[i] = h.ID
	}
	if want.ordered {
		if ids := idsOf(wantPage); !slices.Equal(got, ids) {
			t.Errorf("Search %s: hits %v, want %v", describe(q), got, ids)
			ok = false
		}
	} else {
		in := map[string]bool{}
		for _, d := range want.docs {
			in[d.ID] = true
		}
		seen := map[string]bool{}
		for _, id := range got {
			if !in[id] || seen[id] {
				t.Errorf("Search %s: hit %s is not a match or comes twice (hits %v)", describe(q), id, got)
				ok = false
			}
			seen[id] = true
		}
		if len(got) != len(wantPage) {
			t.Errorf("Search %s: %d hits, want %d", describe(q), len(got), len(wantPage))
			ok = false
		}
	}
	for _, h := range res.Hits {
		if d := s.doc(h.ID); d != nil {
			if diff := diffDocs(*d, h.Document); diff != "" {
				t.Errorf("Search %s: hit %s: %s", describe(q), h.ID, diff)
				ok = false
			}
			if w := s.highlight(d.Title, want.words); h.HighlightTitle != w {
				t.Errorf("Search %s: hit %s: HighlightTitle %q, want %q", describe(q), h.ID, h.HighlightTitle, w)
				ok = false
			}
			if w := s.highlight(d.Summary, want.words); h.HighlightSummary != w {
				t.Errorf("Search %s: hit %s: HighlightSummary %q, want %q", describe(q), h.ID, h.HighlightSummary, w)
				ok = false
			}
		}
	}
	if q.Facets {
		for _, c := range []struct {
			name      string
			got, want map[string]int
		}{
			{"district", res.Facets.District, want.facets.District},
			{"stage", res.Facets.Stage, want.facets.Stage},
			{"category", res.Facets.Category, want.facets.Category},
			{"sanction", res.Facets.Sanction, want.facets.Sanction},
		} {
			if !maps.Equal(c.got, c.want) {
				t.Errorf("Search %s: %s facets %v, want %v", describe(q), c.name, c.got, c.want)
				ok = false
			}
		}
	} else if res.Facets.District != nil || res.Facets.Stage != nil || res.Facets.Category != nil || res.Facets.Sanction != nil {
		t.Errorf("Search %s: facets %v without Facets", describe(q), res.Facets)
		ok = false
	}
	if !ok {
		return nil
	}
	return &res
}

func idsOf(docs []search.Document) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}

func (s *suite) doc(id string) *search.Document {
	for i := range s.docs {
		if s.docs[i].ID == id {
			return &s.docs[i]
		}
	}
	return nil
}

// diffDocs compares a document as upserted with one as a search gave it
// back: every field equal, PublishedAt as an instant, nil and empty lists
// alike.
func diffDocs(want, got search.Document) string {
	var out []string
	for _, c := range []struct {
		name      string
		want, got string
	}{
		{"ID", want.ID, got.ID}, {"Title", want.Title, got.Title}, {"Summary", want.Summary, got.Summary},
		{"Body", want.Body, got.Body}, {"SubjectName", want.SubjectName, got.SubjectName},
		{"School", want.School, got.School}, {"Authority", want.Authority, got.Authority},
		{"District", want.District, got.District}, {"Stage", want.Stage, got.Stage},
		{"DecisionDate", want.DecisionDate.String(), got.DecisionDate.String()},
		{"PublishUntil", want.PublishUntil.String(), got.PublishUntil.String()},
	} {
		if c.want != c.got {
			out = append(out, fmt.Sprintf("%s %q, want %q", c.name, c.got, c.want))
		}
	}
	if !slices.Equal(want.Categories, got.Categories) {
		out = append(out, fmt.Sprintf("Categories %v, want %v", got.Categories, want.Categories))
	}
	if !slices.Equal(want.Sanctions, got.Sanctions) {
		out = append(out, fmt.Sprintf("Sanctions %v, want %v", got.Sanctions, want.Sanctions))
	}
	if !got.PublishedAt.Equal(want.PublishedAt) {
		out = append(out, fmt.Sprintf("PublishedAt %v, want %v", got.PublishedAt, want.PublishedAt))
	}
	return strings.Join(out, "; ")
}

// hitIDs runs q and returns the ids of its hits (q.Limit of them at most).
func hitIDs(t *testing.T, idx search.Index, q search.Query) []string {
	t.Helper()
	res, err := idx.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search %s: %v", describe(q), err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

// testKnownAnswers checks answers written out by hand, so that a reference
// wrong in the same way as a backend cannot hide it.
func testKnownAnswers(t *testing.T, s *suite, idx search.Index) {
	q := func(text string) search.Query {
		return search.Query{Text: text, Today: Today, Limit: 100, District: "海淀区", Stage: "junior_secondary"}
	}
	for _, c := range []struct {
		text     string
		want     []string // all present
		wantNone []string // none present
	}{
		{"学生", []string{idSimplified, idTraditional, idUniversity, idMarkup}, nil},
		{"大学生", []string{idUniversity}, []string{idSimplified, idTraditional}},
		{"ａｂｃ", []string{idFullWidth, idHalfWidth}, nil},
		{"ABC 收费", []string{idFullWidth, idHalfWidth}, nil},
		{"<script>", []string{idMarkup}, []string{idSimplified}},
		{"“该教师”打人。", []string{idMarkup}, []string{idSimplified}},
		{"罚学", []string{idSimplified, idTraditional, idMarkup}, nil},
		{"罚 学", []string{idSimplified, idTraditional, idMarkup}, nil},
		{"同日决定的案例", []string{idTieA, idTieC}, []string{idTieB}},
		{"体罚 大学生", nil, []string{idSimplified, idUniversity}},
		// Words past search.MaxWords are not searched.
		{"某 中 学 教 师 侮 辱 实 习 大 不存在的词", []string{idUniversity}, []string{idSimplified}},
	} {
		got := hitIDs(t, idx, q(c.text))
		for _, id := range c.want {
			if !slices.Contains(got, id) {
				t.Errorf("Search %q: hits %v, missing %s", c.text, got, id)
			}
		}
		for _, id := range c.wantNone {
			if slices.Contains(got, id) {
				t.Errorf("Search %q: hits %v include %s", c.text, got, id)
			}
		}
	}
	// Ties in the date are broken by id, in every order.
	for _, sort := range sorts {
		tie := search.Query{Text: "同日决定", Today: Today, Limit: 10, Sort: sort}
		if got, want := hitIDs(t, idx, tie), []string{idTieA, idTieB, idTieC}; !slices.Equal(got, want) {
			t.Errorf("Search %q sorted %q: hits %v, want %v", tie.Text, sort, got, want)
		}
	}
	// A disclosure period ending on Today includes Today.
	got := hitIDs(t, idx, search.Query{Text: "择校费", Today: Today, Limit: 10})
	if !slices.Equal(got, []string{idEndsToday}) {
		t.Errorf("Search 择校费 on %s: hits %v, want only %s", Today, got, idEndsToday)
	}
	got = hitIDs(t, idx, search.Query{Text: "择校费", Today: Today.AddDays(-1), Limit: 10})
	if slices.Sort(got); !slices.Equal(got, []string{idEndsToday, idEndedBefore}) {
		t.Errorf("Search 择校费 on %s: hits %v, want both", Today.AddDays(-1), got)
	}
	got = hitIDs(t, idx, search.Query{Text: "择校费", Today: Today.AddDays(1), Limit: 10})
	if len(got) != 0 {
		t.Errorf("Search 择校费 on %s: hits %v, want none", Today.AddDays(1), got)
	}
}

// testScripts: Simplified finds Traditional and the reverse, full-width
// finds half-width and the reverse, for phrases that convert as a whole too.
func testScripts(t *testing.T, s *suite, idx search.Index) {
	pairs := [][2]string{{"体罚", "體罰"}, {"学生", "學生"}, {"教师", "教師"}, {"处理", "處理"}, {"abc", "ＡＢＣ"}}
	for _, p := range pairs {
		for _, sort := range []string{search.SortNewest, search.SortRelevance} {
			a := search.Query{Text: p[0], Today: Today, Limit: 100, Sort: sort}
			b := a
			b.Text = p[1]
			ra, rb := s.check(t, idx, a), s.check(t, idx, b)
			if ra == nil || rb == nil {
				continue
			}
			if ra.Total != rb.Total || ra.Total == 0 {
				t.Errorf("Search %q finds %d, %q finds %d; want the same, more than none", p[0], ra.Total, p[1], rb.Total)
			}
		}
	}
}

// testPunctuation: punctuation pasted around or between words is not
// matched, so a query finds what its words without it find.
func testPunctuation(t *testing.T, s *suite, idx search.Index) {
	for _, p := range [][2]string{
		{"体罚。", "体罚"}, {"体罚?", "体罚"}, {"体罚？", "体罚"}, {"“体罚”", "体罚"}, {"「体罚」", "体罚"},
		{`"体罚`, "体罚"}, {"体罚，学生", "体罚 学生"}, {"《體罰》、學生！", "体罚 学生"},
	} {
		a := search.Query{Text: p[0], Today: Today, Limit: 100, Sort: search.SortNewest}
		b := a
		b.Text = p[1]
		ra, rb := s.check(t, idx, a), s.check(t, idx, b)
		if ra == nil || rb == nil {
			continue
		}
		if ra.Total != rb.Total || ra.Total == 0 {
			t.Errorf("Search %q finds %d, %q finds %d; want the same, more than none", p[0], ra.Total, p[1], rb.Total)
		}
	}
}

// testHighlights checks escaping and marks written out by hand.
func testHighlights(t *testing.T, s *suite, idx search.Index) {
	for _, c := range []struct {
		text, id, title, summary string
	}{
		{"体罚", idMarkup, `关于&lt;b&gt;某教师&lt;/b&gt;<mark>体罚</mark>学生的通报 &amp; 处理结果`,
			`家长称&#34;该教师&#34;打人 &lt;script&gt;alert(1)&lt;/script&gt; A&amp;amp;B &#39;x&#39;`},
		{"體罰", idMarkup, `关于&lt;b&gt;某教师&lt;/b&gt;<mark>体罚</mark>学生的通报 &amp; 处理结果`,
			`家长称&#34;该教师&#34;打人 &lt;script&gt;alert(1)&lt;/script&gt; A&amp;amp;B &#39;x&#39;`},
		{"<script> amp", idMarkup, `关于&lt;b&gt;某教师&lt;/b&gt;体罚学生的通报 &amp; 处理结果`,
			`家长称&#34;该教师&#34;打人 &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; A&amp;<mark>amp</mark>;B &#39;x&#39;`},
		{"“体罚”，学生。", idMarkup, `关于&lt;b&gt;某教师&lt;/b&gt;<mark>体罚学生</mark>的通报 &amp; 处理结果`,
			`家长称&#34;该教师&#34;打人 &lt;script&gt;alert(1)&lt;/script&gt; A&amp;amp;B &#39;x&#39;`},
		{"体罚", idTraditional, "某中學教師<mark>體罰</mark>學生被處理", "該教師因<mark>體罰</mark>學生受到警告。"},
		{"教师 体罚", idSimplified, "某中学<mark>教师体罚</mark>学生被处理", "该<mark>教师</mark>因<mark>体罚</mark>学生受到警告。"},
		{"abc", idFullWidth, "<mark>ＡＢＣ</mark>国际学校教师违规收费", "<mark>ＡＢＣ</mark>国际学校教师向家长收取费用。"},
		{"", idHalfWidth, "abc双语学校教师违规收费", "abc双语学校教师向家长收取费用。"},
	} {
		res, err := idx.Search(t.Context(), search.Query{Text: c.text, Today: Today, Limit: 100, District: "海淀区"})
		if err != nil {
			t.Fatalf("Search %q: %v", c.text, err)
		}
		i := slices.IndexFunc(res.Hits, func(h search.Hit) bool { return h.ID == c.id })
		if i < 0 {
			t.Errorf("Search %q: %s not among the hits", c.text, c.id)
			continue
		}
		if h := res.Hits[i]; h.HighlightTitle != c.title || h.HighlightSummary != c.summary {
			t.Errorf("Search %q, hit %s: highlights\n %q\n %q\nwant\n %q\n %q", c.text, c.id,
				h.HighlightTitle, h.HighlightSummary, c.title, c.summary)
		}
	}
}

// testHostileValues: filter values outside the taxonomy, written to break
// out of a filter expression, match nothing and are not errors; query text
// of the same kind is only text.
func testHostileValues(t *testing.T, s *suite, idx search.Index) {
	hostile := []string{
		`海淀区" OR status = "draft`, `海淀区' OR 1=1 --`, `海淀区\" OR district EXISTS`, `"`, `\`,
		"海淀区\x00", "海淀区 OR district IS NOT EMPTY", "district = 海淀区", "*", "",
	}
	for _, v := range hostile {
		for _, q := range []search.Query{
			{District: v}, {Stage: v}, {Sanctions: []string{v}}, {Sanctions: []string{"warning", v}},
			{District: "海淀区", Stage: v},
		} {
			q.Today, q.Limit, q.Facets = Today, 100, true
			s.check(t, idx, q) // the reference: an unknown value matches nothing
		}
	}
	for _, c := range [][]int{{0}, {11}, {-1}, {1 << 40}} {
		s.check(t, idx, search.Query{Categories: c, Today: Today, Limit: 100, Facets: true})
	}
	for _, text := range []string{
		`体罚" OR "1"="1`, `"体罚"`, `\"`, `\`, `-体罚`, `体罚 -学生`, `NOT 体罚`, `体罚 OR 学生`, `*`, `学*`, `体罚~1`,
		`(体罚)`, `+体罚`, `district:海淀区`, "\x00", strings.Repeat("罚", 200),
	} {
		s.check(t, idx, search.Query{Text: text, Today: Today, Limit: 100, Facets: true})
	}
}

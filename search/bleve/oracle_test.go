package bleve

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ethicsportal/search"
	"ethicsportal/store"
)

// oracle answers a query by reading every document, straight from the contract in
// search/index.go. The index must agree with it on totals, facets and, for the date orders, on
// every hit of every page.
type oracle struct {
	f    *search.Folder
	docs []search.Document
	text []([]string) // match form of each searched part of each document
}

func newOracle(f *search.Folder, docs []search.Document) *oracle {
	o := &oracle{f: f, docs: docs}
	for _, d := range docs {
		var parts []string
		for _, s := range []string{d.Title, d.Summary, d.Body, d.SubjectName, d.School, d.Authority} {
			parts = append(parts, search.MatchText(f, s))
		}
		o.text = append(o.text, parts)
	}
	return o
}

func (o *oracle) match(q search.Query) (matched []search.Document, facets search.Facets) {
	ws := search.Words(o.f, q.Text)
	facets = search.Facets{District: map[string]int{}, Stage: map[string]int{}, Category: map[string]int{}, Sanction: map[string]int{}}
	for i, d := range o.docs {
		if !d.PublishUntil.IsZero() && d.PublishUntil.Before(q.Today) {
			continue
		}
		ok := true
		for _, w := range ws {
			if !slices.ContainsFunc(o.text[i], func(p string) bool { return strings.Contains(p, w) }) {
				ok = false
			}
		}
		if !ok ||
			(q.District != "" && d.District != q.District) ||
			(q.Stage != "" && d.Stage != q.Stage) ||
			(len(q.Categories) > 0 && !slices.ContainsFunc(d.Categories, func(c int) bool { return slices.Contains(q.Categories, c) })) ||
			(len(q.Sanctions) > 0 && !slices.ContainsFunc(d.Sanctions, func(s store.Sanction) bool { return slices.Contains(q.Sanctions, s.Type) })) ||
			(!q.From.IsZero() && (d.DecisionDate.IsZero() || d.DecisionDate.Before(q.From))) ||
			(!q.To.IsZero() && (d.DecisionDate.IsZero() || d.DecisionDate.After(q.To))) {
			continue
		}
		matched = append(matched, d)
		facets.District[d.District]++
		facets.Stage[d.Stage]++
		for _, c := range d.Categories {
			facets.Category[strconv.Itoa(c)]++
		}
		var seen []string
		for _, s := range d.Sanctions {
			if !slices.Contains(seen, s.Type) {
				seen = append(seen, s.Type)
				facets.Sanction[s.Type]++
			}
		}
	}
	return matched, facets
}

// randomQuery draws a query of one or two words from the generator's vocabulary, with filters
// some of the time.
func randomQuery(r *rand.Rand) search.Query {
	q := search.Query{Today: today, Limit: 1 + r.IntN(30)}
	vocab := oracleWords
	switch r.IntN(4) {
	case 0:
	case 1, 2:
		q.Text = vocab[r.IntN(len(vocab))]
	default:
		q.Text = vocab[r.IntN(len(vocab))] + " " + vocab[r.IntN(len(vocab))]
	}
	if r.IntN(3) == 0 {
		q.District = genDistricts[r.IntN(len(genDistricts))]
	}
	if r.IntN(4) == 0 {
		q.Stage = genStages[r.IntN(len(genStages))]
	}
	if r.IntN(4) == 0 {
		q.Categories = []int{1 + r.IntN(10), 1 + r.IntN(10)}
	}
	if r.IntN(5) == 0 {
		q.Sanctions = []string{[]string{"warning", "demerit", "dismissal", "industry_ban", "public_criticism"}[r.IntN(5)]}
	}
	if r.IntN(4) == 0 {
		q.From = store.NewDate(2016+r.IntN(8), 1, 1)
		q.To = q.From.AddDays(r.IntN(900))
	}
	q.Sort = []string{"", search.SortRelevance, search.SortNewest, search.SortOldest}[r.IntN(4)]
	q.Offset = r.IntN(3) * q.Limit
	q.Facets = r.IntN(2) == 0
	return q
}

// queryWords are what people would type: words of the generated text in either script, single
// characters, and words that occur nowhere.
var queryWords = []string{
	"体罚", "體罰", "补课", "補課", "有偿补课", "收受", "礼金", "礼品", "家长", "学生", "学生家长", "猥亵", "辱骂", "师德",
	"处分", "警告", "记过", "开除", "教师资格", "抄袭", "论文", "教辅", "回扣", "安全", "春游", "落水", "歧视",
	"择校费", "红包", "微信", "購物卡", "罚", "打", "某某", "海淀", "朝阳区", "育才", "实验小学", "数学", "英语",
	"班主任", "副校长", "十项准则", "通报", "不存在的词", "2023", "元", "教委", "骚扰", "迷信", "职称", "體", "學生",
}

// oracleWords are queryWords and words longer than maxGram, which are phrases of grams: some
// occur as they are, some only as grams apart, some in Traditional characters.
var oracleWords = append(slices.Clone(queryWords),
	"有偿补课费", "体罚学生问题", "校外培训机构", "取消当年评优评先资格", "给予警告处分", "給予警告處分",
	"违规有偿补课", "补课费用共计", "学生问题被处理", "有偿补课问题", "教师体罚学生")

func TestAgreesWithOracle(t *testing.T) {
	f := testFolder()
	docs := genCases(t, 7, 1500)
	// Some periods have ended, one ends today, others run on.
	for i := range docs {
		switch i % 7 {
		case 0:
			docs[i].PublishUntil = today.AddDays(-1 - i%30)
		case 1:
			docs[i].PublishUntil = today
		case 2:
			docs[i].PublishUntil = today.AddDays(100)
		}
	}
	x := openTest(t, t.TempDir())
	ctx := context.Background()
	for b := range slices.Chunk(docs, 400) {
		if err := x.Upsert(ctx, b...); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	agree(t, x, newOracle(f, docs), r, 200)

	// Change the index in many small writes, which leaves many segments behind (and merges
	// some): replace some documents, delete others, add new ones.
	more := genCases(t, 8, 300)
	for i := 0; i < 300; i += 10 {
		victim := r.IntN(len(docs))
		if err := x.Delete(ctx, docs[victim].ID); err != nil {
			t.Fatal(err)
		}
		docs = slices.Delete(docs, victim, victim+1)
		changed := r.IntN(len(docs))
		docs[changed].Title = "改过的标题" + docs[changed].Title
		docs[changed].District = genDistricts[r.IntN(len(genDistricts))]
		batch := append([]search.Document{docs[changed]}, more[i:i+10]...)
		if err := x.Upsert(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, more[i:i+10]...)
	}
	if n, err := x.Count(ctx); err != nil || n != len(docs) {
		t.Fatalf("count %d, %v; want %d", n, err, len(docs))
	}
	o := newOracle(f, docs)
	agree(t, x, o, r, 200)
	changed, _ := o.match(search.Query{Text: "改过的标题", Today: today})
	if got := mustSearch(t, x, search.Query{Text: "改过的标题"}); got.Total != len(changed) || len(changed) == 0 {
		t.Errorf("changed titles found %d times, want %d", got.Total, len(changed))
	}
}

// agree runs n random queries on x and on o and reports where they differ.
func agree(t *testing.T, x *Index, o *oracle, r *rand.Rand, n int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		q := randomQuery(r)
		got, err := x.Search(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		matched, facets := o.match(q)
		if got.Total != len(matched) {
			t.Errorf("%+v: total %d, want %d", q, got.Total, len(matched))
			continue
		}
		if q.Facets {
			for name, pair := range map[string][2]map[string]int{
				"district": {got.Facets.District, facets.District}, "stage": {got.Facets.Stage, facets.Stage},
				"category": {got.Facets.Category, facets.Category}, "sanction": {got.Facets.Sanction, facets.Sanction},
			} {
				if !maps.Equal(pair[0], pair[1]) {
					t.Errorf("%+v: %s facet %v, want %v", q, name, pair[0], pair[1])
				}
			}
		} else if got.Facets.District != nil {
			t.Errorf("%+v: facets without asking", q)
		}
		wantLen := min(q.Limit, max(0, len(matched)-q.Offset))
		if len(got.Hits) != wantLen {
			t.Errorf("%+v: %d hits, want %d", q, len(got.Hits), wantLen)
			continue
		}
		ranked := q.Sort == search.SortNewest || q.Sort == search.SortOldest || strings.TrimSpace(q.Text) == ""
		if ranked {
			slices.SortFunc(matched, func(a, b search.Document) int {
				c := strings.Compare(b.DecisionDate.String(), a.DecisionDate.String())
				if q.Sort == search.SortOldest {
					c = -c
				}
				if c == 0 {
					c = strings.Compare(a.ID, b.ID)
				}
				return c
			})
			for i, h := range got.Hits {
				if h.ID != matched[q.Offset+i].ID {
					t.Errorf("%+v: hit %d is %s, want %s", q, i, h.ID, matched[q.Offset+i].ID)
					break
				}
			}
			continue
		}
		// Relevance: every hit matches, none repeats.
		want := map[string]bool{}
		for _, d := range matched {
			want[d.ID] = true
		}
		for _, h := range got.Hits {
			if !want[h.ID] {
				t.Errorf("%+v: hit %s does not match", q, h.ID)
			}
			delete(want, h.ID)
		}
	}
}

func TestRelevancePutsTitleMatchesFirstAndPagesStably(t *testing.T) {
	x := openTest(t, t.TempDir())
	ctx := context.Background()
	var docs []search.Document
	for i := range 30 {
		d := doc("d"+strconv.Itoa(100+i), "一般问题", "正文提到体罚一次")
		d.DecisionDate = store.NewDate(2020, 1, 1+i%5)
		docs = append(docs, d)
	}
	top := doc("title", "教师体罚学生", "正文提到体罚一次")
	docs = append(docs, top)
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	all := ids(mustSearch(t, x, search.Query{Text: "体罚", Limit: 100}))
	if len(all) != 31 || all[0] != "title" {
		t.Fatalf("relevance order %v", all)
	}
	// The rest tie on score: newest first, then by ID.
	rest := slices.Clone(docs[:30])
	slices.SortFunc(rest, func(a, b search.Document) int {
		if c := strings.Compare(b.DecisionDate.String(), a.DecisionDate.String()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i, d := range rest {
		if all[i+1] != d.ID {
			t.Fatalf("tie order %v", all)
		}
	}
	var paged []string
	for off := 0; off < 31; off += 7 {
		paged = append(paged, ids(mustSearch(t, x, search.Query{Text: "体罚", Limit: 7, Offset: off}))...)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("pages %v differ from %v", paged, all)
	}
}

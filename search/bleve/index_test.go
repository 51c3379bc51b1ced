package bleve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
)

var testFolder = sync.OnceValue(func() *search.Folder {
	f, err := search.NewFolder()
	if err != nil {
		panic(err)
	}
	return f
})

func openTest(t *testing.T, dir string) *Index {
	t.Helper()
	x, err := Open(dir, testFolder())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

var today = store.NewDate(2025, 6, 1)

func day(s string) store.Date {
	d, err := store.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func doc(id, title, summary string) search.Document {
	return search.Document{
		ID: id, Title: title, Summary: summary, District: "海淀区", Stage: "primary",
		Categories: []int{5}, Sanctions: []store.Sanction{{Type: "warning", Detail: "警告"}},
		DecisionDate: day("2024-03-01"), PublishedAt: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC),
	}
}

func ids(r search.Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

func mustSearch(t *testing.T, x *Index, q search.Query) search.Result {
	t.Helper()
	if q.Today.IsZero() {
		q.Today = today
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	r, err := x.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return r
}

func TestMatchingIsSubstringOfFoldedText(t *testing.T) {
	x := openTest(t, t.TempDir())
	ctx := context.Background()
	docs := []search.Document{
		doc("simp", "教师体罚学生问题", "罚站两节课"),
		doc("trad", "教師體罰學生問題", "罰站兩節課"),
		doc("reversed", "学生罚体", "无关"),
		doc("split", "某某体", "罚款"), // 体 ends the title, 罚 starts the summary
		doc("latin", "ＫＴＶ包厢2023年", "Wechat红包"),
		doc("long", "违规收取有偿补课费用共计五千元", ""),
		doc("parts", "有偿补课问题", "补课费用另计"), // every gram of 有偿补课费用, never in a row
		doc("across", "违规有偿补", "课费用"),    // 有偿补课费用 across the end of the title
		doc("five", "哈哈哈哈哈", "哈哈哈哈"),     // 哈 five times in a row, then four
		doc("six", "说哈哈哈哈哈哈", ""),        // six in a row
	}
	docs[2].Body = "正文中有一个字：罚"
	docs[3].School = "育才小学"
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"体罚", []string{"simp", "trad"}},
		{"體罰", []string{"simp", "trad"}},
		{"体罚学生问题", []string{"simp", "trad"}},
		{"罚", []string{"simp", "trad", "reversed", "split"}},
		{"體", []string{"simp", "trad", "reversed", "split"}},
		{"罚体", []string{"reversed"}},
		{"体 罚", []string{"simp", "trad", "reversed", "split"}},
		{"某某体罚", nil},
		{"体罚 育才", nil},
		{"罚款 育才", []string{"split"}},
		{"ktv", []string{"latin"}},
		{"TV包", []string{"latin"}},
		{"23年", []string{"latin"}},
		{"wechat紅包", []string{"latin"}},
		{"：罚", []string{"simp", "trad", "reversed", "split"}}, // punctuation is not matched
		{"“罚体”。", []string{"reversed"}},
		{"学生 问题 罚站", []string{"simp", "trad"}},
		{"不存在", nil},
		// Words longer than four characters are phrases of four-character grams.
		{"有偿补课费用", []string{"long"}},
		{"偿补课费用", []string{"long"}},
		{"收取有偿补课费用共计", []string{"long"}},
		{"有偿补课 补课费用", []string{"long", "parts"}},
		{"教师体罚学生", []string{"simp", "trad"}},
		{"教師體罰學生問題", []string{"simp", "trad"}},
		// A word whose grams repeat: its grams overlap, and only a run as long as the word has them
		// at the right distance.
		{"哈哈哈哈哈", []string{"five", "six"}},
		{"哈哈哈哈哈哈", []string{"six"}},
		{"哈哈哈哈哈哈哈", nil},
		{"说哈哈哈哈哈", []string{"six"}},
		{"有偿补课费用 违规", []string{"long"}},
	} {
		r := mustSearch(t, x, search.Query{Text: c.q})
		got := ids(r)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) || r.Total != len(want) {
			t.Errorf("%q: got %v (total %d), want %v", c.q, got, r.Total, want)
		}
	}
}

func TestPhraseGrams(t *testing.T) {
	for w, want := range map[string][]string{
		"体罚":        nil,
		"有偿补课":      nil,
		"有偿补课费":     {"有偿补课", "偿补课费"},
		"有偿补课费用":    {"有偿补课", "", "补课费用"},
		"违规收取有偿补课费": {"违规收取", "", "", "", "有偿补课", "偿补课费"},
		"abcdefgh":  {"abcd", "", "", "", "efgh"},
	} {
		if got := phraseGrams(w); !slices.Equal(got, want) {
			t.Errorf("phraseGrams(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestGramAnalyzer(t *testing.T) {
	type tok struct {
		term string
		pos  int
	}
	grams := func(g gramAnalyzer, text string) []tok {
		var out []tok
		for _, tk := range g.Analyze([]byte(text)) {
			out = append(out, tok{string(tk.Term), tk.Position})
		}
		return out
	}
	got := grams(shortGrams, "体罚学 a")
	want := []tok{{"体", 1}, {"体罚", 1}, {"罚", 2}, {"体罚学", 1}, {"罚学", 2}, {"学", 3}, {"a", 5}}
	if !slices.Equal(got, want) {
		t.Errorf("short grams %v, want %v", got, want)
	}
	got = grams(longGrams, "体罚学生的 问题")
	want = []tok{{"体罚学生", 1}, {"罚学生的", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("long grams %v, want %v", got, want)
	}
}

func TestDisplayTextAndHighlights(t *testing.T) {
	x := openTest(t, t.TempDir())
	d := doc("a", "<b>體罰</b> & 体罚", "罰站")
	d.Body, d.SubjectName, d.School, d.Authority = "正文\n\n第二段", "张某某", "育才小学", "海淀区教委"
	d.Categories = []int{5, 7}
	d.Sanctions = []store.Sanction{{Type: "warning", Detail: "警告"}, {Type: "public_criticism", Detail: "通报批评"}}
	d.PublishUntil = day("2026-01-01")
	if err := x.Upsert(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	r := mustSearch(t, x, search.Query{Text: "体罚"})
	if len(r.Hits) != 1 {
		t.Fatalf("hits %v", ids(r))
	}
	h := r.Hits[0]
	if got := h.Document; !sameDoc(got, d) {
		t.Errorf("document came back as %+v, want %+v", got, d)
	}
	if want := "&lt;b&gt;<mark>體罰</mark>&lt;/b&gt; &amp; <mark>体罚</mark>"; h.HighlightTitle != want {
		t.Errorf("title highlight %q, want %q", h.HighlightTitle, want)
	}
	r = mustSearch(t, x, search.Query{})
	if got := r.Hits[0].HighlightTitle; got != "&lt;b&gt;體罰&lt;/b&gt; &amp; 体罚" {
		t.Errorf("highlight without text %q", got)
	}
}

func sameDoc(a, b search.Document) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary && a.Body == b.Body &&
		a.SubjectName == b.SubjectName && a.School == b.School && a.Authority == b.Authority &&
		a.District == b.District && a.Stage == b.Stage && slices.Equal(a.Categories, b.Categories) &&
		slices.Equal(a.Sanctions, b.Sanctions) && a.DecisionDate == b.DecisionDate &&
		a.PublishedAt.Equal(b.PublishedAt) && a.PublishUntil == b.PublishUntil
}

func TestUpsertReplacesDeleteRemovesAndExpiryHides(t *testing.T) {
	x := openTest(t, t.TempDir())
	ctx := context.Background()
	a, b := doc("a", "体罚", ""), doc("b", "补课", "")
	b.PublishUntil = today // the last day it shows
	if err := x.Upsert(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustSearch(t, x, search.Query{})); len(got) != 2 {
		t.Fatalf("both visible on their last day: %v", got)
	}
	if got := ids(mustSearch(t, x, search.Query{Today: today.AddDays(1)})); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after b's period: %v", got)
	}
	a.Title = "收受礼金"
	if err := x.Upsert(ctx, a, a); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustSearch(t, x, search.Query{Text: "体罚"})); len(got) != 0 {
		t.Errorf("old text still found: %v", got)
	}
	if got := ids(mustSearch(t, x, search.Query{Text: "礼金"})); !slices.Equal(got, []string{"a"}) {
		t.Errorf("new text: %v", got)
	}
	if err := x.Delete(ctx, "a", "unknown"); err != nil {
		t.Fatal(err)
	}
	if n, err := x.Count(ctx); err != nil || n != 1 {
		t.Errorf("count %d, %v", n, err)
	}
	if got := ids(mustSearch(t, x, search.Query{Text: "礼金"})); len(got) != 0 {
		t.Errorf("deleted document found: %v", got)
	}
}

func TestInvalidQueries(t *testing.T) {
	x := openTest(t, t.TempDir())
	for _, q := range []search.Query{
		{Today: today, Limit: 0},
		{Today: today, Limit: 101},
		{Today: today, Limit: 10, Offset: -1},
		{Limit: 10},
		{Today: today, Limit: 10, Sort: "random"},
	} {
		if _, err := x.Search(context.Background(), q); err == nil || errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%+v: error %v, want an invalid-query error", q, err)
		}
	}
	// A filter value is looked up whole: syntax in it is just an unknown value.
	r := mustSearch(t, x, search.Query{District: `海淀区" OR status = "draft`})
	if r.Total != 0 {
		t.Errorf("injection string matched %d", r.Total)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir, testFolder())
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Upsert(context.Background(), doc("a", "體罰", ""), doc("b", "补课", "")); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Search(context.Background(), search.Query{Today: today, Limit: 1}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("search after close: %v", err)
	}
	y := openTest(t, dir)
	if got := ids(mustSearch(t, y, search.Query{Text: "体罚"})); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after reopen: %v", got)
	}
}

func TestOpenFailsWhileAnotherHoldsTheIndex(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	start := time.Now()
	if y, err := Open(dir, testFolder()); err == nil {
		y.Close()
		t.Fatal("a second Open of one directory succeeded")
	}
	if d := time.Since(start); d > 10*lockWait {
		t.Errorf("the second Open took %v", d)
	}
}

func TestRebuild(t *testing.T) {
	dir := t.TempDir()
	x := openTest(t, dir)
	ctx := context.Background()
	if err := x.Upsert(ctx, doc("old", "旧的", "")); err != nil {
		t.Fatal(err)
	}

	// A failing fill keeps the old index and leaves no build behind.
	boom := errors.New("store went away")
	err := x.Rebuild(ctx, func(put func([]search.Document) error) error {
		if err := put([]search.Document{doc("new1", "新的", "")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("rebuild error %v", err)
	}
	if got := ids(mustSearch(t, x, search.Query{})); !slices.Equal(got, []string{"old"}) {
		t.Errorf("after a failed rebuild: %v", got)
	}
	assertOnlyCurrent(t, dir)

	// Searches during a rebuild see the old index whole until it returns. Batches of two make
	// the three documents two batches.
	x.rebuildBatch = 2
	var seen []string
	err = x.Rebuild(ctx, func(put func([]search.Document) error) error {
		for i := range 3 {
			if err := put([]search.Document{doc("new"+strconv.Itoa(i), "新的", "")}); err != nil {
				return err
			}
			seen = append(seen, strings.Join(ids(mustSearch(t, x, search.Query{})), ","))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"old", "old", "old"}; !slices.Equal(seen, want) {
		t.Errorf("during the rebuild searches saw %v", seen)
	}
	got := ids(mustSearch(t, x, search.Query{}))
	slices.Sort(got)
	if !slices.Equal(got, []string{"new0", "new1", "new2"}) {
		t.Errorf("after the rebuild: %v", got)
	}
	assertOnlyCurrent(t, dir)

	// The rebuilt index is the one found after a reopen.
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y := openTest(t, dir)
	if n, err := y.Count(ctx); err != nil || n != 3 {
		t.Errorf("count after reopen %d, %v", n, err)
	}
}

func TestRebuildConcurrentSearchesSeeOneIndexWhole(t *testing.T) {
	x := openTest(t, t.TempDir())
	ctx := context.Background()
	var olds []search.Document
	for i := range 50 {
		olds = append(olds, doc("o"+strconv.Itoa(i), "旧的", ""))
	}
	if err := x.Upsert(ctx, olds...); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := x.Search(ctx, search.Query{Today: today, Limit: 1, Facets: true})
				if err != nil {
					errs <- err.Error()
					return
				}
				if r.Total != 50 && r.Total != 80 {
					errs <- "total " + strconv.Itoa(r.Total)
					return
				}
			}
		})
	}
	for range 2 {
		err := x.Rebuild(ctx, func(put func([]search.Document) error) error {
			var news []search.Document
			for i := range 80 {
				news = append(news, doc("n"+strconv.Itoa(i), "新的", ""))
			}
			return put(news)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestOpenRecoversFromACrashedRebuild(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir, testFolder())
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Upsert(context.Background(), doc("a", "体罚", "")); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// What a crash in the middle of a rebuild leaves: a half-built index and a temporary
	// CURRENT that was never renamed.
	half := filepath.Join(dir, "idx-2")
	if err := os.MkdirAll(filepath.Join(half, "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CURRENT.tmp"), []byte("idx-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	y := openTest(t, dir)
	if got := ids(mustSearch(t, y, search.Query{Text: "体罚"})); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after recovery: %v", got)
	}
	assertOnlyCurrent(t, dir)
	// The next rebuild reuses the name without trouble.
	if err := y.Rebuild(context.Background(), func(put func([]search.Document) error) error {
		return put([]search.Document{doc("b", "补课", "")})
	}); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustSearch(t, y, search.Query{})); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after rebuild: %v", got)
	}
}

func assertOnlyCurrent(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{currentFile, lockFile, strings.TrimSpace(string(cur))}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("%s holds %v, want %v", dir, names, want)
	}
}

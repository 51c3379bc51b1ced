// Package searchtest is the conformance suite every search.Index must pass,
// in the manner of testing/fstest.TestFS: an implementation's own test
// calls Run with a way to open fresh indexes.
//
// The suite holds a corpus of synthetic cases (Generate, plus cases made by
// hand for the edges: Traditional and Simplified, full-width letters, markup
// in titles, disclosure periods ending on the day searched) and a reference
// that answers every query by brute force, by the contract of search.Query:
// each backend's totals, hits, order, facets and highlights are compared
// with it. It synchronises with channels, never with sleeps.
package searchtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Run runs the suite. open returns a new, empty index of its own, which
// open's own t.Cleanup closes and removes; the suite calls it once for the
// query tests (loading the corpus into that index) and once for each test
// that writes.
func Run(t *testing.T, open func(t *testing.T) search.Index) {
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{open: open, f: f, docs: Corpus(), highlights: map[[2]string]string{}}
	s.ref = newReference(f, s.docs)
	t.Run("Empty", s.testEmpty)
	t.Run("Queries", func(t *testing.T) {
		idx := s.loaded(t)
		for _, tc := range queryTests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, s, idx) })
		}
	})
	for _, tc := range writeTests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

type suite struct {
	open func(t *testing.T) search.Index
	f    *search.Folder
	docs []search.Document
	ref  *reference

	mu         sync.Mutex
	highlights map[[2]string]string // search.Highlight by text and words, computed once
}

// highlight returns search.Highlight(s.f, text, words).
func (s *suite) highlight(text string, words []string) string {
	key := [2]string{text, fmt.Sprintf("%q", words)}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.highlights[key]
	if !ok {
		h = search.Highlight(s.f, text, words)
		s.highlights[key] = h
	}
	return h
}

type queryTest struct {
	name string
	fn   func(t *testing.T, s *suite, idx search.Index)
}

type writeTest struct {
	name string
	fn   func(t *testing.T, s *suite)
}

var queryTests = []queryTest{
	{"Matrix", testMatrix},
	{"Paging", testPaging},
	{"KnownAnswers", testKnownAnswers},
	{"Scripts", testScripts},
	{"Punctuation", testPunctuation},
	{"Highlights", testHighlights},
	{"HostileValues", testHostileValues},
	{"InvalidQuery", testInvalidQuery},
	{"Count", testCount},
}

var writeTests = []writeTest{
	{"UpsertReplaces", testUpsertReplaces},
	{"Delete", testDelete},
	{"Rebuild", testRebuild},
	{"RebuildFails", testRebuildFails},
	{"RebuildWritesMeanwhile", testRebuildWritesMeanwhile},
	{"RebuildAtomic", testRebuildAtomic},
}

// Cases made by hand for the edges; their ids are fixed so that the known
// answers below can name them.
const (
	idSimplified  = "aaaaaaaaaaaaaaa2" // 体罚 in Simplified
	idTraditional = "aaaaaaaaaaaaaaa3" // 體罰 in Traditional
	idUniversity  = "aaaaaaaaaaaaaaa4" // 学生 only inside 大学生
	idMarkup      = "aaaaaaaaaaaaaaa5" // markup and entities in the title and summary
	idFullWidth   = "aaaaaaaaaaaaaaa6" // ＡＢＣ, full-width
	idHalfWidth   = "aaaaaaaaaaaaaaa7" // abc, half-width
	idEndsToday   = "aaaaaaaaaaaaaaa8" // disclosure ends on Today: still shown
	idEndedBefore = "aaaaaaaaaaaaaaa9" // ended the day before Today: never shown
	idTieA        = "bbbbbbbbbbbbbbb2" // three cases decided on one day
	idTieB        = "bbbbbbbbbbbbbbb3"
	idTieC        = "bbbbbbbbbbbbbbb4"
)

// Corpus returns the suite's documents: Generate(7, 150) and the cases made
// by hand.
func Corpus() []search.Document {
	day := store.NewDate(2023, time.March, 15)
	at := time.Date(2023, time.March, 20, 10, 30, 0, 123456789, store.Beijing)
	hand := func(id, title, summary, body, school string) search.Document {
		return search.Document{
			ID: id, Title: title, Summary: summary, Body: body, SubjectName: "张某某", School: school,
			Authority: "海淀区教育委员会", District: "海淀区", Stage: "junior_secondary",
			Categories: []int{5}, Sanctions: []store.Sanction{{Type: "warning", Detail: "给予警告处分"}},
			DecisionDate: day, PublishedAt: at,
		}
	}
	docs := Generate(7, 150)
	docs = append(docs,
		hand(idSimplified, "某中学教师体罚学生被处理", "该教师因体罚学生受到警告。", "经查属实。", "北京市某中学"),
		hand(idTraditional, "某中學教師體罰學生被處理", "該教師因體罰學生受到警告。", "經查屬實。", "北京市某中學"),
		hand(idUniversity, "某附属中学教师侮辱实习大学生", "该教师多次当众侮辱前来实习的大学生。",
			"该教师的行为违反了职业道德。", "北京市某附属中学"),
		hand(idMarkup, `关于<b>某教师</b>体罚学生的通报 & 处理结果`,
			`家长称"该教师"打人 <script>alert(1)</script> A&amp;B 'x'`, "详见通报。", "某中学"),
		hand(idFullWidth, "ＡＢＣ国际学校教师违规收费", "ＡＢＣ国际学校教师向家长收取费用。", "经查属实。", "ＡＢＣ国际学校"),
		hand(idHalfWidth, "abc双语学校教师违规收费", "abc双语学校教师向家长收取费用。", "经查属实。", "abc双语学校"),
		hand(idEndsToday, "某小学教师违规收取择校费", "该教师违规收取择校费。", "经查属实。", "某小学"),
		hand(idEndedBefore, "某幼儿园教师违规收取择校费", "该教师违规收取择校费。", "经查属实。", "某幼儿园"),
		hand(idTieA, "同日决定的案例甲", "同日决定。", "同日。", "某中学"),
		hand(idTieB, "同日决定的案例乙", "同日决定。", "同日。", "某中学"),
		hand(idTieC, "同日决定的案例丙", "同日决定。", "同日。", "某中学"),
	)
	for i := range docs {
		switch d := &docs[i]; d.ID {
		case idEndsToday:
			d.PublishUntil, d.Stage = Today, "primary"
		case idEndedBefore:
			d.PublishUntil, d.Stage = Today.AddDays(-1), "kindergarten"
		case idTieA:
			d.Categories = []int{5, 10}
			d.Sanctions = append(d.Sanctions, store.Sanction{Type: "industry_ban", Detail: "禁止从事教育工作三年"})
		case idTieB:
			d.District, d.Authority = "朝阳区", "朝阳区教育委员会"
		}
	}
	return docs
}

// loaded opens an index and upserts the corpus into it, in batches.
func (s *suite) loaded(t *testing.T) search.Index {
	t.Helper()
	idx := s.open(t)
	for i := 0; i < len(s.docs); i += 50 {
		if err := idx.Upsert(t.Context(), s.docs[i:min(i+50, len(s.docs))]...); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
	}
	return idx
}

func (s *suite) testEmpty(t *testing.T) {
	idx := s.open(t)
	if err := idx.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n, err := idx.Count(t.Context()); err != nil || n != 0 {
		t.Fatalf("Count of a new index = %d, %v; want 0", n, err)
	}
	for _, text := range []string{"", "体罚"} {
		res, err := idx.Search(t.Context(), search.Query{Text: text, Today: Today, Limit: 10, Facets: true})
		if err != nil {
			t.Fatalf("Search(%q) on an empty index: %v", text, err)
		}
		if res.Total != 0 || len(res.Hits) != 0 || len(res.Facets.District)+len(res.Facets.Stage)+
			len(res.Facets.Category)+len(res.Facets.Sanction) != 0 {
			t.Fatalf("Search(%q) on an empty index = %+v; want nothing", text, res)
		}
	}
	if err := idx.Delete(t.Context(), "nosuchid"); err != nil {
		t.Fatalf("Delete of an unknown id: %v", err)
	}
	if err := idx.Upsert(t.Context()); err != nil {
		t.Fatalf("Upsert of nothing: %v", err)
	}
	if err := idx.Delete(t.Context()); err != nil {
		t.Fatalf("Delete of nothing: %v", err)
	}
}

func testCount(t *testing.T, s *suite, idx search.Index) {
	// Count counts what the index holds, expired or not.
	if n, err := idx.Count(t.Context()); err != nil || n != len(s.docs) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(s.docs))
	}
	if err := idx.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testInvalidQuery(t *testing.T, s *suite, idx search.Index) {
	for name, q := range map[string]search.Query{
		"limit 0":      {Today: Today, Limit: 0},
		"limit 101":    {Today: Today, Limit: 101},
		"offset -1":    {Today: Today, Limit: 10, Offset: -1},
		"unknown sort": {Today: Today, Limit: 10, Sort: "price"},
		"no today":     {Limit: 10},
	} {
		_, err := idx.Search(t.Context(), q)
		if err == nil {
			t.Errorf("Search with %s: no error", name)
		} else if errors.Is(err, search.ErrUnavailable) {
			t.Errorf("Search with %s: %v, which says the engine is unavailable", name, err)
		}
	}
}

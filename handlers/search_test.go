package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"ethicsportal/outbox"
	"ethicsportal/search/meili/meilitest"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// TestSearchRefusesBadInput: every parameter outside what API.md allows is
// a 400 problem naming it, never a 500, and never reaches the index: filter
// injection strings are simply not districts, stages or sanctions.
func TestSearchRefusesBadInput(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_SEARCH": "100000/s"})
	long := strings.Repeat("体", 201)
	for _, tt := range []struct {
		name  string
		query string
		field string
	}{
		{"unknown district", "district=" + url.QueryEscape("北京区"), "district"},
		{"district injection", "district=" + url.QueryEscape(`海淀区" OR status = "draft`), "district"},
		{"district injection with quotes", "district=" + url.QueryEscape(`海淀区' OR 1=1 --`), "district"},
		{"district with a second name", "district=" + url.QueryEscape("海淀区 朝阳区"), "district"},
		{"unknown stage", "stage=university", "stage"},
		{"stage injection", "stage=" + url.QueryEscape(`primary" OR status = "draft`), "stage"},
		{"category zero", "category=0", "category"},
		{"category eleven", "category=11", "category"},
		{"category not a number", "category=five", "category"},
		{"category injection", "category=" + url.QueryEscape("5 OR 1=1"), "category"},
		{"one bad category among good", "category=5&category=12", "category"},
		{"unknown sanction", "sanction=execution", "sanction"},
		{"sanction injection", "sanction=" + url.QueryEscape(`warning" OR status = "draft`), "sanction"},
		{"bad from", "from=2026-02-30", "from"},
		{"from not a date", "from=yesterday", "from"},
		{"to with a time", "to=" + url.QueryEscape("2026-05-01T00:00:00Z"), "to"},
		{"from after to", "from=2026-05-02&to=2026-05-01", "from"},
		{"unknown sort", "sort=random", "sort"},
		{"sort injection", "sort=" + url.QueryEscape("decision_date:asc"), "sort"},
		{"page zero", "page=0", "page"},
		{"page negative", "page=-1", "page"},
		{"page not a number", "page=two", "page"},
		{"page with a sign", "page=%2B2", "page"},
		{"page huge", "page=99999999999999999999", "page"},
		{"page past the depth cap", "page=501&per_page=20", "page"},
		{"page past the depth cap at 100", "page=101&per_page=100", "page"},
		{"per_page zero", "per_page=0", "per_page"},
		{"per_page over 100", "per_page=101", "per_page"},
		{"per_page not a number", "per_page=1e2", "per_page"},
		{"q over 200 characters", "q=" + url.QueryEscape(long), "q"},
		{"q with a control character", "q=" + url.QueryEscape("体罚\x00"), "q"},
		{"q with a bidi override", "q=" + url.QueryEscape("体\u202e罚"), "q"},
		{"q twice", "q=a&q=b", "q"},
		{"q badly percent-encoded", "q=%zz", "q"},
		{"q with a cut-off escape", "q=" + url.QueryEscape("体罚") + "%e", "q"},
		{"q with a lone percent", "q=50%", "q"},
		{"district badly percent-encoded", "district=%g1", "district"},
		{"category badly percent-encoded", "category=5&category=%zz", "category"},
		{"q reported first", "page=%zz&q=%zz", "q"},
		{"district twice", "district=" + url.QueryEscape("海淀区") + "&district=" + url.QueryEscape("朝阳区"), "district"},
		{"page twice", "page=1&page=2", "page"},
		{"sort twice", "sort=newest&sort=oldest", "sort"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/api/v1/cases?"+tt.query, nil)
			wantProblem(t, r, 400, "invalid_field")
			if f := r.str("field"); f != tt.field {
				t.Fatalf("field %q, want %q; body %s", f, tt.field, r.body)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q on a problem", r.header.Get("Cache-Control"))
			}
		})
	}
	// Not UTF-8 once decoded: refused before the handler.
	wantProblem(t, e.do("GET", "/api/v1/cases?q=%ff", nil), 400, "invalid_utf8")
}

// TestSearchLimits: the edges API.md allows are accepted.
func TestSearchLimits(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_SEARCH": "100000/s"})
	for _, q := range []string{
		"q=" + url.QueryEscape(strings.Repeat("体", 200)),
		"q=" + url.QueryEscape("  "+strings.Repeat("體", 200)+"\t "), // trimmed first
		"page=500&per_page=20",
		"page=100&per_page=100",
		"q=" + url.QueryEscape("50% 体罚"), // a percent sign well encoded
		"q=a&lang=%zz",                   // a bad escape in a parameter search does not read
		"per_page=1&page=10000",
		"from=2026-05-01&to=2026-05-01",
		"category=1&category=10&category=10",
		"district=" + url.QueryEscape("海澱區"),        // folded to 海淀区
		"district=" + url.QueryEscape(" 海淀区\u3000"), // white space trimmed
		"district=&stage=&sort=&page=&per_page=&from=&to=&category=&sanction=",
		"lang=en&utm_source=x", // unknown parameters are ignored
	} {
		r := e.do("GET", "/api/v1/cases?"+q, nil)
		if r.status != 200 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// putCase writes a published case straight into the store with its
// case.changed message, as a publication does, and delivers the outbox.
func (e *env) putCase(title string, district string, categories []int) string {
	e.t.Helper()
	ctx := context.Background()
	b := make([]byte, 10)
	rand.Read(b)
	now := e.clock.Now()
	c := store.Case{
		ID: strings.ToLower(base32.StdEncoding.EncodeToString(b)),
		CaseContent: store.CaseContent{
			Title: title, Summary: "经查，" + title + "属实。", Body: "正文。", SubjectName: "李某某",
			School: "北京市某小学", District: district, Stage: "primary", Categories: categories,
			Sanctions:    []store.Sanction{{Type: "industry_ban", Detail: "禁止从事教育工作五年"}},
			IncidentDate: store.NewDate(2026, 1, 5), DecisionDate: store.NewDate(2026, 2, 5), Authority: "区教育委员会",
		},
		CertificateNo: "20191100000000009",
		Status:        store.CasePublished, CreatedBy: "editor", CreatedAt: now, UpdatedAt: now, PublishedAt: now,
	}
	err := e.app.Store().Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, now, "case.changed", "case:"+c.ID, map[string]string{"case_id": c.ID})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for {
		n, err := e.app.DrainOutbox(ctx, "test")
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return c.ID
		}
	}
}

// TestSearchAPI: the answer has the shape API.md gives, may be cached
// briefly by anyone, and carries the rate-limit headers.
func TestSearchAPI(t *testing.T) {
	for _, backend := range []string{"bleve", "meili"} {
		t.Run(backend, func(t *testing.T) {
			vars := map[string]string{"PORTAL_RATE_SEARCH": "100000/s"}
			if backend == "meili" {
				mc := meilitest.Config(t)
				vars["PORTAL_MEILI_URL"], vars["PORTAL_MEILI_KEY"], vars["PORTAL_MEILI_INDEX"] = mc.URL, mc.Key, mc.Index
			}
			testSearchAPI(t, newEnv(t, vars))
		})
	}
}

func testSearchAPI(t *testing.T, e *env) {
	id := e.putCase("某小学教师體罰學生案", "朝阳区", []int{5, 7})
	e.putCase("某小学教师收受礼品案", "海淀区", []int{9})

	r := e.do("GET", "/api/v1/cases?q="+url.QueryEscape("体罚")+"&category=5", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("search: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=15" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if r.header.Get("RateLimit-Limit") == "" || r.header.Get("X-Request-ID") == "" {
		t.Fatalf("headers %v", r.header)
	}
	var ans struct {
		Total   int `json:"total"`
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
		Hits    []struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			SubjectName string `json:"subject_name"`
			District    string `json:"district"`
			Categories  []int  `json:"categories"`
			Sanctions   []struct {
				Type, Detail string
			} `json:"sanctions"`
			DecisionDate string `json:"decision_date"`
			PublishedAt  string `json:"published_at"`
			URL          string `json:"url"`
			Highlight    struct {
				Title, Summary string
			} `json:"highlight"`
		} `json:"hits"`
		Facets map[string]map[string]int `json:"facets"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Total != 1 || ans.Page != 1 || ans.PerPage != 20 || len(ans.Hits) != 1 {
		t.Fatalf("answer %s", r.body)
	}
	h := ans.Hits[0]
	if h.ID != id || h.URL != "http://portal.test/cases/"+id || h.District != "朝阳区" || len(h.Categories) != 2 ||
		h.Sanctions[0].Type != "industry_ban" || h.DecisionDate != "2026-02-05" || h.PublishedAt == "" || h.SubjectName != "李某某" {
		t.Fatalf("hit %s", r.body)
	}
	if h.Highlight.Title != "某小学教师<mark>體罰</mark>學生案" {
		t.Fatalf("highlight %q", h.Highlight.Title)
	}
	if ans.Facets["category"]["5"] != 1 || ans.Facets["category"]["7"] != 1 || ans.Facets["district"]["朝阳区"] != 1 || ans.Facets["sanction"]["industry_ban"] != 1 {
		t.Fatalf("facets %v", ans.Facets)
	}
	for _, forbidden := range []string{"20191100000000009", "certificate_no", "body", "authority"} {
		if strings.Contains(string(r.body), forbidden) {
			t.Fatalf("the answer carries %q: %s", forbidden, r.body)
		}
	}
	// Facets are objects even when nothing matches.
	r = e.do("GET", "/api/v1/cases?q="+url.QueryEscape("没有这样的案例"), nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"hits":[]`) || !strings.Contains(string(r.body), `"facets":{"district":{},"stage":{},"category":{},"sanction":{}}`) {
		t.Fatalf("empty answer: %d %s", r.status, r.body)
	}
}

func TestSearchRateLimited(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_SEARCH": "2/m"})
	for range 2 {
		if r := e.do("GET", "/api/v1/cases", nil); r.status != 200 {
			t.Fatalf("within the allowance: %d %s", r.status, r.body)
		}
	}
	r := e.do("GET", "/api/v1/cases", nil)
	wantProblem(t, r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// TestSearchWithoutTheIndex: an instance that cannot open the index (here
// another holds the embedded one) answers search with a clear 503 and
// names the index in /readyz, while everything else works.
func TestSearchWithoutTheIndex(t *testing.T) {
	cfg := testConfig(t, map[string]string{"PORTAL_RATE_SEARCH": "100000/s"})
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	path := t.TempDir() + "/portal.db"
	open := func() store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	holder := newEnvOn(t, cfg, open(), ck)
	if r := holder.do("GET", "/readyz", nil); r.status != 200 {
		t.Fatalf("readyz on the instance with the index: %d %s", r.status, r.body)
	}
	e := newEnvOn(t, cfg, open(), ck)
	r := e.do("GET", "/api/v1/cases?q="+url.QueryEscape("体罚"), nil)
	wantProblem(t, r, 503, "unavailable")
	if !strings.Contains(r.str("detail"), "search") {
		t.Fatalf("detail %q", r.str("detail"))
	}
	r = e.do("GET", "/readyz", nil)
	wantProblem(t, r, 503, "unavailable")
	if !strings.Contains(r.str("detail"), "index") || strings.Contains(r.str("detail"), "store") {
		t.Fatalf("readyz detail %q", r.str("detail"))
	}
	if r := e.do("GET", "/api/v1/taxonomy", nil); r.status != 200 {
		t.Fatalf("taxonomy without the index: %d", r.status)
	}
}

// TestActionsReachSearch: publication, amendment and withdrawal applied
// through two-person actions reach search within two seconds each, with
// the outbox worker running as the server runs it; a case past its
// disclosure period leaves search the day after, with no message at all.
func TestActionsReachSearch(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_SEARCH": "100000/s"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.RunWorker(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	tm := e.team()

	// hits polls search for q until want(ids) holds, failing after 2 s.
	hits := func(q string, what string, want func(ids []string) bool) {
		t.Helper()
		began := time.Now()
		for {
			r := e.do("GET", "/api/v1/cases?q="+url.QueryEscape(q), nil)
			if r.status != 200 {
				t.Fatalf("search %q: %d %s", q, r.status, r.body)
			}
			var got []string
			for _, h := range r.json["hits"].([]any) {
				got = append(got, h.(map[string]any)["id"].(string))
			}
			if want(got) {
				return
			}
			if time.Since(began) > 2*time.Second {
				t.Fatalf("%s: not within 2 s; search %q finds %v", what, q, got)
			}
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
	}
	is := func(id string) func([]string) bool {
		return func(ids []string) bool { return len(ids) == 1 && ids[0] == id }
	}
	none := func(ids []string) bool { return len(ids) == 0 }

	id := e.publish(tm.editor, tm.reviewer, map[string]any{"title": "某小学教师體罰學生"}, "")
	hits("体罚", "publication", is(id))

	amend := e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": id, "reason": "更正",
		"changes": map[string]any{"title": "某小学教师辱骂学生"}, "note": "更正了标题"})
	if r := e.approve(tm.reviewer, amend); r.status != 200 {
		t.Fatalf("amend: %d %s", r.status, r.body)
	}
	hits("辱骂", "amendment", is(id))
	hits("某小学教师體罰學生", "amendment", none) // the old title; the summary and body say 多次体罚学生
	wd := e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "经复核，处理决定已撤销"})
	if r := e.approve(tm.reviewer, wd); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	hits("辱骂", "withdrawal", none)
	hits("", "withdrawal", none)

	// caseDraft's demerit decided 2026-04-20 is public until 2027-04-20.
	other := e.publish(tm.editor, tm.reviewer, nil, "")
	hits("体罚", "publication", is(other))
	e.clock.Add(323 * 24 * time.Hour) // 2027-04-20
	hits("体罚", "the last day", is(other))
	e.clock.Add(24 * time.Hour)
	hits("体罚", "expiry", none)
}

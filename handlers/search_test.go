package handlers_test

import (
	"net/url"
	"strings"
	"testing"
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

// TestSearchLimits: the edges API.md allows are accepted (they reach the
// index, which this test's portal does not have: 503), the first value past
// them is not.
func TestSearchLimits(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_SEARCH": "100000/s"})
	for _, q := range []string{
		"q=" + url.QueryEscape(strings.Repeat("体", 200)),
		"q=" + url.QueryEscape("  "+strings.Repeat("體", 200)+"\t "), // trimmed first
		"page=500&per_page=20",
		"page=100&per_page=100",
		"per_page=1&page=10000",
		"from=2026-05-01&to=2026-05-01",
		"category=1&category=10&category=10",
		"district=" + url.QueryEscape("海澱區"),        // folded to 海淀区
		"district=" + url.QueryEscape(" 海淀区\u3000"), // white space trimmed
		"district=&stage=&sort=&page=&per_page=&from=&to=&category=&sanction=",
		"lang=en&utm_source=x", // unknown parameters are ignored
	} {
		r := e.do("GET", "/api/v1/cases?"+q, nil)
		if r.status == 400 {
			t.Errorf("%s: refused: %s", q, r.body)
		}
	}
}

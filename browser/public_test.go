package browser

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"ethicsportal/store"
)

// A parent, by keyboard alone, searches the cases in Traditional
// characters from the home page, narrows them to one district, and opens a
// case. Simplified and Traditional match each other (DESIGN.md, Text).
func TestParentSearchesInTraditionalCharacters(t *testing.T) {
	p := thePortal(t)
	b := newBrowser(t, p.URL)
	tb := b.tab("parent")

	if st := tb.open("/"); st != http.StatusOK {
		t.Fatalf("home: status %d", st)
	}
	// Tab from the top of the page to the search field: the skip link,
	// the header's links and the navigation come first.
	const field = "#home-q"
	if !tb.has(field) {
		tb.fail("the home page's search field", errMissing(field, "the home page (web-public)"))
	}
	tabs := 0
	for ; tabs < 30; tabs++ {
		tb.run("Tab", chromedp.KeyEvent(kb.Tab))
		if eval[bool](tb, `document.activeElement && document.activeElement.matches(`+jsString(field)+`)`) {
			break
		}
	}
	if tabs == 30 {
		tb.fail("Tab to the search field", errMissing(field, "30 presses of Tab"))
	}
	t.Logf("the search field is the %d. stop of the keyboard", tabs+1)
	tb.run("type 體罰", chromedp.KeyEvent("體罰"))
	tb.shot("typed")
	if st := tb.follow("Enter in the search field", chromedp.KeyEvent(kb.Enter)); st != http.StatusOK {
		t.Fatalf("search: status %d", st)
	}
	loc := tb.location()
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/cases" || u.Query().Get("q") != "體罰" {
		t.Fatalf("the search went to %q, want /cases?q=體罰", loc)
	}
	tb.must("#q", ".case-list > li")
	if v := eval[string](tb, `document.querySelector("#q").value`); v != "體罰" {
		t.Errorf("the results page's field holds %q, want the query as typed", v)
	}
	hits := eval[[]string](tb, `Array.from(document.querySelectorAll(".case-list > li")).map(e => e.innerText)`)
	marks := eval[[]string](tb, `Array.from(document.querySelectorAll(".case-list mark")).map(e => e.textContent)`)
	if len(hits) == 0 {
		t.Fatal("no case for 體罰")
	}
	folded := false
	for _, m := range marks {
		if m == "体罚" || m == "體罰" {
			folded = true
		}
	}
	if !folded {
		t.Errorf("no result highlights 体罚 or 體罰 (marks %q)", marks)
	}
	tb.shot("results")
	tb.axe("search results (zh)")
	tb.narrow("search results (zh)")

	// The district with the most of these cases, from the filter's counts
	// when it shows them, else the first result's.
	district := eval[string](tb, `(() => {
		let best = "", most = 0;
		const opts = Array.from(document.querySelectorAll("#district option")).filter(o => o.value);
		for (const o of opts) {
			const m = o.textContent.match(/[（(](\d+)[）)]/);
			if (m && +m[1] > most) { most = +m[1]; best = o.value; }
		}
		if (best) return best;
		const first = document.querySelector(".case-list > li");
		const o = first && opts.find(o => first.innerText.includes(o.value));
		return o ? o.value : "";
	})()`)
	if district == "" {
		tb.fail("the district filter", errMissing("a #district option matching the first result", "the search page (web-public)"))
	}
	tb.run("choose "+district, chromedp.SetValue(chromedp.CSS("#district"), district, chromedp.NodeVisible))
	if st := tb.click(".filters button[type=submit]"); st != http.StatusOK {
		t.Fatalf("filter by district: status %d", st)
	}
	u, _ = url.Parse(tb.location())
	if u.Query().Get("district") != district || u.Query().Get("q") != "體罰" {
		t.Fatalf("after filtering: %s, want q=體罰 and district=%s", u, district)
	}
	hits = eval[[]string](tb, `Array.from(document.querySelectorAll(".case-list > li")).map(e => e.innerText)`)
	if len(hits) == 0 {
		t.Fatalf("no case for 體罰 in %s, though the filter counted some", district)
	}
	for _, h := range hits {
		if !strings.Contains(h, district) {
			t.Errorf("a result outside %s:\n%s", district, h)
		}
	}
	tb.shot("filtered")
	tb.axe("search results filtered by district (zh)")

	title := tb.text(".case-list > li h3 a")
	if st := tb.click(".case-list > li h3 a"); st != http.StatusOK {
		t.Fatalf("the case page: status %d", st)
	}
	if !strings.HasPrefix(tb.location(), "/cases/") {
		t.Fatalf("the result led to %s", tb.location())
	}
	if h1 := tb.text("main h1"); h1 != title {
		t.Errorf("the case page's heading %q, want the result's title %q", h1, title)
	}
	tb.mustSay(district)
	tb.shot("case")
	tb.axe("a case (zh)")
	tb.narrow("a case (zh)")

	// The same in English.
	casePath := tb.location()
	tb.open(casePath + "?lang=en")
	if lang := eval[string](tb, "document.documentElement.lang"); lang != "en" {
		t.Errorf("the case with ?lang=en: lang=%q", lang)
	}
	tb.shot("case-en")
	tb.axe("a case (en)")
	tb.open("/cases?q=" + url.QueryEscape("體罰") + "&district=" + url.QueryEscape(district))
	tb.must(".case-list > li")
	tb.axe("search results filtered by district (en)")
}

// A withdrawn case's address answers 410 with the notice of its
// withdrawal: when and why, and nothing of the case.
func TestWithdrawnCaseShowsItsNotice(t *testing.T) {
	p := thePortal(t)
	id := p.caseIDs(t, store.CaseWithdrawn, 1)[0]
	_, wd, err := p.app.PublishedCase(context.Background(), id)
	if err != nil || wd == nil {
		t.Fatalf("case %s: %v %+v", id, err, wd)
	}
	c, err := p.app.Store().CaseByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, p.URL)
	tb := b.tab("reader")
	if st := tb.open("/cases/" + id); st != http.StatusGone {
		t.Fatalf("a withdrawn case: status %d, want 410", st)
	}
	tb.must("main h1", "main .notice")
	tb.mustSay(wd.Reason)
	if body := tb.text("main"); strings.Contains(body, c.Title) || strings.Contains(body, c.SubjectName) {
		t.Errorf("the notice shows the withdrawn case's title or subject:\n%s", body)
	}
	tb.shot("withdrawn-zh")
	tb.axe("a withdrawn case (zh)")
	tb.narrow("a withdrawn case (zh)")
	if st := tb.open("/cases/" + id + "?lang=en"); st != http.StatusGone {
		t.Fatalf("a withdrawn case in English: status %d, want 410", st)
	}
	tb.mustSay(wd.Reason)
	tb.shot("withdrawn-en")
	tb.axe("a withdrawn case (en)")
}

package browser

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"ethicsportal/app"
	"ethicsportal/store"
)

// pageBudget is what a public page may transfer, without its images: the
// document, its CSS and its JS, headers included, as a first visit with
// an empty cache fetches them.
const pageBudget = 100_000

// Every public page stays under the budget. Each is loaded in Chromium with
// its cache off, and the bytes of every response but images are summed as
// they came over the wire (the protocol's encodedDataLength).
func TestPublicPagesWeighLessThan100KB(t *testing.T) {
	p := thePortal(t)
	published := p.caseIDs(t, store.CasePublished, 1)[0]
	withdrawn := p.caseIDs(t, store.CaseWithdrawn, 1)[0]
	no, name, _ := strings.Cut(app.DemoRevokedExample, " ")
	b := newBrowser(t, p.URL)
	tb := b.tab("weigher")

	type row struct {
		page   string
		status int
		bytes  float64
		parts  []string
	}
	var rows []row
	weigh := func(label string, status, want int) {
		t.Helper()
		if status != want {
			t.Errorf("%s (%s): status %d, want %d", label, tb.location(), status, want)
		}
		r := row{page: label, status: status}
		for _, q := range tb.net.requests() {
			u, _ := url.Parse(q.url)
			if q.typ == network.ResourceTypeImage || q.typ == network.ResourceTypeMedia || (u != nil && u.Path == "/favicon.ico") {
				continue
			}
			if q.failed != "" {
				t.Errorf("%s: %s failed: %s", label, q.url, q.failed)
			}
			r.bytes += q.bytes
			path := q.url
			if u != nil {
				path = u.Path
			}
			r.parts = append(r.parts, fmt.Sprintf("%s %s %.0f", q.typ, path, q.bytes))
		}
		if r.bytes == 0 {
			t.Errorf("%s: nothing was transferred (the cache is on?)", label)
		}
		if r.bytes >= pageBudget {
			t.Errorf("%s transfers %.0f bytes without images, over the budget of %d: %s", label, r.bytes, pageBudget, strings.Join(r.parts, ", "))
		}
		rows = append(rows, r)
	}

	weigh("home", tb.open("/"), http.StatusOK)
	weigh("search", tb.open("/cases?q="+url.QueryEscape("体罚")), http.StatusOK)
	weigh("search, every filter", tb.open("/cases?q="+url.QueryEscape("體罰")+"&district="+url.QueryEscape("朝阳区")+"&sort=newest&page=2"), http.StatusOK)
	weigh("search, 100 a page", tb.open("/cases?sort=newest&per_page=100"), http.StatusOK)
	weigh("a case", tb.open("/cases/"+published), http.StatusOK)
	weigh("a withdrawn case", tb.open("/cases/"+withdrawn), http.StatusGone)
	weigh("a missing case", tb.open("/cases/nosuchcase"), http.StatusNotFound)
	weigh("an error page", tb.open("/no-such-page"), http.StatusNotFound)
	weigh("verification form", tb.open("/verify"), http.StatusOK)
	if tb.has("#certificate_no") {
		tb.typeInto("#certificate_no", no)
		tb.typeInto("#name", name)
		weigh("verification result", tb.click("form[action='/verify'] button[type=submit]"), http.StatusOK)
		if tb.has("form[action='/verify/receipt'] button") {
			weigh("receipt", tb.click("form[action='/verify/receipt'] button[type=submit]"), http.StatusOK)
			jws := strings.TrimSpace(tb.text(".receipt-text"))
			weigh("receipt check form", tb.open("/receipts/check"), http.StatusOK)
			if tb.has("#receipt") {
				tb.run("paste the receipt", chromedp.SetValue(chromedp.CSS("#receipt"), jws))
				weigh("receipt check result", tb.click("form[action='/receipts/check'] button[type=submit]"), http.StatusOK)
			}
		} else {
			t.Error("the verification result offers no receipt (form[action='/verify/receipt'])")
		}
	} else {
		t.Error("the verification form has no #certificate_no field")
	}
	weigh("receipt check form, empty", tb.open("/receipts/check"), http.StatusOK)
	weigh("about", tb.open("/about"), http.StatusOK)
	// The method pages: every page under /about/ that /about links to.
	methods := eval[[]string](tb, `Array.from(new Set(Array.from(document.querySelectorAll("main a[href^='/about/']")).map(a => a.getAttribute("href").split("#")[0])))`)
	sort.Strings(methods)
	if len(methods) == 0 {
		t.Error("/about links to no method page under /about/")
	}
	for _, m := range methods {
		weigh(m, tb.open(m), http.StatusOK)
	}
	weigh("home (en)", tb.open("/?lang=en"), http.StatusOK)

	var report strings.Builder
	fmt.Fprintf(&report, "%-28s %6s %9s  %s\n", "page", "status", "bytes", "what")
	for _, r := range rows {
		fmt.Fprintf(&report, "%-28s %6d %9.0f  %s\n", r.page, r.status, r.bytes, strings.Join(r.parts, "; "))
	}
	t.Logf("transferred without images (budget %d bytes):\n%s", pageBudget, report.String())
	b.save("page-weights.txt", []byte(report.String()))
}

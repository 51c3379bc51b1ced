package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The pages every other page stands on: the home page in both languages,
// the console's sign-in, an error page; the skip link by keyboard; axe on
// each, and two of them at 320 px.
func TestFoundationPages(t *testing.T) {
	p := thePortal(t)
	b := newBrowser(t, p.URL)
	tb := b.tab("visitor")

	if st := tb.open("/"); st != http.StatusOK {
		t.Fatalf("home: status %d", st)
	}
	if lang := eval[string](tb, "document.documentElement.lang"); lang != "zh-CN" {
		t.Errorf("home without a language: lang=%q, want zh-CN", lang)
	}
	tb.must("h1", "a.skip-link", "nav", "main#main", "footer")
	tb.shot("home-zh")
	tb.axe("home (zh)")
	tb.narrow("home (zh)")

	// The skip link is the first stop of the keyboard, shows when focused,
	// and moves the focus to the main content.
	tb.run("Tab", chromedp.KeyEvent(kb.Tab))
	focused := eval[struct {
		Class   string  `json:"class"`
		Top     float64 `json:"top"`
		Left    float64 `json:"left"`
		Width   float64 `json:"width"`
		Outline string  `json:"outline"`
		Shadow  string  `json:"shadow"`
	}](tb, `(() => { const e = document.activeElement, r = e.getBoundingClientRect(), s = getComputedStyle(e);
		return {class: e.className, top: r.top, left: r.left, width: r.width, outline: s.outlineStyle, shadow: s.boxShadow}; })()`)
	if focused.Class != "skip-link" {
		t.Fatalf("the first Tab focuses %q, want the skip link", focused.Class)
	}
	if focused.Top < 0 || focused.Left < 0 || focused.Width < 1 {
		t.Errorf("the focused skip link is off screen: %+v", focused)
	}
	if focused.Outline == "none" && (focused.Shadow == "" || focused.Shadow == "none") {
		t.Errorf("the focused skip link shows no focus indicator: %+v", focused)
	}
	tb.shot("skip-link-focused")
	tb.run("Enter on the skip link", chromedp.KeyEvent(kb.Enter))
	tb.until("the focus on main", `document.activeElement && document.activeElement.id === "main"`)

	// English: by ?lang=en, remembered afterwards.
	tb.open("/?lang=en")
	if lang := eval[string](tb, "document.documentElement.lang"); lang != "en" {
		t.Errorf("home with ?lang=en: lang=%q", lang)
	}
	tb.shot("home-en")
	tb.axe("home (en)")

	// An error page, in English (remembered) and in Chinese.
	if st := tb.open("/no-such-page"); st != http.StatusNotFound {
		t.Errorf("a missing page: status %d, want 404", st)
	}
	tb.must("h1", "main a[href='/']")
	tb.shot("404-en")
	tb.axe("404 page (en)")
	tb.open("/no-such-page?lang=zh")
	tb.axe("404 page (zh)")
	tb.narrow("404 page (zh)")

	// The console's sign-in, reached from the console's address.
	tb.open("/admin")
	if loc := tb.location(); loc != "/admin/login?next=%2Fadmin" {
		t.Errorf("/admin signed out lands on %q, want the sign-in page", loc)
	}
	tb.must("label[for=username]", "input#username", "label[for=password]", "input#password")
	tb.shot("sign-in")
	tb.axe("sign-in")
	tb.typeInto("#username", "demo-editor")
	tb.typeInto("#password", "not the password")
	if st := tb.click("form button[type=submit]"); st != http.StatusUnauthorized {
		t.Errorf("a wrong password: status %d, want 401", st)
	}
	tb.must(".error-summary")
	tb.shot("sign-in-failed")
	tb.axe("sign-in, failed")
}

// The checks themselves can fail: axe finds an unlabelled field and
// text without contrast, and the 320 px check sees a page wider than
// the screen. The page is a data: URL, outside the portal.
func TestTheChecksCatchFaults(t *testing.T) {
	b := newBrowser(t, "")
	tb := b.tab("faulty")
	bad := `<!doctype html><html lang="en"><title>t</title><main><input id="q">` +
		`<p style="color:#eee;background:#fff">faint</p><div style="width:900px">wide</div></main></html>`
	tb.run("open a faulty page", chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(bad)))
	_, serious, _ := tb.axeRun("a faulty page")
	joined := strings.Join(serious, "\n")
	if !strings.Contains(joined, "label (critical)") || !strings.Contains(joined, "color-contrast (serious)") {
		t.Fatalf("axe missed the faults; it reported:\n%s", joined)
	}
	tb.run("320 px", chromedp.EmulateViewport(320, 720))
	if w := eval[int](tb, "document.documentElement.scrollWidth"); w <= 320 {
		t.Fatalf("a 900 px element at 320 px: scrollWidth %d", w)
	}
}

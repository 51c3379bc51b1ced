package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeTags are the rules axe runs: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeViolation is one rule a page breaks, as axe reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axe runs axe-core on the page as it stands and fails the test on any
// violation of serious or critical impact, naming the rule, its help and
// the elements. Lesser violations are logged. The script is injected
// through the DevTools protocol, which the page's Content-Security-Policy
// does not govern: the page itself never loads it.
func (tb *tab) axe(label string) {
	tb.t.Helper()
	url, serious, minor := tb.axeRun(label)
	for _, v := range minor {
		tb.t.Logf("axe on %s (%s), %s", label, url, v)
	}
	if len(serious) > 0 {
		tb.shot("axe-" + slug(label))
		tb.t.Errorf("axe on %s (%s): %d serious or critical violations:\n\t%s", label, url, len(serious), strings.Join(serious, "\n\t"))
	}
}

// axeRun runs axe-core on the page and returns the page's URL and its
// violations, serious and critical ones apart from the others, each as a
// line naming the rule, its impact, its help and the elements.
func (tb *tab) axeRun(label string) (url string, serious, minor []string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" && typeof window.axe.run === "function"`))
	if err != nil {
		tb.fail("axe: "+label, err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](tb.b.axe)); err != nil {
			tb.fail("axe: injecting axe-core on "+label, err)
		}
	}
	tags, _ := json.Marshal(axeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]})
		.then(r => ({url: r.url, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200)}))}))}))`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		URL        string         `json:"url"`
		Violations []axeViolation `json:"violations"`
	}](script, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("axe: running on "+label, err)
	}
	for _, v := range res.Violations {
		line := fmt.Sprintf("%s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			line += fmt.Sprintf("\n\t\t%v %s", n.Target, n.HTML)
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, line)
		} else {
			minor = append(minor, line)
		}
	}
	return res.URL, serious, minor
}

// narrow shows the page 320 px wide (a small phone, and WCAG 1.4.10's
// reflow width), fails if the body scrolls sideways there, saves a
// screenshot and runs axe at that width; then the viewport is restored.
func (tb *tab) narrow(label string) {
	tb.t.Helper()
	tb.run("320 px viewport", chromedp.EmulateViewport(320, 720))
	defer tb.run("restore the viewport", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
	w := eval[struct {
		Scroll int      `json:"scroll"`
		Client int      `json:"client"`
		Wide   []string `json:"wide"`
	}](tb, `(() => {
		const wide = [];
		for (const el of document.body.querySelectorAll("*")) {
			const r = el.getBoundingClientRect();
			if (r.right > 321 && !el.closest(".table-wrap")) wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
		}
		return {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, wide: wide.slice(0, 10)};
	})()`)
	tb.shot(slug(label) + "-320px")
	if w.Scroll > 320 {
		tb.t.Errorf("%s at 320 px: the page is %d px wide and scrolls sideways; widest elements: %v", label, w.Scroll, w.Wide)
	}
	tb.axe(label + " at 320 px")
}

// slug makes a label a file name.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

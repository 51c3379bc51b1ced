package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds each step of a scenario: a page that never shows
// what the step waits for fails the test instead of hanging it.
const stepTimeout = 30 * time.Second

// browserEnv is what the tests need from the machine: the Chromium
// executable and the axe-core script. Without them a test skips, unless CI
// is set: CI must run these tests, so there it fails (DESIGN.md's rule for
// the real services).
func browserEnv(t *testing.T) (chromium, axe string) {
	t.Helper()
	chromium, axe = os.Getenv("PORTAL_TEST_CHROMIUM"), os.Getenv("PORTAL_TEST_AXE")
	if chromium == "" || axe == "" {
		msg := "PORTAL_TEST_CHROMIUM (a Chromium executable) and PORTAL_TEST_AXE (axe.min.js) must both be set for the browser tests; .ci/run sets them"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return chromium, axe
}

// browser is one headless Chromium for one test, with its own profile.
type browser struct {
	t     *testing.T
	ctx   context.Context // the browser's first tab; NewContext on it opens more
	base  string          // the portal's URL
	axe   string          // the axe-core source
	dir   string          // where screenshots and PDFs go
	shots int
	mu    sync.Mutex // guards shots: tabs of one test may save in turn
}

// newBrowser starts Chromium for t against the portal at base. Its profile
// is fresh and removed at the end; it talks to nothing but loopback.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	chromium, axePath := browserEnv(t)
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	if !strings.Contains(string(src[:min(len(src), 4096)]), "axe") {
		t.Fatalf("%s does not look like axe-core", axePath)
	}
	profile, err := os.MkdirTemp("", "portal-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		// Chromium reaches out to Google's services at start; on a closed
		// network those connections are refused and slow everything down.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		// A browser in Beijing asks for Chinese first.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	// The first Run starts the browser; it must not carry a timeout (that
	// would end the browser with it).
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		// Chromium's helpers may still write into the profile for a moment
		// after it stops; what is left is only a temporary folder.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	dir := t.ArtifactDir()
	t.Logf("screenshots and PDFs of this test: %s", dir)
	return &browser{t: t, ctx: ctx, base: base, axe: string(src), dir: dir}
}

// save writes an artifact of the test, numbered in the order of the steps.
func (b *browser) save(name string, data []byte) string {
	b.t.Helper()
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s", n, name))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// tab is one page of a browser, with what it fetched since its last
// navigation.
type tab struct {
	t    *testing.T
	b    *browser
	ctx  context.Context
	name string
	net  *netLog
}

// tab opens the browser's first tab, sharing its cookies with every other
// tab of the same browser context.
func (b *browser) tab(name string) *tab {
	return b.open(name, b.ctx)
}

// person opens a tab in a new browser context: a different person at
// another computer, with cookies and storage of their own.
func (b *browser) person(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	return b.open(name, ctx)
}

func (b *browser) open(name string, ctx context.Context) *tab {
	b.t.Helper()
	tb := &tab{t: b.t, b: b, ctx: ctx, name: name, net: newNetLog()}
	if err := chromedp.Listen(ctx, tb.net.event); err != nil {
		b.t.Fatal(err)
	}
	// The cache off: every page is weighed with its CSS and JS, as a first
	// visit transfers them.
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.t.Fatal(err)
	}
	return tb
}

// run runs steps with the step timeout, failing the test on an error.
func (tb *tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail(what, err)
	}
}

// fail ends the test with a screenshot of where it stood.
func (tb *tab) fail(what string, err error) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		p := tb.b.save(tb.name+"-failed.png", png)
		tb.t.Fatalf("%s: %s: %v (at %s; screenshot %s)", tb.name, what, err, loc, p)
	}
	tb.t.Fatalf("%s: %s: %v (at %s)", tb.name, what, err, loc)
}

// eval evaluates a JavaScript expression on the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.fail("evaluate "+expr, err)
	}
	return v
}

// open navigates to path on the portal and returns the document's HTTP
// status, after the page has loaded with all its CSS and JS.
func (tb *tab) open(path string) int {
	tb.t.Helper()
	tb.net.reset()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.b.base+path))
	if err != nil {
		tb.fail("open "+path, err)
	}
	tb.settle()
	return int(res.Status)
}

// follow runs an action that makes the page navigate (a click on a link or
// a submit button, Enter in a form) and waits for the new page's load
// event; it returns the new document's HTTP status.
func (tb *tab) follow(what string, action chromedp.Action[chromedp.Void]) int {
	tb.t.Helper()
	tb.net.reset()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, action)); err != nil {
		tb.fail(what, err)
	}
	tb.settle()
	return tb.net.documentStatus()
}

// click clicks the element that sel finds first (once it is visible) and
// waits for the page it leads to.
func (tb *tab) click(sel string) int {
	tb.t.Helper()
	return tb.follow("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// until waits for a JavaScript condition on the page to hold (polled on
// every animation frame), failing the test after the step timeout.
func (tb *tab) until(what, cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond)); err != nil {
		tb.fail("waiting for "+what, err)
	}
}

// settle waits until every request the page started has finished.
func (tb *tab) settle() {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := tb.net.wait(ctx); err != nil {
		tb.fail("waiting for the page's requests", err)
	}
}

// text is the visible text of the first element sel finds, once visible.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		tb.fail("text of "+sel, err)
	}
	return s
}

// must fails unless the page shows (visibly) an element for every selector.
func (tb *tab) must(sels ...string) {
	tb.t.Helper()
	for _, sel := range sels {
		tb.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	}
}

// has reports whether the page holds an element that sel finds, now.
func (tb *tab) has(sel string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf("document.querySelector(%s) !== null", jsString(sel)))
}

// mustSay fails unless the main content's text holds every one of texts.
func (tb *tab) mustSay(texts ...string) {
	tb.t.Helper()
	body := tb.text("main")
	for _, s := range texts {
		if !strings.Contains(body, s) {
			tb.fail("the page's text", fmt.Errorf("lacks %q; it reads:\n%s", s, body))
		}
	}
}

// typeInto fills a field as a person would, key by key.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.run("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`(e => { e.value = "" })(document.querySelector(`+jsString(sel)+`))`),
		chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// shot saves a full-page screenshot of the tab as an artifact.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.fail("screenshot", err)
	}
	tb.b.save(tb.name+"-"+name+".png", png)
}

// location is the tab's URL without the portal's origin.
func (tb *tab) location() string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		tb.fail("location", err)
	}
	return strings.TrimPrefix(loc, tb.b.base)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// netLog records the requests of a tab since its last navigation: their
// resource type, status and the bytes transferred for each (headers and
// body as they came over the wire, encodedDataLength).
type netLog struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every event
	reqs    map[network.RequestID]*request
	order   []network.RequestID
}

type request struct {
	url      string
	typ      network.ResourceType
	status   int64
	bytes    float64
	done     bool
	failed   string
	document bool // the main frame's document
}

func newNetLog() *netLog {
	return &netLog{changed: make(chan struct{}), reqs: map[network.RequestID]*request{}}
}

func (n *netLog) reset() {
	n.mu.Lock()
	n.reqs = map[network.RequestID]*request{}
	n.order = nil
	n.mu.Unlock()
}

// event is the tab's listener: it runs on chromedp's reading goroutine, so
// it only records.
func (n *netLog) event(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	get := func(id network.RequestID) *request {
		r := n.reqs[id]
		if r == nil {
			r = &request{}
			n.reqs[id] = r
			n.order = append(n.order, id)
		}
		return r
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if strings.HasPrefix(e.Request.URL, "data:") {
			return
		}
		r := get(e.RequestID)
		r.url = e.Request.URL
		r.typ = e.Type
		r.document = e.Type == network.ResourceTypeDocument && e.LoaderID == cdp.LoaderID(e.RequestID)
	case *network.EventResponseReceived:
		if r := n.reqs[e.RequestID]; r != nil {
			r.status = e.Response.Status
			r.typ = e.Type
		}
	case *network.EventLoadingFinished:
		if r := n.reqs[e.RequestID]; r != nil {
			r.bytes = e.EncodedDataLength
			r.done = true
		}
	case *network.EventLoadingFailed:
		if r := n.reqs[e.RequestID]; r != nil {
			r.done = true
			r.failed = e.ErrorText
		}
	default:
		return
	}
	close(n.changed)
	n.changed = make(chan struct{})
}

// wait returns when every recorded request has finished or failed.
func (n *netLog) wait(ctx context.Context) error {
	for {
		n.mu.Lock()
		var pending []string
		for _, id := range n.order {
			// Chromium asks for a favicon by itself, after the page, and
			// may never report the end of that request.
			if r := n.reqs[id]; !r.done && !strings.HasSuffix(r.url, "/favicon.ico") {
				pending = append(pending, r.url)
			}
		}
		ch := n.changed
		n.mu.Unlock()
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("requests still loading: %v: %w", pending, ctx.Err())
		}
	}
}

// documentStatus is the HTTP status of the last main document loaded.
func (n *netLog) documentStatus() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	status := 0
	for _, id := range n.order {
		if r := n.reqs[id]; r.document {
			status = int(r.status)
		}
	}
	return status
}

// requests is a copy of what the tab fetched since its last navigation.
func (n *netLog) requests() []request {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]request, 0, len(n.order))
	for _, id := range n.order {
		out = append(out, *n.reqs[id])
	}
	return out
}

// errMissing says that a page lacks what a test needs, and where to look.
func errMissing(what, where string) error {
	return fmt.Errorf("%s not found on %s", what, where)
}

package browser

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/config"
	"ethicsportal/handlers"
	"ethicsportal/store"
)

// portal is the portal under test: the real app and its HTTP server on a
// loopback listener, with the demo data set (cases, credentials and one
// account per role, password app.DemoPassword) in a temporary SQLite
// store, and the search index rebuilt from it.
type portal struct {
	URL string
	app *app.App
	srv *handlers.Server
	dir string
	err error
	// stop ends the outbox worker and waits for it.
	stop func()
}

var (
	sharedOnce   sync.Once
	sharedPortal *portal
)

// TestMain stops the shared portal, when a test started it, after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedPortal != nil {
		sharedPortal.close()
	}
	os.Exit(code)
}

// thePortal is the portal the tests share, started by the first test that
// asks: loading the demo and indexing it takes seconds, and every scenario
// reads the same data set. A test that changes data (the editor's draft)
// makes its own records, so the others do not see it.
func thePortal(t *testing.T) *portal {
	t.Helper()
	browserEnv(t) // skips (or fails, under CI) before the portal's start when there is no browser
	sharedOnce.Do(func() {
		start := time.Now()
		sharedPortal = startPortal()
		t.Logf("portal with the demo data set started in %v", time.Since(start).Round(time.Millisecond))
	})
	if sharedPortal.err != nil {
		t.Fatalf("portal: %v", sharedPortal.err)
	}
	return sharedPortal
}

func startPortal() *portal {
	p := &portal{stop: func() {}}
	dir, err := os.MkdirTemp("", "portal-browser-")
	if err != nil {
		p.err = err
		return p
	}
	p.dir = dir
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.err = err
		return p
	}
	p.URL = "http://" + ln.Addr().String()
	vars := map[string]string{
		"PORTAL_DATA_DIR":     dir,
		"PORTAL_REQUIRE_TOTP": "false", // as under --demo
		"PORTAL_RATE_VERIFY":  "100000/s",
		"PORTAL_RATE_SEARCH":  "100000/s",
		"PORTAL_RATE_LOGIN":   "100000/s",
		"PORTAL_BASE_URL":     p.URL,
	}
	l := config.NewLoader(flag.NewFlagSet("browser", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	cfg, err := l.Load()
	if err != nil {
		p.err = err
		ln.Close()
		return p
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	// argon2 at production cost would make each sign-in slow; the sign-in
	// form is what the tests exercise, not the hash.
	a, err := app.New(ctx, cfg, log, app.WithPasswordParams(auth.Params{Memory: 64, Time: 1, Threads: 1}))
	if err != nil {
		p.err = err
		ln.Close()
		return p
	}
	p.app = a
	if _, err := a.LoadDemo(ctx); err != nil {
		p.err = err
		ln.Close()
		return p
	}
	if err := a.Reindex(ctx, nil); err != nil {
		p.err = err
		ln.Close()
		return p
	}
	workerCtx, stopWorker := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.RunWorker(workerCtx); close(done) }()
	p.stop = func() { stopWorker(); <-done }
	p.srv = handlers.New(a, log)
	go p.srv.Fiber().Listener(ln)
	return p
}

func (p *portal) close() {
	if p.srv != nil {
		_ = p.srv.Shutdown(context.Background())
	}
	p.stop()
	if p.app != nil {
		_ = p.app.Close()
	}
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}

// caseIDs returns up to n ids of demo cases in status, oldest first, that
// the public can see (for withdrawn ones: that were public when withdrawn
// and still answer 410).
func (p *portal) caseIDs(t *testing.T, status string, n int) []string {
	t.Helper()
	ctx := context.Background()
	cases, _, err := p.app.Store().Cases(ctx, store.CaseFilter{Status: status, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cases {
		pub, wd, err := p.app.PublishedCase(ctx, c.ID)
		if err != nil {
			continue
		}
		if (status == store.CasePublished && pub != nil) || (status == store.CaseWithdrawn && wd != nil) {
			ids = append(ids, c.ID)
		}
		if len(ids) == n {
			break
		}
	}
	if len(ids) == 0 {
		t.Fatalf("the demo data holds no public %s case", status)
	}
	return ids
}

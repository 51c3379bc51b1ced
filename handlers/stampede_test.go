package handlers_test

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/redis/redistest"
	"ethicsportal/search"
	"ethicsportal/search/bleve"
)

// gatedIndex counts searches and holds each until the gate opens.
type gatedIndex struct {
	search.Index
	searches atomic.Int64
	mu       sync.Mutex
	gate     chan struct{} // closed: searches pass
}

// hold makes the next searches wait until the returned function is called.
func (g *gatedIndex) hold() (open func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	gate := g.gate
	return func() { close(gate) }
}

func (g *gatedIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	g.searches.Add(1)
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	select {
	case <-gate:
	case <-ctx.Done():
		return search.Result{}, ctx.Err()
	}
	return g.Index.Search(ctx, q)
}

// Close leaves the index to the test: both instances share it.
func (g *gatedIndex) Close() error { return nil }

// waitFor polls cond until it holds, failing after five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A search nobody has asked since a publication is computed once for two
// instances: while one computes it, the other, missing the shared cache,
// waits for that answer instead of asking the index too.
func TestStampedeGuardAcrossInstances(t *testing.T) {
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bleve.Open(t.TempDir(), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ix := &gatedIndex{Index: raw, gate: make(chan struct{})}
	close(ix.gate) // open while the case is put
	vars := redisVars(redistest.URL(t), redistest.Prefix(t))
	vars["PORTAL_RATE_SEARCH"] = "100000/s"
	cfg := testConfig(t, vars)
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["sqlite"](t)
	a := newEnvWith(t, cfg, opener(), ck, app.WithIndex(ix))
	b := newEnvWith(t, cfg, opener(), ck, app.WithIndex(ix))
	a.putCase("某小学教师體罰學生案", "朝阳区", []int{5})

	open := ix.hold()
	ix.searches.Store(0)
	path := "/api/v1/cases?q=" + url.QueryEscape("体罚")
	var wg sync.WaitGroup
	answers := make([]*response, 6)
	ask := func(i int, e *env) {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = e.do("GET", path, nil) }()
	}
	ask(0, a)
	waitFor(t, "a to reach the index", func() bool { return ix.searches.Load() == 1 })
	misses := b.app.RedisStats().CacheMisses
	for i := 1; i < 6; i++ {
		ask(i, b)
	}
	waitFor(t, "b to miss the shared cache", func() bool { return b.app.RedisStats().CacheMisses > misses })
	open()
	wg.Wait()
	for i, r := range answers {
		if r.status != 200 || r.json["total"] != 1.0 {
			t.Fatalf("answer %d: %d %s", i, r.status, r.body)
		}
	}
	if n := ix.searches.Load(); n != 1 {
		t.Fatalf("the index was asked %d times for one new search across two instances, want 1", n)
	}
}

package app_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"ethicsportal/app"
	"ethicsportal/redis/redistest"
)

// forgetfulCache is a SearchCache that keeps nothing and counts lookups.
type forgetfulCache struct{ gets atomic.Int64 }

func (c *forgetfulCache) Get(context.Context, string) (*app.SearchAnswer, bool) {
	c.gets.Add(1)
	return nil, false
}

func (c *forgetfulCache) Set(context.Context, string, *app.SearchAnswer) {}

// TestLocalSearchCacheKeepsTheRedisTier: WithLocalSearchCache replaces only
// the in-process tier, so with Redis and a local tier that keeps nothing a
// repeated search is answered by Redis, byte for byte, without the index.
func TestLocalSearchCacheKeepsTheRedisTier(t *testing.T) {
	ix := &countingIndex{Index: openTestIndex(t, t.TempDir())}
	local := &forgetfulCache{}
	e := newSearchEnv(t, t.TempDir(), map[string]string{
		"PORTAL_REDIS_URL":    redistest.URL(t),
		"PORTAL_REDIS_PREFIX": redistest.Prefix(t),
	}, app.WithIndex(ix), app.WithLocalSearchCache(local))
	c := newCase(t, e.clock(), "体罚案例", "正文")
	e.put(&c)
	e.drain()
	p := app.SearchParams{Q: "体罚"}
	first := e.search(p)
	calls := ix.searches.Load()
	if first.Total != 1 || calls != 1 {
		t.Fatalf("first search: total %d, %d index calls", first.Total, calls)
	}
	again := e.search(p)
	if n := ix.searches.Load(); n != calls {
		t.Fatalf("the repeat reached the index (%d calls, was %d)", n, calls)
	}
	if !bytes.Equal(again.JSON(), first.JSON()) {
		t.Fatalf("the answer from Redis differs:\n%s\n%s", again.JSON(), first.JSON())
	}
	if n := local.gets.Load(); n != 2 {
		t.Fatalf("the local tier was asked %d times, want 2", n)
	}
}

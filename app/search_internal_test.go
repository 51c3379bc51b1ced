package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/search"
)

func testFolder(t *testing.T) *search.Folder {
	t.Helper()
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSearchCacheKeyIsCanonical: requests that mean the same search share
// a key; requests that differ in anything, or in generation, do not.
func TestSearchCacheKeyIsCanonical(t *testing.T) {
	a := &App{folder: testFolder(t)}
	key := func(p SearchParams, gen int64) string {
		t.Helper()
		r, err := a.parseSearch(p)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		return r.cacheKey(gen)
	}
	base := key(SearchParams{Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}}, 7)
	for _, same := range []SearchParams{
		{Q: " 體罰\u3000學生 ", District: "海澱區", Categories: []string{"2", "5", "5"}, Sanctions: []string{"demerit", "warning", "warning"}},
		{Q: "体罚  学生", District: "海淀区", Categories: []string{"02", "5", ""}, Sanctions: []string{"demerit", "", "warning"}, Sort: "relevance", Page: "1", PerPage: "20"},
		{Q: "体罚 学生 体罚", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
	} {
		if k := key(same, 7); k != base {
			t.Errorf("%+v: key %q, want %q", same, k, base)
		}
	}
	seen := map[string]string{base: "base"}
	for name, p := range map[string]SearchParams{
		"text": {Q: "体罚学生",
			District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
		"word order": {Q: "学生 体罚", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
		"district":   {Q: "体罚 学生", District: "朝阳区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
		"stage":      {Q: "体罚 学生", District: "海淀区", Stage: "primary", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
		"categories": {Q: "体罚 学生", District: "海淀区", Categories: []string{"5"}, Sanctions: []string{"warning", "demerit"}},
		"sanctions":  {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning"}},
		"from":       {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}, From: "2026-01-01"},
		"to":         {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}, To: "2026-01-01"},
		"sort":       {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}, Sort: "newest"},
		"page":       {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}, Page: "2"},
		"per_page":   {Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}, PerPage: "10"},
		// Text that spells another field's part of the key stays text.
		"text imitating a field": {Q: "体罚 学生|d朝阳区", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}},
	} {
		k := key(p, 7)
		if other, dup := seen[k]; dup {
			t.Errorf("%s: same key as %s: %q", name, other, k)
		}
		seen[k] = name
	}
	// Letters match whatever their case or width, so they share a key.
	if key(SearchParams{Q: "ＡＢＣ abc"}, 7) != key(SearchParams{Q: "abc"}, 7) {
		t.Error("ＡＢＣ abc and abc have different keys")
	}
	if key(SearchParams{Q: "体罚 学生", District: "海淀区", Categories: []string{"5", "2"}, Sanctions: []string{"warning", "demerit"}}, 8) == base {
		t.Error("a new generation gives the same key")
	}
}

func answer(size int) *SearchAnswer {
	return &SearchAnswer{body: []byte(strings.Repeat("x", size))}
}

func TestMemoryCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newMemoryCache(time.Minute, 3, 1<<20, time.Now)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		c.Set(ctx, k, answer(10))
	}
	if _, ok := c.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Set(ctx, "d", answer(10))
	if _, ok := c.Get(ctx, "b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(ctx, k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if c.Len() != 3 {
		t.Errorf("holds %d, want 3", c.Len())
	}
}

func TestMemoryCacheBoundsBytes(t *testing.T) {
	c := newMemoryCache(time.Minute, 100, 3000, time.Now)
	ctx := context.Background()
	for i := range 10 {
		c.Set(ctx, fmt.Sprint(i), answer(500)) // about 1100 bytes each as counted
	}
	if c.Len() != 2 {
		t.Fatalf("holds %d answers, want the 2 that fit", c.Len())
	}
	if _, ok := c.Get(ctx, "9"); !ok {
		t.Error("the newest answer was evicted")
	}
	c.Set(ctx, "huge", answer(10_000))
	if _, ok := c.Get(ctx, "huge"); ok {
		t.Error("an answer over the whole bound was kept")
	}
	if _, ok := c.Get(ctx, "9"); !ok {
		t.Error("an answer too large to keep evicted the others")
	}
}

func TestMemoryCacheExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newMemoryCache(30*time.Second, 10, 1<<20, clock)
	ctx := context.Background()
	c.Set(ctx, "k", answer(10))
	mu.Lock()
	now = now.Add(29 * time.Second)
	mu.Unlock()
	if _, ok := c.Get(ctx, "k"); !ok {
		t.Fatal("expired early")
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if _, ok := c.Get(ctx, "k"); ok {
		t.Fatal("served past its TTL")
	}
	if c.Len() != 0 {
		t.Fatal("an expired answer stays in the cache")
	}
}

package app

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// SearchCache keeps search answers by key for a while. Keys carry the
// publication generation (see SearchCases), so a cache never has to be
// told that an answer went stale; the TTL is a backstop. Get and Set never
// fail the search: a cache that cannot answer is a miss. The in-process
// cache is the default; a shared one (Redis) can take its place.
type SearchCache interface {
	Get(ctx context.Context, key string) (*SearchAnswer, bool)
	Set(ctx context.Context, key string, ans *SearchAnswer)
}

// WithSearchCache makes the App cache search answers in c instead of the
// in-process cache.
func WithSearchCache(c SearchCache) Option {
	return func(a *App) { a.searchCache, a.searchCacheGiven = c, true }
}

// WithLocalSearchCache makes c this instance's own tier of the answer
// cache in place of the in-process LRU; unlike WithSearchCache, Redis
// (PORTAL_REDIS_URL) is still put behind it. With a c that keeps nothing,
// the Redis tier answers every repeat, which is what bench/redis.sh
// measures.
func WithLocalSearchCache(c SearchCache) Option {
	return func(a *App) { a.searchCache = c }
}

// Defaults of the in-process search cache.
const (
	searchCacheTTL     = 30 * time.Second
	searchCacheEntries = 4096
	searchCacheBytes   = 32 << 20
)

// memoryCache is an in-process LRU cache of search answers, bounded by
// entry count and by the size of the answers' JSON, with a TTL. Safe for
// concurrent use.
type memoryCache struct {
	ttl        time.Duration
	maxEntries int
	maxBytes   int
	now        func() time.Time

	mu    sync.Mutex
	order *list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
	bytes int
}

type cacheEntry struct {
	key     string
	ans     *SearchAnswer
	expires time.Time
	size    int
}

// newMemoryCache returns an empty cache. now is the real clock in
// production: the TTL bounds how long an answer is served, not a date of
// the register.
func newMemoryCache(ttl time.Duration, maxEntries, maxBytes int, now func() time.Time) *memoryCache {
	return &memoryCache{ttl: ttl, maxEntries: maxEntries, maxBytes: maxBytes, now: now,
		order: list.New(), byKey: make(map[string]*list.Element)}
}

// Get returns the live answer under key and marks it recently used.
func (c *memoryCache) Get(_ context.Context, key string) (*SearchAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.ans, true
}

// Set files ans under key, evicting the least recently used answers while
// the cache is over either bound. An answer larger than the byte bound on
// its own is not kept.
func (c *memoryCache) Set(_ context.Context, key string, ans *SearchAnswer) {
	// The decoded answer costs about what its JSON does; key and entry
	// are small beside it.
	size := 2*len(ans.body) + len(key) + 128
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	e := &cacheEntry{key: key, ans: ans, expires: c.now().Add(c.ttl), size: size}
	c.byKey[key] = c.order.PushFront(e)
	c.bytes += size
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

// Len returns how many answers the cache holds.
func (c *memoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *memoryCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.bytes -= e.size
}

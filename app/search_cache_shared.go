package app

import (
	"context"
	"encoding/json"
	"time"
)

// ByteCache is a cache of encoded values shared by every instance (Redis):
// Get misses and Set does nothing when it cannot answer.
type ByteCache interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, key string, value []byte)
}

// tieredCache answers from this instance's memory first and from the
// shared cache next, keeping what it finds there in memory, and writes to
// both: a popular answer computed on one instance is served by every other
// without each asking the index. Keys carry the publication generation, so
// an entry of an older generation is simply never asked for again.
type tieredCache struct {
	local  SearchCache
	shared ByteCache
}

// claimer is a shared cache with a stampede guard (redis.Cache).
type claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (release func(), won bool)
	Await(ctx context.Context, key string, wait time.Duration) ([]byte, bool)
}

// compute runs fn, which computes the answer for key and Sets it, unless
// another instance is computing the same answer: then it waits up to wait
// for that one, and runs fn itself only if it does not come. Within one
// instance SearchCases's singleflight already makes one caller of many
// reach here.
func (t tieredCache) compute(ctx context.Context, key string, wait time.Duration, fn func() (*SearchAnswer, error)) (*SearchAnswer, error) {
	g, ok := t.shared.(claimer)
	if !ok {
		return fn()
	}
	release, won := g.Claim(ctx, "search:"+key, wait)
	if won {
		defer release()
		return fn()
	}
	if raw, ok := g.Await(ctx, "search:"+key, wait); ok {
		ans := new(SearchAnswer)
		if err := json.Unmarshal(raw, ans); err == nil {
			ans.body = raw
			t.local.Set(ctx, key, ans)
			return ans, nil
		}
	}
	return fn()
}

func (t tieredCache) Get(ctx context.Context, key string) (*SearchAnswer, bool) {
	if ans, ok := t.local.Get(ctx, key); ok {
		return ans, true
	}
	raw, ok := t.shared.Get(ctx, "search:"+key)
	if !ok {
		return nil, false
	}
	ans := new(SearchAnswer)
	if err := json.Unmarshal(raw, ans); err != nil {
		return nil, false // written by another version, or damaged: compute it again
	}
	ans.body = raw
	t.local.Set(ctx, key, ans)
	return ans, true
}

func (t tieredCache) Set(ctx context.Context, key string, ans *SearchAnswer) {
	t.local.Set(ctx, key, ans)
	t.shared.Set(ctx, "search:"+key, ans.JSON())
}

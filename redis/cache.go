package redis

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Cache keeps byte values in Redis under the client's prefix and "c:", each
// with a TTL, for every instance to share. Its calls go through breaker:
// while Redis fails or the breaker is open, Get misses and Set does nothing,
// at once, so a dead Redis makes answers uncached, never slow or wrong. It
// is safe for concurrent use.
type Cache struct {
	c       *Client
	breaker *Breaker
	ttl     time.Duration

	hits, misses atomic.Uint64
}

// Hits returns how many Gets found a value: a counter for metrics.
func (k *Cache) Hits() uint64 { return k.hits.Load() }

// Misses returns how many Gets found none, Redis failing included.
func (k *Cache) Misses() uint64 { return k.misses.Load() }

// NewCache returns a cache on c whose entries live for ttl.
func NewCache(c *Client, breaker *Breaker, ttl time.Duration) *Cache {
	return &Cache{c: c, breaker: breaker, ttl: ttl}
}

// Get returns the value under key, and false on a miss, on a Redis error
// or while the breaker is open.
func (k *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	if !k.breaker.acquire() {
		k.misses.Add(1)
		return nil, false
	}
	v, err := k.c.rdb.Get(ctx, k.key(key)).Bytes()
	switch {
	case err == nil:
		k.breaker.success()
		k.hits.Add(1)
		return v, true
	case errors.Is(err, goredis.Nil):
		k.breaker.success()
	case ctx.Err() != nil:
		k.breaker.abandon()
	default:
		k.breaker.failure(err)
	}
	k.misses.Add(1)
	return nil, false
}

// Set stores value under key for the cache's TTL. A failure is absorbed
// (counted by the breaker): the next Get misses and the caller computes
// the value again.
func (k *Cache) Set(ctx context.Context, key string, value []byte) {
	if !k.breaker.acquire() {
		return
	}
	err := k.c.rdb.Set(ctx, k.key(key), value, k.ttl).Err()
	switch {
	case err == nil:
		k.breaker.success()
	case ctx.Err() != nil:
		k.breaker.abandon()
	default:
		k.breaker.failure(err)
	}
}

func (k *Cache) key(key string) string { return k.c.prefix + "c:" + key }

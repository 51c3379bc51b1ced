package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	v, ok := k.get(ctx, key)
	if ok {
		k.hits.Add(1)
	} else {
		k.misses.Add(1)
	}
	return v, ok
}

// get is Get without the counters.
func (k *Cache) get(ctx context.Context, key string) ([]byte, bool) {
	if !k.breaker.acquire() {
		return nil, false
	}
	v, err := k.c.rdb.Get(ctx, k.key(key)).Bytes()
	switch {
	case err == nil:
		k.breaker.success()
		return v, true
	case errors.Is(err, goredis.Nil):
		k.breaker.success()
	case ctx.Err() != nil:
		k.breaker.abandon()
	default:
		k.breaker.failure(err)
	}
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

// releaseScript deletes a claim only if it is still the caller's.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Claim asks to be the one instance that computes the value of key, for at
// most ttl: the stampede guard, so that a popular answer missing from the
// cache (after a publication moved the generation on) is computed once for
// every instance, not once per instance. won is true for the caller that
// should compute, then Set the value and call release; false means another
// instance is computing it: Await it. When Redis cannot answer, won is true
// (each instance computes for itself, as without Redis).
func (k *Cache) Claim(ctx context.Context, key string, ttl time.Duration) (release func(), won bool) {
	noop := func() {}
	if !k.breaker.acquire() {
		return noop, true
	}
	var tok [12]byte
	if _, err := rand.Read(tok[:]); err != nil {
		k.breaker.abandon()
		return noop, true
	}
	token := hex.EncodeToString(tok[:])
	ok, err := k.c.rdb.SetNX(ctx, k.claimKey(key), token, ttl).Result()
	switch {
	case err == nil:
		k.breaker.success()
	case ctx.Err() != nil:
		k.breaker.abandon()
		return noop, true
	default:
		k.breaker.failure(err)
		return noop, true
	}
	if !ok {
		return noop, false
	}
	return func() {
		// Detached: the claim must go even if the caller's request ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = releaseScript.Run(rctx, k.c.rdb, []string{k.claimKey(key)}, token).Err() // expires by itself otherwise
	}, true
}

// awaitPoll is how often Await looks for the value another instance is
// computing.
const awaitPoll = 10 * time.Millisecond

// Await waits up to wait for another instance's value of key to appear,
// and returns it; false when it did not (the claimant failed or is slow),
// and the caller computes it itself.
func (k *Cache) Await(ctx context.Context, key string, wait time.Duration) ([]byte, bool) {
	deadline := time.Now().Add(wait)
	t := time.NewTicker(awaitPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-t.C:
		}
		if v, ok := k.get(ctx, key); ok {
			return v, true
		}
		if time.Now().After(deadline) || k.breaker.State() != StateClosed {
			return nil, false
		}
	}
}

func (k *Cache) claimKey(key string) string { return k.c.prefix + "claim:" + key }

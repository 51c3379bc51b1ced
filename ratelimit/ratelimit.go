// Package ratelimit counts requests per key against a rate, with the
// generic cell rate algorithm (GCRA): a key may spend its whole allowance
// in a burst and then earns it back evenly over the period. Memory is the
// in-process implementation; the Redis one lives with the other Redis code.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Result is the outcome of one Allow call, with what the RateLimit-*
// response headers need.
type Result struct {
	Allowed    bool
	Limit      int           // requests allowed per period
	Remaining  int           // requests left right now
	ResetAfter time.Duration // until the allowance is whole again
	RetryAfter time.Duration // until the next request is allowed; 0 when Allowed
}

// Limiter decides whether one more event for key is allowed now.
// Implementations are safe for concurrent use.
type Limiter interface {
	Allow(ctx context.Context, key string) (Result, error)

	// AllowN decides whether n events at once are allowed now, as one
	// request that costs n (a batch of n checks): all of them or none.
	// n larger than the limit is never allowed. AllowN(ctx, key, 1) is
	// Allow.
	AllowN(ctx context.Context, key string, n int) (Result, error)
}

// Memory is a Limiter for one process. Its state is lost on restart and is
// not shared between instances.
type Memory struct {
	limit    int
	period   time.Duration
	interval time.Duration // period / limit: the time one request "costs"
	now      func() time.Time

	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time per key
	calls int
}

// NewMemory returns a limiter allowing limit events per period per key.
// now may be nil for the wall clock.
func NewMemory(limit int, period time.Duration, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{limit: limit, period: period, interval: period / time.Duration(limit), now: now, tat: map[string]time.Time{}}
}

// sweepEvery bounds memory: every so many calls, keys whose allowance is
// whole again are forgotten (they are indistinguishable from new keys).
const sweepEvery = 4096

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string) (Result, error) {
	return m.AllowN(ctx, key, 1)
}

// AllowN implements Limiter, with the arithmetic of redis_rate's AllowN, so
// that a cost of n means the same with and without Redis.
func (m *Memory) AllowN(_ context.Context, key string, n int) (Result, error) {
	if n < 1 {
		n = 1
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls%sweepEvery == 0 {
		for k, t := range m.tat {
			if !t.After(now) {
				delete(m.tat, k)
			}
		}
	}
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	next := tat.Add(m.interval * time.Duration(n))
	allowAt := next.Add(-m.period)
	if now.Before(allowAt) {
		return Result{
			Allowed: false, Limit: m.limit, Remaining: 0,
			ResetAfter: tat.Sub(now), RetryAfter: allowAt.Sub(now),
		}, nil
	}
	m.tat[key] = next
	remaining := int((m.period - next.Sub(now)) / m.interval)
	return Result{Allowed: true, Limit: m.limit, Remaining: remaining, ResetAfter: next.Sub(now)}, nil
}

// Len returns how many keys the limiter currently remembers.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"ethicsportal/ratelimit"
)

// Limiter is a ratelimit.Limiter whose state lives in Redis, so every
// instance on one Redis spends the same allowance. It runs the same GCRA as
// ratelimit.Memory (through redis_rate, as one script call per request, on
// Redis's clock), so a limit means the same with and without Redis.
type Limiter struct {
	rl    *redis_rate.Limiter
	limit redis_rate.Limit
}

// NewLimiter returns a shared limiter allowing limit events per period per
// key. Its keys are prefix + "rl:" + name + ":" + key; name keeps limiters
// that see the same keys (an IP address, say) apart. It fails when limit or
// period is not positive, or name is empty.
func NewLimiter(c *Client, name string, limit int, period time.Duration) (*Limiter, error) {
	if limit <= 0 || period <= 0 {
		return nil, fmt.Errorf("redis: limiter %q: want a positive limit and period, got %d per %s", name, limit, period)
	}
	if name == "" {
		return nil, errors.New("redis: limiter: no name")
	}
	keys := rateKeys{UniversalClient: c.rdb, base: c.prefix + "rl:" + name + ":"}
	return &Limiter{
		rl:    redis_rate.NewLimiter(keys),
		limit: redis_rate.Limit{Rate: limit, Burst: limit, Period: period},
	}, nil
}

// Allow implements ratelimit.Limiter. The error, when Redis fails or times
// out, wraps the go-redis error; the Result is then zero and must not be
// used (see Fallback).
func (l *Limiter) Allow(ctx context.Context, key string) (ratelimit.Result, error) {
	return l.AllowN(ctx, key, 1)
}

// AllowN implements ratelimit.Limiter: one script call that spends n of
// the allowance or none of it. Errors are as for Allow.
func (l *Limiter) AllowN(ctx context.Context, key string, n int) (ratelimit.Result, error) {
	if n < 1 {
		n = 1
	}
	r, err := l.rl.AllowN(ctx, key, l.limit, n)
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("redis: rate limit: %w", err)
	}
	res := ratelimit.Result{
		Allowed:    r.Allowed > 0,
		Limit:      l.limit.Rate,
		Remaining:  r.Remaining,
		ResetAfter: r.ResetAfter,
		RetryAfter: r.RetryAfter,
	}
	// redis_rate says -1 for "no wait"; ratelimit.Result says 0.
	if res.Allowed || res.RetryAfter < 0 {
		res.RetryAfter = 0
	}
	if res.ResetAfter < 0 {
		res.ResetAfter = 0
	}
	return res, nil
}

// rateKeys moves redis_rate's keys, which it names "rate:" + key, under the
// portal's prefix, so that every key the portal writes shares one prefix
// (for ACLs, for cleaning up, and for several portals on one Redis).
type rateKeys struct {
	goredis.UniversalClient
	base string
}

const rateLibPrefix = "rate:"

func (k rateKeys) rename(keys []string) []string {
	out := make([]string, len(keys))
	for i, key := range keys {
		out[i] = k.base + strings.TrimPrefix(key, rateLibPrefix)
	}
	return out
}

func (k rateKeys) Eval(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return k.UniversalClient.Eval(ctx, script, k.rename(keys), args...)
}

func (k rateKeys) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return k.UniversalClient.EvalSha(ctx, sha1, k.rename(keys), args...)
}

func (k rateKeys) EvalRO(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return k.UniversalClient.EvalRO(ctx, script, k.rename(keys), args...)
}

func (k rateKeys) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return k.UniversalClient.EvalShaRO(ctx, sha1, k.rename(keys), args...)
}

func (k rateKeys) Del(ctx context.Context, keys ...string) *goredis.IntCmd {
	return k.UniversalClient.Del(ctx, k.rename(keys)...)
}

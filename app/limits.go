package app

import (
	"context"
	"fmt"
	"time"

	"ethicsportal/config"
	"ethicsportal/ratelimit"
	"ethicsportal/redis"
)

// setUpLimits builds the rate limiters. Without PORTAL_REDIS_URL each is
// in-process. With it each is shared by every instance through Redis, and
// falls back to an in-process twin of the same rate the moment Redis errs
// or times out (never open), behind one circuit breaker for the client, so
// that a dead Redis adds no latency; shared limiting resumes by itself.
// Search answers are then cached in Redis too (tieredCache), behind the
// same breaker.
func (a *App) setUpLimits(ctx context.Context) error {
	memory := func(r config.Rate) ratelimit.Limiter { return ratelimit.NewMemory(r.N, r.Period, a.now) }
	if a.cfg.RedisURL == "" {
		a.limits = Limits{Verify: memory(a.cfg.RateVerify), Search: memory(a.cfg.RateSearch), Login: memory(a.cfg.RateLogin),
			Client: memory(a.cfg.RateClient)}
		return nil
	}
	redis.RouteLibraryLog(a.log) // go-redis's own logger is process-wide
	c, err := redis.Open(ctx, a.cfg.RedisURL, a.cfg.RedisPrefix, redis.Options{})
	if err != nil {
		return fmt.Errorf("app: redis: %w", err)
	}
	breaker := redis.NewBreaker(redis.BreakerOptions{Log: a.log})
	shared := func(name string, r config.Rate) (ratelimit.Limiter, error) {
		l, err := redis.NewLimiter(c, name, r.N, r.Period)
		if err != nil {
			return nil, fmt.Errorf("app: redis limiter %s: %w", name, err)
		}
		return redis.NewFallback(l, memory(r), breaker), nil
	}
	var lim Limits
	if lim.Verify, err = shared("verify", a.cfg.RateVerify); err == nil {
		if lim.Search, err = shared("search", a.cfg.RateSearch); err == nil {
			if lim.Login, err = shared("login", a.cfg.RateLogin); err == nil {
				lim.Client, err = shared("client", a.cfg.RateClient)
			}
		}
	}
	if err != nil {
		c.Close()
		return err
	}
	a.redis, a.limits = c, lim
	if !a.searchCacheGiven {
		a.searchCache = tieredCache{local: a.searchCache, shared: redis.NewCache(c, breaker, searchCacheTTL)}
	}
	return nil
}

// redisPingTimeout bounds the readiness check of Redis.
const redisPingTimeout = time.Second

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
// same breaker, and the deny list and users' states are read from Redis
// (sessions.go). It runs before the outbox worker is built, whose
// consumers it extends.
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
	ictx, cancel := context.WithTimeout(ctx, redisPingTimeout)
	for _, w := range c.Inspect(ictx) {
		a.log.Warn("redis: " + w)
	}
	cancel()
	breaker := redis.NewBreaker(redis.BreakerOptions{Log: a.log})
	var fallbacks []*redis.Fallback
	shared := func(name string, r config.Rate) (ratelimit.Limiter, error) {
		l, err := redis.NewLimiter(c, name, r.N, r.Period)
		if err != nil {
			return nil, fmt.Errorf("app: redis limiter %s: %w", name, err)
		}
		f := redis.NewFallback(l, memory(r), breaker)
		fallbacks = append(fallbacks, f)
		return f, nil
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
	a.sessions = redis.NewSessions(c, breaker, sessionTTL, a.sessionSource)
	a.consumers = append(a.consumers, sessionsConsumer{a})
	if a.indexMode == indexServe {
		// A serving instance makes its copy before the first admin request;
		// an operator's command (no index) leaves it to the servers, whose
		// first token check would start it anyway.
		a.sessions.StartResync()
	}
	answers := redis.NewCache(c, breaker, searchCacheTTL)
	if !a.searchCacheGiven {
		a.searchCache = tieredCache{local: a.searchCache, shared: answers}
	}
	a.caseCache = answers
	a.redisParts = redisParts{breaker: breaker, fallbacks: fallbacks, answers: answers}
	return nil
}

// redisPingTimeout bounds the readiness check of Redis.
const redisPingTimeout = time.Second

// redisParts are the Redis pieces whose counters the metrics read.
type redisParts struct {
	breaker   *redis.Breaker
	fallbacks []*redis.Fallback
	answers   *redis.Cache
}

// RedisStats are this instance's counters of its use of Redis.
type RedisStats struct {
	BreakerOpen   bool   // Redis is being held off after failures
	Failures      uint64 // Redis calls that failed
	BreakerOpens  uint64 // times the breaker opened
	LocalAnswers  uint64 // rate-limit answers the in-process twin gave instead of Redis
	CacheHits     uint64 // shared-cache reads that found an answer
	CacheMisses   uint64 // shared-cache reads that did not (Redis down included)
	SessionCopies uint64 // copies of the deny list and users made to Redis
}

// RedisStats returns the counters, or nil without Redis.
func (a *App) RedisStats() *RedisStats {
	p := a.redisParts
	if p.breaker == nil {
		return nil
	}
	st := &RedisStats{BreakerOpen: p.breaker.State() != redis.StateClosed, Failures: p.breaker.Failures(),
		BreakerOpens: p.breaker.Opens(), CacheHits: p.answers.Hits(), CacheMisses: p.answers.Misses(),
		SessionCopies: a.SessionCopies()}
	for _, f := range p.fallbacks {
		st.LocalAnswers += f.LocalAnswers()
	}
	return st
}

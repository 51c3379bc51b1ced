package redis

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"ethicsportal/ratelimit"
)

// State is a circuit breaker's state.
type State int

const (
	// StateClosed: Redis is called on every request.
	StateClosed State = iota
	// StateOpen: Redis failed; it is not called until the cool-down ends.
	StateOpen
	// StateHalfOpen: the cool-down ended and one probe request is calling Redis.
	StateHalfOpen
)

func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	case StateHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// BreakerOptions configure a Breaker. Zero fields take the defaults.
type BreakerOptions struct {
	Threshold int              // consecutive failures that open it; default 3
	Cooldown  time.Duration    // how long it stays open before a probe; default 5s
	Now       func() time.Time // clock; default time.Now
	Log       *slog.Logger     // one line on opening, one on closing; default discards
}

// Breaker is a circuit breaker for calls to Redis: after Threshold
// consecutive failures it opens, and while open Redis is not called at all,
// so a dead Redis costs requests nothing. After Cooldown one request probes
// Redis; success closes the breaker, failure opens it for another Cooldown.
// One Breaker is meant to be shared by every Fallback on one Client, since
// they fail together. It is safe for concurrent use.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	log       *slog.Logger

	mu       sync.Mutex
	state    State
	run      int       // consecutive failures
	openedAt time.Time // start of the current cool-down

	failures atomic.Uint64
	opens    atomic.Uint64
}

// NewBreaker returns a closed breaker.
func NewBreaker(o BreakerOptions) *Breaker {
	if o.Threshold <= 0 {
		o.Threshold = 3
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Breaker{threshold: o.Threshold, cooldown: o.Cooldown, now: o.Now, log: o.Log}
}

// State returns the current state.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Failures returns how many Redis calls have failed since the breaker was
// made: a counter for metrics.
func (b *Breaker) Failures() uint64 { return b.failures.Load() }

// Opens returns how many times the breaker has opened: a counter for metrics.
func (b *Breaker) Opens() uint64 { return b.opens.Load() }

// acquire says whether this request may call Redis.
func (b *Breaker) acquire() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case StateClosed:
		return true
	case StateOpen:
		if b.now().Sub(b.openedAt) >= b.cooldown {
			b.state = StateHalfOpen
			return true
		}
	}
	return false // open, or a probe is already out
}

// success records a call that Redis answered.
func (b *Breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.run = 0
	if b.state != StateClosed {
		b.state = StateClosed
		b.log.Info("redis: reachable again; shared rate limits resume")
	}
}

// failure records a call that Redis did not answer.
func (b *Breaker) failure(err error) {
	b.failures.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.run++
	switch {
	case b.state == StateHalfOpen:
		// The probe failed: another cool-down, without another log line.
		b.state = StateOpen
		b.openedAt = b.now()
	case b.state == StateClosed && b.run >= b.threshold:
		b.state = StateOpen
		b.openedAt = b.now()
		b.opens.Add(1)
		b.log.Warn("redis: unreachable; rate limits fall back to this instance alone",
			"failures", b.run, "retry_in", b.cooldown, "err", err)
	}
}

// abandon records a call that ended without a verdict on Redis (the
// caller's context was cancelled): a probe in flight is given back.
func (b *Breaker) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == StateHalfOpen {
		b.state = StateOpen // cool-down already over: the next request probes
	}
}

// Fallback is a ratelimit.Limiter that asks the shared limiter and, when
// Redis fails, times out or its breaker is open, answers from the local
// one at once. It never fails open: every answer comes from one of the two
// limiters. The local limiter is also charged with every request the
// shared one admits on this instance, so during an outage each instance
// limits alone but remembers what it admitted before.
type Fallback struct {
	shared, local ratelimit.Limiter
	breaker       *Breaker
	localAnswers  atomic.Uint64
}

// NewFallback returns a Fallback over shared (normally a *Limiter) and local
// (normally a *ratelimit.Memory with the same limit and period), guarded by
// breaker.
func NewFallback(shared, local ratelimit.Limiter, breaker *Breaker) *Fallback {
	return &Fallback{shared: shared, local: local, breaker: breaker}
}

// Allow implements ratelimit.Limiter. Its error is the local limiter's
// (ratelimit.Memory never fails); a Redis error is absorbed and counted.
func (f *Fallback) Allow(ctx context.Context, key string) (ratelimit.Result, error) {
	return f.AllowN(ctx, key, 1)
}

// AllowN implements ratelimit.Limiter as Allow does, for a cost of n.
func (f *Fallback) AllowN(ctx context.Context, key string, n int) (ratelimit.Result, error) {
	if f.breaker.acquire() {
		res, err := f.shared.AllowN(ctx, key, n)
		switch {
		case err == nil:
			f.breaker.success()
			if res.Allowed {
				// The twin counts what this instance admitted, so that an
				// outage does not start it with a full allowance: a client
				// that spent its allowance here gets nothing more from it.
				_, _ = f.local.AllowN(ctx, key, n)
			}
			return res, nil
		case ctx.Err() != nil:
			f.breaker.abandon()
		default:
			f.breaker.failure(err)
		}
	}
	f.localAnswers.Add(1)
	return f.local.AllowN(ctx, key, n)
}

// LocalAnswers returns how many requests the local limiter has answered: a
// counter for metrics.
func (f *Fallback) LocalAnswers() uint64 { return f.localAnswers.Load() }

var (
	_ ratelimit.Limiter = (*Limiter)(nil)
	_ ratelimit.Limiter = (*Fallback)(nil)
)

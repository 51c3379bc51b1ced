package redis

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ethicsportal/ratelimit"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// switchable counts calls and forwards them to a limiter the test can swap.
type switchable struct {
	calls  atomic.Int64
	target atomic.Pointer[ratelimit.Limiter]
}

func (s *switchable) set(l ratelimit.Limiter) { s.target.Store(&l) }

func (s *switchable) Allow(ctx context.Context, key string) (ratelimit.Result, error) {
	s.calls.Add(1)
	return (*s.target.Load()).Allow(ctx, key)
}

func (s *switchable) AllowN(ctx context.Context, key string, n int) (ratelimit.Result, error) {
	s.calls.Add(1)
	return (*s.target.Load()).AllowN(ctx, key, n)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), substr)
}

const (
	logOpened = "redis: unreachable"
	logClosed = "redis: reachable again"
)

// A Redis nobody listens on: every answer comes from the local limiter, at
// once; the breaker opens after Threshold failures (one log line), stops
// calling Redis, and closes on the first successful probe after the
// cool-down (one log line), after which answers are shared again.
func TestFallbackUnreachable(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var logs syncBuffer
	br := NewBreaker(BreakerOptions{Threshold: 3, Cooldown: 10 * time.Second, Now: clock.now,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})

	dead, err := Open(ctx, "redis://"+closedPort(t)+"/0", testPrefix(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	shared := &switchable{}
	shared.set(newTestLimiter(t, dead, "verify", 5, time.Minute))
	local := ratelimit.NewMemory(3, time.Minute, clock.now)
	f := NewFallback(shared, local, br)

	for i := 1; i <= 6; i++ {
		start := time.Now()
		r, err := f.Allow(ctx, "192.0.2.1")
		if took := time.Since(start); took > 250*time.Millisecond {
			t.Errorf("request %d took %v with Redis unreachable", i, took)
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if r.Allowed != (i <= 3) || r.Limit != 3 {
			t.Errorf("request %d: %+v; want the local limit of 3", i, r)
		}
	}
	if br.State() != StateOpen || br.Failures() != 3 || br.Opens() != 1 {
		t.Errorf("breaker %v, %d failures, %d opens; want open, 3, 1", br.State(), br.Failures(), br.Opens())
	}
	if n := shared.calls.Load(); n != 3 {
		t.Errorf("Redis called %d times; want 3, none once the breaker is open", n)
	}
	if f.LocalAnswers() != 6 {
		t.Errorf("%d local answers, want 6", f.LocalAnswers())
	}

	// Before the cool-down ends Redis is left alone; after it, one probe
	// fails and the breaker opens again without a second log line.
	clock.advance(9 * time.Second)
	f.Allow(ctx, "192.0.2.1")
	if n := shared.calls.Load(); n != 3 {
		t.Errorf("Redis called during the cool-down (%d calls)", n)
	}
	clock.advance(time.Second)
	f.Allow(ctx, "192.0.2.1")
	f.Allow(ctx, "192.0.2.1")
	if n := shared.calls.Load(); n != 4 || br.State() != StateOpen {
		t.Errorf("after the cool-down: %d Redis calls, breaker %v; want one probe (4), open", n, br.State())
	}

	// A reachable Redis: the next probe closes the breaker and the shared
	// limit (5, not the local 3) answers.
	shared.set(newTestLimiter(t, openTest(t, testPrefix(t)), "verify", 5, time.Minute))
	clock.advance(10 * time.Second)
	r, err := f.Allow(ctx, "192.0.2.1")
	if err != nil || !r.Allowed || r.Limit != 5 || r.Remaining != 4 {
		t.Errorf("first answer after Redis is back: %+v, %v; want the shared limit, 4 remaining", r, err)
	}
	if br.State() != StateClosed {
		t.Errorf("breaker %v after a successful probe", br.State())
	}
	if o, c := logs.count(logOpened), logs.count(logClosed); o != 1 || c != 1 {
		t.Errorf("%d opening and %d closing log lines, want 1 and 1:\n%s", o, c, logs.b.String())
	}
}

// blocking is a shared limiter whose calls wait for release.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blocking) Allow(ctx context.Context, _ string) (ratelimit.Result, error) {
	b.entered <- struct{}{}
	<-b.release
	return ratelimit.Result{Allowed: true, Limit: 99, Remaining: 98}, nil
}

func (b *blocking) AllowN(ctx context.Context, key string, _ int) (ratelimit.Result, error) {
	return b.Allow(ctx, key)
}

// failing is a shared limiter that always fails, with the context's error
// when there is one.
type failing struct{ calls atomic.Int64 }

func (f *failing) Allow(ctx context.Context, _ string) (ratelimit.Result, error) {
	f.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return ratelimit.Result{}, err
	}
	return ratelimit.Result{}, errors.New("connection refused")
}

func (f *failing) AllowN(ctx context.Context, key string, _ int) (ratelimit.Result, error) {
	return f.Allow(ctx, key)
}

// AllowN goes to the shared limiter, and to the local one while Redis fails.
func TestFallbackAllowN(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	br := NewBreaker(BreakerOptions{Threshold: 1, Cooldown: time.Minute, Now: clock.now})
	shared := &switchable{}
	shared.set(ratelimit.NewMemory(100, time.Minute, clock.now))
	f := NewFallback(shared, ratelimit.NewMemory(10, time.Minute, clock.now), br)
	if r, err := f.AllowN(ctx, "k", 30); err != nil || !r.Allowed || r.Limit != 100 || r.Remaining != 70 {
		t.Fatalf("shared: %+v, %v; want 30 of 100 spent", r, err)
	}
	shared.set(&failing{})
	if r, err := f.AllowN(ctx, "k", 30); err != nil || r.Allowed || r.Limit != 10 {
		t.Fatalf("Redis failing, 30 against the local 10: %+v, %v; want refused by the local limiter", r, err)
	}
	if r, err := f.AllowN(ctx, "k", 8); err != nil || !r.Allowed || r.Remaining != 2 {
		t.Fatalf("Redis failing, 8 of the local 10: %+v, %v", r, err)
	}
	if n := shared.calls.Load(); n != 2 {
		t.Errorf("shared limiter called %d times, want 2 (the breaker opened on the first failure)", n)
	}
}

// While a probe is out, other requests are answered locally without waiting.
func TestBreakerSingleProbe(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	br := NewBreaker(BreakerOptions{Threshold: 1, Cooldown: time.Second, Now: clock.now})
	fail := &failing{}
	local := ratelimit.NewMemory(10, time.Minute, clock.now)
	if _, err := NewFallback(fail, local, br).Allow(ctx, "k"); err != nil || br.State() != StateOpen {
		t.Fatalf("after one failure at threshold 1: breaker %v, %v", br.State(), err)
	}
	clock.advance(time.Second)

	slow := &blocking{entered: make(chan struct{}), release: make(chan struct{})}
	f := NewFallback(slow, local, br)
	probe := make(chan ratelimit.Result)
	go func() {
		r, _ := f.Allow(ctx, "k")
		probe <- r
	}()
	<-slow.entered
	if br.State() != StateHalfOpen {
		t.Errorf("breaker %v while the probe is out", br.State())
	}
	r, err := f.Allow(ctx, "k") // would block on entered if it called Redis
	if err != nil || r.Limit != 10 {
		t.Errorf("request during the probe: %+v, %v; want a local answer", r, err)
	}
	close(slow.release)
	if r := <-probe; r.Limit != 99 {
		t.Errorf("probe answer %+v, want the shared one", r)
	}
	if br.State() != StateClosed {
		t.Errorf("breaker %v after the probe succeeded", br.State())
	}
}

// A caller that gives up is not Redis failing: it is answered locally but
// not counted against Redis.
func TestFallbackCancelledCaller(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	br := NewBreaker(BreakerOptions{Threshold: 1})
	fail := &failing{}
	r, err := NewFallback(fail, ratelimit.NewMemory(1, time.Minute, nil), br).Allow(ctx, "k")
	if err != nil || !r.Allowed || r.Limit != 1 {
		t.Errorf("cancelled caller: %+v, %v; want the local answer", r, err)
	}
	if fail.calls.Load() != 1 || br.State() != StateClosed || br.Failures() != 0 {
		t.Errorf("breaker %v with %d failures after a cancelled call", br.State(), br.Failures())
	}
}

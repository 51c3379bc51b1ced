package redis

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/ratelimit"
)

func newTestLimiter(t *testing.T, c *Client, name string, n int, period time.Duration) *Limiter {
	t.Helper()
	l, err := NewLimiter(c, name, n, period)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func near(a, b, tol time.Duration) bool {
	d := a - b
	return d <= tol && d >= -tol
}

// The shared limiter answers a sequence of requests as the in-process one
// does, field by field.
func TestLimiterMatchesMemory(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, testPrefix(t))
	shared := newTestLimiter(t, c, "verify", 5, time.Minute)
	fixed := time.Now()
	mem := ratelimit.NewMemory(5, time.Minute, func() time.Time { return fixed })

	for i := 1; i <= 7; i++ {
		want, _ := mem.Allow(ctx, "198.51.100.7")
		got, err := shared.Allow(ctx, "198.51.100.7")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got.Allowed != want.Allowed || got.Limit != want.Limit || got.Remaining != want.Remaining {
			t.Errorf("request %d: got %+v, the in-process limiter says %+v", i, got, want)
		}
		// Real time passes between the shared calls; the fixed clock does not.
		if !near(got.ResetAfter, want.ResetAfter, time.Second) || !near(got.RetryAfter, want.RetryAfter, time.Second) {
			t.Errorf("request %d: durations %v/%v, the in-process limiter says %v/%v",
				i, got.ResetAfter, got.RetryAfter, want.ResetAfter, want.RetryAfter)
		}
		if got.Allowed != (i <= 5) {
			t.Errorf("request %d: allowed %v", i, got.Allowed)
		}
	}
}

// AllowN spends n at once, as the in-process limiter does: all or nothing.
func TestLimiterAllowNMatchesMemory(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, testPrefix(t))
	shared := newTestLimiter(t, c, "client", 10, time.Hour)
	fixed := time.Now()
	mem := ratelimit.NewMemory(10, time.Hour, func() time.Time { return fixed })
	for i, n := range []int{4, 5, 2, 1, 11} {
		want, _ := mem.AllowN(ctx, "cl_x", n)
		got, err := shared.AllowN(ctx, "cl_x", n)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got.Allowed != want.Allowed || got.Limit != want.Limit || got.Remaining != want.Remaining {
			t.Errorf("step %d (cost %d): got %+v, the in-process limiter says %+v", i, n, got, want)
		}
		if !near(got.RetryAfter, want.RetryAfter, time.Second) {
			t.Errorf("step %d: retry after %v, the in-process limiter says %v", i, got.RetryAfter, want.RetryAfter)
		}
	}
}

// Once spent, the allowance comes back at the configured rate: one request
// per period/limit.
func TestLimiterRefillsAtRate(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, testPrefix(t))
	l := newTestLimiter(t, c, "search", 10, time.Second) // one every 100ms

	for i := 0; i < 10; i++ {
		if r, err := l.Allow(ctx, "k"); err != nil || !r.Allowed {
			t.Fatalf("request %d of the burst: %+v, %v", i+1, r, err)
		}
	}
	denied, err := l.Allow(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if denied.Allowed || denied.RetryAfter <= 0 || denied.RetryAfter > 100*time.Millisecond {
		t.Fatalf("11th request: %+v, want denied with RetryAfter in (0, 100ms]", denied)
	}
	start := time.Now()
	deadline := start.Add(2 * time.Second)
	for {
		r, err := l.Allow(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no request allowed again within 2s at 10 per second")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if waited := time.Since(start); waited < denied.RetryAfter-20*time.Millisecond {
		t.Errorf("allowed again after %v, before the RetryAfter of %v", waited, denied.RetryAfter)
	}
	if r, err := l.Allow(ctx, "k"); err != nil || r.Allowed {
		t.Errorf("right after the earned-back request: %+v, %v; want denied", r, err)
	}
}

// Every key lives under the prefix, with an expiry, and limiters with
// different names keep apart.
func TestLimiterKeys(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	c := openTest(t, p)
	verify := newTestLimiter(t, c, "verify", 1, time.Minute)
	search := newTestLimiter(t, c, "search", 1, time.Minute)
	for _, l := range []*Limiter{verify, search} {
		if r, err := l.Allow(ctx, "203.0.113.9"); err != nil || !r.Allowed {
			t.Fatalf("first request: %+v, %v", r, err)
		}
	}
	if r, _ := verify.Allow(ctx, "203.0.113.9"); r.Allowed {
		t.Error("second request to a limit of 1 allowed")
	}
	keys := keysUnder(t, ctx, c)
	want := map[string]bool{p + "rl:verify:203.0.113.9": true, p + "rl:search:203.0.113.9": true}
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
		ttl, err := c.rdb.TTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Errorf("key %q: TTL %v, %v; want in (0, 1m]", k, ttl, err)
		}
	}
}

// Two clients, as two instances, spend one allowance: 30 requests at once
// across both against a limit of 20 a minute let exactly 20 through.
func TestTwoClientsShareLimit(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	a := newTestLimiter(t, openTest(t, p), "verify", 20, time.Minute)
	b := newTestLimiter(t, openTest(t, p), "verify", 20, time.Minute)

	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed, perInstance := 0, [2]int{}
	for i := 0; i < 30; i++ {
		l, which := a, 0
		if i%2 == 1 {
			l, which = b, 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Allow(ctx, "192.0.2.1")
			if err != nil {
				t.Error(err)
				return
			}
			if r.Allowed {
				mu.Lock()
				allowed++
				perInstance[which]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 20 {
		t.Errorf("%d of 30 allowed across two instances (%v), want 20", allowed, perInstance)
	}
}

func TestNewLimiterRejects(t *testing.T) {
	c, err := Open(context.Background(), "redis://127.0.0.1:1/0", "p:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		name   string
		n      int
		period time.Duration
	}{{"verify", 0, time.Minute}, {"verify", 5, 0}, {"", 5, time.Minute}} {
		if _, err := NewLimiter(c, tc.name, tc.n, tc.period); err == nil {
			t.Errorf("NewLimiter(%q, %d, %v): no error", tc.name, tc.n, tc.period)
		}
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, u := range []string{"", "http://user:s3cret@example.org/", "redis://user:s3cret@host:notaport/0"} {
		_, err := Open(context.Background(), u, "p:", Options{})
		if err == nil {
			t.Errorf("Open(%q): no error", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open: error repeats the password: %v", err)
		}
	}
}

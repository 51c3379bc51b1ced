package redis

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"ethicsportal/ratelimit"
)

// A Redis process of the test's own is stopped and started again under a
// live client: during the outage limits keep holding (from the local
// limiter) with no request slower than the bound, the breaker opens once,
// and once Redis is back shared limiting resumes by itself.
func TestFaultRedisRestart(t *testing.T) {
	const bound = 250 * time.Millisecond // a refused dial or a reset connection, not a timeout
	ctx := context.Background()
	srv := newRedisServer(t)
	srv.Start()
	c, err := Open(ctx, srv.URL(), "fault:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var logs syncBuffer
	br := NewBreaker(BreakerOptions{Threshold: 2, Cooldown: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	shared := newTestLimiter(t, c, "verify", 5, time.Minute)
	f := NewFallback(shared, ratelimit.NewMemory(3, time.Minute, nil), br)

	// allowed sends n requests for key and returns how many were allowed,
	// checking that each answered within the bound with the given limit
	// (0: either).
	allowed := func(phase, key string, n, limit int) int {
		t.Helper()
		count := 0
		for i := 0; i < n; i++ {
			start := time.Now()
			r, err := f.Allow(ctx, key)
			if took := time.Since(start); took > bound {
				t.Errorf("%s: request %d took %v", phase, i+1, took)
			}
			if err != nil {
				t.Fatalf("%s: request %d: %v", phase, i+1, err)
			}
			if limit != 0 && r.Limit != limit {
				t.Errorf("%s: request %d answered with limit %d, want %d", phase, i+1, r.Limit, limit)
			}
			if r.Allowed {
				count++
			}
		}
		return count
	}

	if n := allowed("redis up", "a", 7, 5); n != 5 {
		t.Errorf("redis up: %d of 7 allowed, want the shared 5", n)
	}

	srv.Stop()
	if n := allowed("redis down", "a", 6, 0); n != 0 {
		t.Errorf("redis down: %d of 6 allowed for a client that spent its allowance here, want 0", n)
	}
	if n := allowed("redis down", "c", 6, 0); n != 3 {
		t.Errorf("redis down: %d of 6 allowed for a new client, want the local 3", n)
	}
	if br.State() == StateClosed || br.Opens() != 1 {
		t.Errorf("redis down: breaker %v after %d opens", br.State(), br.Opens())
	}

	srv.Start()
	deadline := time.Now().Add(5 * time.Second)
	for br.State() != StateClosed {
		if time.Now().After(deadline) {
			t.Fatalf("breaker still %v 5s after Redis came back", br.State())
		}
		allowed("redis back, probing", "probe", 1, 0)
		time.Sleep(20 * time.Millisecond)
	}
	if n := allowed("redis back", "b", 7, 5); n != 5 {
		t.Errorf("redis back: %d of 7 allowed, want the shared 5", n)
	}
	if n, err := c.rdb.Exists(ctx, "fault:rl:verify:b").Result(); err != nil || n != 1 {
		t.Errorf("redis back: the limiter key is not in Redis (%d, %v)", n, err)
	}
	if o, cl := logs.count(logOpened), logs.count(logClosed); o != 1 || cl != 1 {
		t.Errorf("%d opening and %d closing log lines, want 1 and 1:\n%s", o, cl, logs.b.String())
	}
}

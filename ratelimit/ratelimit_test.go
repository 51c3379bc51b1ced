package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestMemoryBurstThenRefill(t *testing.T) {
	ck := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(3, time.Minute, ck.now)
	ctx := context.Background()
	for i, wantRemaining := range []int{2, 1, 0} {
		r, _ := m.Allow(ctx, "a")
		if !r.Allowed || r.Remaining != wantRemaining || r.Limit != 3 {
			t.Fatalf("call %d: got %+v, want allowed with %d remaining", i, r, wantRemaining)
		}
	}
	r, _ := m.Allow(ctx, "a")
	if r.Allowed || r.RetryAfter != 20*time.Second {
		t.Fatalf("4th call: got %+v, want denied with RetryAfter 20s", r)
	}
	if r, _ := m.Allow(ctx, "b"); !r.Allowed {
		t.Fatal("another key must have its own allowance")
	}
	ck.add(20 * time.Second)
	if r, _ := m.Allow(ctx, "a"); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("after one interval: got %+v, want one request allowed", r)
	}
	ck.add(time.Minute)
	if r, _ := m.Allow(ctx, "a"); !r.Allowed || r.Remaining != 2 {
		t.Fatalf("after a full period: got %+v, want allowance whole again", r)
	}
}

func TestMemoryConcurrentNeverOverAllows(t *testing.T) {
	ck := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(50, time.Hour, ck.now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if r, _ := m.Allow(context.Background(), "k"); r.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("allowed %d of 800 concurrent requests, want exactly 50", allowed)
	}
}

func TestMemorySweepsIdleKeys(t *testing.T) {
	ck := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(10, time.Second, ck.now)
	for i := 0; i < sweepEvery-1; i++ {
		m.Allow(context.Background(), string(rune('a'+i%26))+string(rune(i)))
	}
	ck.add(2 * time.Second)
	m.Allow(context.Background(), "last")
	if n := m.Len(); n > 1 {
		t.Fatalf("after a sweep %d keys remain, want only the key just used", n)
	}
}

// AllowN spends n of the allowance at once, all or nothing, and a cost
// above the limit is never allowed.
func TestMemoryAllowN(t *testing.T) {
	ck := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(10, time.Minute, ck.now) // one per 6 s
	ctx := context.Background()
	if r, _ := m.AllowN(ctx, "a", 7); !r.Allowed || r.Remaining != 3 || r.ResetAfter != 42*time.Second {
		t.Fatalf("7 of 10: got %+v, want allowed with 3 remaining, whole again in 42s", r)
	}
	r, _ := m.AllowN(ctx, "a", 4)
	if r.Allowed || r.Remaining != 0 || r.RetryAfter != 6*time.Second {
		t.Fatalf("4 more with 3 left: got %+v, want refused, retry in 6s", r)
	}
	if r, _ := m.AllowN(ctx, "a", 3); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("the refused 4 must have spent nothing; 3 more: got %+v", r)
	}
	if r, _ := m.AllowN(ctx, "b", 11); r.Allowed {
		t.Fatalf("11 with a limit of 10: got %+v, want refused", r)
	}
	if r, _ := m.AllowN(ctx, "b", 10); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("the whole allowance of a fresh key: got %+v", r)
	}
	ck.add(12 * time.Second)
	if r, _ := m.AllowN(ctx, "b", 2); !r.Allowed {
		t.Fatalf("two intervals later, 2: got %+v, want allowed", r)
	}
	if r, _ := m.AllowN(ctx, "b", 1); r.Allowed {
		t.Fatalf("and then 1 more: got %+v, want refused", r)
	}
}

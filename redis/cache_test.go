package redis

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestCacheSharedAndExpiring: a value set through one client is read
// through another; it carries the TTL; a miss is a miss.
func TestCacheSharedAndExpiring(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	open := func() *Client {
		c, err := Open(ctx, testURL(t), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := open(), open()
	ca := NewCache(a, NewBreaker(BreakerOptions{}), time.Minute)
	cb := NewCache(b, NewBreaker(BreakerOptions{}), time.Minute)
	if _, ok := cb.Get(ctx, "q1"); ok {
		t.Fatal("hit on an empty cache")
	}
	ca.Set(ctx, "q1", []byte(`{"total":3}`))
	v, ok := cb.Get(ctx, "q1")
	if !ok || string(v) != `{"total":3}` {
		t.Fatalf("other instance read %q %v", v, ok)
	}
	ttl, err := b.rdb.TTL(ctx, p+"c:q1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl %v %v", ttl, err)
	}
}

// TestCacheWithRedisDown: every call misses or does nothing, quickly, and
// the breaker opens.
func TestCacheWithRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := Open(context.Background(), "redis://"+addr+"/0", "x:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := NewBreaker(BreakerOptions{})
	k := NewCache(c, br, time.Minute)
	for i := range 10 {
		start := time.Now()
		k.Set(context.Background(), "a", []byte("1"))
		if _, ok := k.Get(context.Background(), "a"); ok {
			t.Fatal("hit with Redis down")
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("call %d took %v", i, d)
		}
	}
	if br.State() != StateOpen {
		t.Fatalf("breaker %v after failures", br.State())
	}
}

// One claimant at a time computes a value; the others await it; a claim is
// released by its holder only; with Redis down everyone computes.
func TestCacheClaimAndAwait(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	a := NewCache(openTest(t, p), NewBreaker(BreakerOptions{}), time.Minute)
	b := NewCache(openTest(t, p), NewBreaker(BreakerOptions{}), time.Minute)
	release, won := a.Claim(ctx, "q", 5*time.Second)
	if !won {
		t.Fatal("first claim lost")
	}
	if _, won := b.Claim(ctx, "q", 5*time.Second); won {
		t.Fatal("second claim won while the first holds")
	}
	if _, ok := b.Await(ctx, "q", 30*time.Millisecond); ok {
		t.Fatal("awaited a value nobody set")
	}
	done := make(chan []byte)
	go func() { v, _ := b.Await(ctx, "q", 5*time.Second); done <- v }()
	a.Set(ctx, "q", []byte("answer"))
	if v := <-done; string(v) != "answer" {
		t.Fatalf("awaited %q", v)
	}
	release()
	if rel, won := b.Claim(ctx, "q", 5*time.Second); !won {
		t.Fatal("claim after release lost")
	} else {
		rel()
	}

	down := NewCache(openTestURL(t, "redis://"+closedPort(t)+"/0"), NewBreaker(BreakerOptions{}), time.Minute)
	if _, won := down.Claim(ctx, "q", time.Second); !won {
		t.Fatal("with Redis down the caller must compute")
	}
}

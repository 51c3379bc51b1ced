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

package redis

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPing(t *testing.T) {
	ctx := context.Background()
	if err := openTest(t, testPrefix(t)).Ping(ctx); err != nil {
		t.Errorf("ping the test Redis: %v", err)
	}
	dead, err := Open(ctx, "redis://:s3cret@"+closedPort(t)+"/0", "p:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	start := time.Now()
	err = dead.Ping(ctx)
	if err == nil {
		t.Fatal("ping a closed port: no error")
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("ping a closed port took %v", took)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("ping error repeats the password: %v", err)
	}
}

// Inspect says nothing of a healthy Redis, names an evicting policy, and
// says when Redis does not answer, without repeating a password.
func TestInspect(t *testing.T) {
	ctx := context.Background()
	srv := newRedisServer(t)
	srv.Args = []string{"--maxmemory-policy", "noeviction"}
	srv.Start()
	c := openTestURL(t, srv.URL())
	if w := c.Inspect(ctx); len(w) != 0 {
		t.Fatalf("healthy Redis: %v", w)
	}
	if err := c.rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	if w := c.Inspect(ctx); len(w) != 1 || !strings.Contains(w[0], "allkeys-lru") {
		t.Fatalf("evicting Redis: %v", w)
	}
	down := openTestURL(t, "redis://:secretpw@"+closedPort(t)+"/0")
	if w := down.Inspect(ctx); len(w) != 1 || !strings.Contains(w[0], "does not answer") || strings.Contains(w[0], "secretpw") {
		t.Fatalf("unreachable Redis: %v", w)
	}
}

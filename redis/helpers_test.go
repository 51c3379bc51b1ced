package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"ethicsportal/redis/redistest"
)

// envURL names the variable holding the URL of the shared test Redis.
const envURL = "PORTAL_TEST_REDIS_URL"

// testURL returns the test Redis URL. Without it the test is skipped, unless
// CI is set, in which case it fails: CI must never silently skip.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: Redis tests must run in CI", envURL)
		}
		t.Skipf("%s is not set", envURL)
	}
	return u
}

// testPrefix returns a key prefix of the test's own, whose keys are deleted
// when the test ends.
func testPrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := "test:" + hex.EncodeToString(b) + ":"
	url := testURL(t)
	t.Cleanup(func() {
		// A client of its own: the test's may be closed or pointed elsewhere.
		c, err := Open(context.Background(), url, p, Options{})
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range keysUnder(t, ctx, c) {
			if err := c.rdb.Del(ctx, k).Err(); err != nil {
				t.Errorf("cleanup: del %s: %v", k, err)
			}
		}
	})
	return p
}

// keysUnder lists the keys under c's prefix.
func keysUnder(t testing.TB, ctx context.Context, c *Client) []string {
	t.Helper()
	var keys []string
	iter := c.rdb.Scan(ctx, 0, c.prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan %s*: %v", c.prefix, err)
	}
	return keys
}

// openTest opens a client on the test Redis under prefix, closed at the end.
func openTest(t testing.TB, prefix string) *Client {
	t.Helper()
	return openTestURL(t, testURL(t), prefix)
}

// openTestURL opens a client on url, closed when the test ends.
func openTestURL(t testing.TB, url string, prefix ...string) *Client {
	t.Helper()
	c, err := Open(context.Background(), url, strings.Join(prefix, ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedPort returns a local TCP address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// newRedisServer is a redis-server of the test's own (see redistest.Server).
func newRedisServer(t testing.TB) *redistest.Server { return redistest.NewServer(t) }

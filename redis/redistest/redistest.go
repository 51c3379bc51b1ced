// Package redistest gives tests outside package redis the shared test
// Redis: its URL, and key prefixes of their own that are cleaned up.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// EnvURL names the variable holding the URL of the shared test Redis.
const EnvURL = "PORTAL_TEST_REDIS_URL"

// URL returns the test Redis URL. Without it the test is skipped, unless CI
// is set, in which case it fails: CI must never silently skip.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: Redis tests must run in CI", EnvURL)
		}
		t.Skipf("%s is not set", EnvURL)
	}
	return u
}

// Prefix returns a key prefix of the test's own on the Redis at URL(t);
// every key under it is deleted when the test ends.
func Prefix(t testing.TB) string {
	t.Helper()
	url := URL(t)
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		opt, err := goredis.ParseURL(url)
		if err != nil {
			t.Errorf("redistest: %v", err)
			return
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, p+"*", 100).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				t.Errorf("redistest: del %s: %v", iter.Val(), err)
			}
		}
		if err := iter.Err(); err != nil {
			t.Errorf("redistest: scan: %v", err)
		}
	})
	return p
}

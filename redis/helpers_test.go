package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
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

// redisServer is a redis-server process of the test's own, on a fixed port
// so that it can be stopped and started again at the same address.
type redisServer struct {
	t      testing.TB
	port   int
	cmd    *exec.Cmd
	args   []string // more arguments for redis-server, after the port and persistence ones
	config string   // a configuration file, first on the command line (a sentinel needs one)
}

// newRedisServer finds redis-server (skipping without it, failing in CI)
// and a free port; call start to run it. It is stopped when the test ends.
func newRedisServer(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed, and CI is: the fault test must run in CI")
		}
		t.Skip("redis-server is not installed")
	}
	_, p, _ := net.SplitHostPort(closedPort(t))
	port, _ := strconv.Atoi(p)
	s := &redisServer{t: t, port: port}
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) url() string { return "redis://127.0.0.1:" + strconv.Itoa(s.port) + "/0" }

// start runs the server and waits until it accepts connections.
func (s *redisServer) start() {
	s.t.Helper()
	var args []string
	if s.config != "" {
		args = append(args, s.config)
	}
	args = append(args, s.args...)
	args = append(args, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c, err := Open(context.Background(), s.url(), "", Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d did not answer: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits for it to exit; a no-op when not running.
func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

package redis

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each URL form of Open selects its kind of client, and a URL that cannot
// be read is refused without repeating it (it may hold a password).
func TestParseURLForms(t *testing.T) {
	cases := []struct {
		url                        string
		addrs                      string
		master                     string
		cluster                    bool
		db                         int
		user, password             string
		sentinelUser, sentinelPass string
		tls                        bool
	}{
		{url: "redis://127.0.0.1:6379/2", addrs: "127.0.0.1:6379", db: 2},
		{url: "redis://u:p@cache.internal:6380/0", addrs: "cache.internal:6380", user: "u", password: "p"},
		{url: "rediss://cache.internal:6380", addrs: "cache.internal:6380", tls: true},
		{url: "redis://s:sp@10.0.0.1:26379/1?master_name=portal&addr=10.0.0.2:26379&password=mp",
			addrs: "10.0.0.1:26379,10.0.0.2:26379", master: "portal", db: 1, password: "mp", sentinelUser: "s", sentinelPass: "sp"},
		{url: "redis://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", addrs: "10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000", cluster: true},
		{url: "rediss://u:p@clustercfg.example:6379?cluster=true", addrs: "clustercfg.example:6379", cluster: true, user: "u", password: "p", tls: true},
	}
	for _, c := range cases {
		o, err := parseURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if got := strings.Join(o.Addrs, ","); got != c.addrs || o.MasterName != c.master || o.IsClusterMode != c.cluster ||
			o.DB != c.db || o.Username != c.user || o.Password != c.password ||
			o.SentinelUsername != c.sentinelUser || o.SentinelPassword != c.sentinelPass || (o.TLSConfig != nil) != c.tls {
			t.Errorf("%s: addrs %s master %q cluster %v db %d user %q password %q sentinel %q/%q tls %v", c.url,
				got, o.MasterName, o.IsClusterMode, o.DB, o.Username, o.Password, o.SentinelUsername, o.SentinelPassword, o.TLSConfig != nil)
		}
	}
	for _, bad := range []string{"", "http://h:1", "redis://", "redis://:secretpw@h:1/notadb", "redis://h:1?cluster=maybe",
		"redis://h:1?master_name=m&cluster=true", "redis://:secretpw@h:1?master_name=m&bogus=1", "redis://:secretpw@h:1?addr=h2:1&bogus=1", "%zz"} {
		_, err := Open(context.Background(), bad, "", Options{})
		if err == nil {
			t.Errorf("%q: opened", bad)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%q: the error repeats the password: %v", bad, err)
		}
	}
}

// A Sentinel URL finds the master through a real sentinel, and the shared
// limiter works through it.
func TestSentinelURL(t *testing.T) {
	master := newRedisServer(t)
	master.Start()
	sentinel := newRedisServer(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := "sentinel monitor portal 127.0.0.1 " + strconv.Itoa(master.Port) + " 1\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel.Config, sentinel.Args = conf, []string{"--sentinel"}
	sentinel.Start()
	ctx := context.Background()
	c, err := Open(ctx, "redis://127.0.0.1:"+strconv.Itoa(sentinel.Port)+"/0?master_name=portal", "sentinel-test:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitPing(t, c)
	assertLimits(t, c)
}

// A Cluster URL works against a real (one-node) cluster.
func TestClusterURL(t *testing.T) {
	node := newRedisServer(t)
	node.Args = []string{"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(t.TempDir(), "nodes.conf")}
	node.Start()
	ctx := context.Background()
	single, err := Open(ctx, node.URL(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	if err := single.rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("assign slots: %v", err)
	}
	c, err := Open(ctx, "redis://127.0.0.1:"+strconv.Itoa(node.Port)+"?cluster=true", "cluster-test:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitPing(t, c) // the cluster reports ok once its slots are assigned
	assertLimits(t, c)
}

// waitPing waits until c answers, or fails the test after ten seconds.
func waitPing(t *testing.T, c *Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx)
		if err == nil {
			err = c.rdb.Set(ctx, c.prefix+"probe", "1", time.Minute).Err()
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// assertLimits checks that a limiter of 3 a minute on c allows 3 of 5.
func assertLimits(t *testing.T, c *Client) {
	t.Helper()
	l, err := NewLimiter(c, "verify", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0
	for i := 0; i < 5; i++ {
		r, err := l.Allow(context.Background(), "client")
		if err != nil {
			t.Fatalf("allow %d: %v", i, err)
		}
		if r.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("%d of 5 allowed, want 3", allowed)
	}
}

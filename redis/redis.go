// Package redis holds every use of Redis in the portal: the connection, the
// shared rate limiter and its fallback to the in-process one behind a
// circuit breaker, the shared answer cache with its stampede guard, and the
// copy of the deny list and users' states (Sessions). No other package
// imports go-redis.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"runtime"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Options tune the connection. Zero fields take the defaults below, which
// are short on purpose: a request waits at most about one timeout for Redis
// before the caller falls back, so they bound the latency a sick Redis adds.
type Options struct {
	DialTimeout  time.Duration // default 500ms
	ReadTimeout  time.Duration // default 200ms
	WriteTimeout time.Duration // default 200ms
	PoolTimeout  time.Duration // wait for a free connection; default 250ms
	PoolSize     int           // connections per node; default 20 per CPU
	MinIdleConns int           // kept open to skip the dial; default 0
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 500 * time.Millisecond
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 200 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 200 * time.Millisecond
	}
	if o.PoolTimeout <= 0 {
		o.PoolTimeout = 250 * time.Millisecond
	}
	if o.PoolSize <= 0 {
		// A limiter call is one short round trip, so a handful of
		// connections per core keeps up with the HTTP workers.
		o.PoolSize = 20 * runtime.GOMAXPROCS(0)
	}
	// MinIdleConns stays 0 unless asked for: idle connections are refilled
	// in the background, which would keep dialling (and logging) a dead
	// Redis while the breaker holds requests off it.
	return o
}

// Client is a connection pool to one Redis deployment, with the prefix put
// before every key the portal writes. It is safe for concurrent use.
type Client struct {
	rdb    goredis.UniversalClient
	prefix string
}

// Open builds a client for one of three URL forms (documented in the
// README):
//
//   - a single server: redis://[user:password@]host:port/db, or rediss://
//     for TLS;
//   - Sentinel: the same with master_name=NAME; the host (and each addr=
//     parameter) is a sentinel, the URL's user and password are the
//     sentinels', and username= and password= parameters are the master's;
//   - Cluster: the same with addr= parameters naming more nodes, or
//     cluster=true for a single configuration endpoint.
//
// Every key is written under prefix. Open does not dial: connections are
// made on first use, so an instance can start while Redis is down and shares
// limits once it is back; call Ping to check that Redis answers. ctx is
// unused today and kept for forms that must ask the deployment at once.
//
// The error, for a malformed URL, never repeats the URL, which may hold a
// password.
func Open(ctx context.Context, url, prefix string, opts Options) (*Client, error) {
	u, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	// No retries: a limiter script that timed out may have run, and a
	// retry would spend the allowance twice. The fallback answers instead.
	u.MaxRetries = -1
	// One dial attempt: go-redis would otherwise try five times with a
	// backoff, several hundred milliseconds for a refused connection.
	u.DialerRetries = 1
	u.ContextTimeoutEnabled = true
	// The URL may set its own timeouts and pool; the portal's short
	// defaults fill what it leaves out.
	u.DialTimeout = orDefault(u.DialTimeout, opts.DialTimeout)
	u.ReadTimeout = orDefault(u.ReadTimeout, opts.ReadTimeout)
	u.WriteTimeout = orDefault(u.WriteTimeout, opts.WriteTimeout)
	u.PoolTimeout = orDefault(u.PoolTimeout, opts.PoolTimeout)
	if u.PoolSize <= 0 {
		u.PoolSize = opts.PoolSize
	}
	if u.MinIdleConns <= 0 {
		u.MinIdleConns = opts.MinIdleConns
	}
	return &Client{rdb: goredis.NewUniversalClient(u), prefix: prefix}, nil
}

// errURL is the one answer to a URL that cannot be read; it never repeats
// the URL, which may hold a password.
var errURL = errors.New("redis: open: the URL cannot be parsed (want redis://[user:password@]host:port/db, " +
	"rediss://..., ?master_name=NAME for Sentinel, or ?addr=host:port or ?cluster=true for Cluster)")

// parseURL reads the three URL forms of Open into universal options, whose
// client is a single-server, Sentinel or Cluster client accordingly.
func parseURL(raw string) (*goredis.UniversalOptions, error) {
	if raw == "" {
		return nil, errors.New("redis: open: no URL")
	}
	parsed, err := neturl.Parse(raw)
	if err != nil || (parsed.Scheme != "redis" && parsed.Scheme != "rediss") || parsed.Host == "" {
		return nil, errURL
	}
	q := parsed.Query()
	cluster := false
	if v := q.Get("cluster"); v != "" {
		if cluster, err = strconv.ParseBool(v); err != nil {
			return nil, errURL
		}
		q.Del("cluster") // the portal's own word; go-redis refuses unknown ones
		parsed.RawQuery = q.Encode()
	}
	switch {
	case q.Get("master_name") != "":
		if cluster {
			return nil, errors.New("redis: open: master_name (Sentinel) and cluster=true cannot be combined")
		}
		o, err := goredis.ParseFailoverURL(parsed.String())
		if err != nil {
			return nil, errURL
		}
		return &goredis.UniversalOptions{
			Addrs: o.SentinelAddrs, MasterName: o.MasterName,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB,
			ClientName: o.ClientName, Protocol: o.Protocol, TLSConfig: o.TLSConfig,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MinIdleConns: o.MinIdleConns,
		}, nil
	case cluster || q.Has("addr"):
		o, err := goredis.ParseClusterURL(parsed.String())
		if err != nil {
			return nil, errURL
		}
		return &goredis.UniversalOptions{
			Addrs: o.Addrs, IsClusterMode: true,
			Username: o.Username, Password: o.Password,
			ClientName: o.ClientName, Protocol: o.Protocol, TLSConfig: o.TLSConfig,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MinIdleConns: o.MinIdleConns,
		}, nil
	default:
		o, err := goredis.ParseURL(raw)
		if err != nil {
			return nil, errURL
		}
		return &goredis.UniversalOptions{
			Addrs: []string{o.Addr}, DB: o.DB,
			Username: o.Username, Password: o.Password,
			ClientName: o.ClientName, Protocol: o.Protocol, TLSConfig: o.TLSConfig,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MinIdleConns: o.MinIdleConns,
		}, nil
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Ping checks that Redis answers, for readiness checks. The error does not
// repeat the URL.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Close closes the pool. Calls after Close fail.
func (c *Client) Close() error {
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// Prefix returns the prefix of every key this client writes.
func (c *Client) Prefix() string { return c.prefix }

// libraryLog routes go-redis's own messages (one per failed dial, many in
// an outage) to a logger at debug level: the breaker already logs one line
// when Redis goes and one when it comes back.
type libraryLog struct{ log *slog.Logger }

func (l libraryLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

// RouteLibraryLog sends go-redis's messages to log at debug level. go-redis
// keeps its logger process-wide: the last call wins.
func RouteLibraryLog(log *slog.Logger) { goredis.SetLogger(libraryLog{log: log}) }

// Inspect asks Redis, once at start, about what the portal relies on, and
// returns what an operator should hear: that it does not answer (the
// portal still starts, and shares limits once it does), or that its
// eviction policy may drop keys, which for the deny list would let a
// logged-out token back in. A Redis that refuses CONFIG (managed services
// often do) is taken at its word.
func (c *Client) Inspect(ctx context.Context) []string {
	if err := c.Ping(ctx); err != nil {
		return []string{"Redis does not answer yet; limits are this instance's own until it does: " + err.Error()}
	}
	policy, err := c.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return nil
	}
	if p := policy["maxmemory-policy"]; p != "" && p != "noeviction" {
		return []string{"Redis's maxmemory-policy is " + p + ": an evicted deny-list entry would let a logged-out token back in; " +
			"give the portal a Redis with maxmemory-policy noeviction"}
	}
	return nil
}

// Package redis holds every use of Redis in the portal: the connection, the
// shared rate limiter and its fallback to the in-process one. No other
// package imports go-redis.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
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

// Open builds a client for a redis:// or rediss:// URL (user, password and
// database number in the URL as go-redis reads them). Every key is written
// under prefix. Open does not dial: connections are made on first use, so an
// instance can start while Redis is down and shares limits once it is back;
// call Ping to check that Redis answers. ctx is unused for a single server;
// it is in the signature for the Sentinel and Cluster forms, which will ask
// the deployment for its nodes.
//
// The error, for a malformed URL, never repeats the URL, which may hold a
// password.
func Open(ctx context.Context, url, prefix string, opts Options) (*Client, error) {
	if url == "" {
		return nil, errors.New("redis: open: no URL")
	}
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, errors.New("redis: open: the URL cannot be parsed (want redis://[user:password@]host:port/db or rediss://...)")
	}
	opts = opts.withDefaults()
	// The universal client takes one address for a single server and a
	// list for Sentinel (with MasterName) or Cluster, so those forms can
	// be added by filling Addrs here without changing the callers.
	u := &goredis.UniversalOptions{
		Addrs:      []string{o.Addr},
		ClientName: o.ClientName,
		DB:         o.DB,
		Protocol:   o.Protocol,
		Username:   o.Username,
		Password:   o.Password,
		TLSConfig:  o.TLSConfig,

		// No retries: a limiter script that timed out may have run,
		// and a retry would spend the allowance twice. The fallback
		// answers instead.
		MaxRetries: -1,
		// One dial attempt: go-redis would otherwise try five times with a
		// backoff, several hundred milliseconds for a refused connection.
		DialerRetries:         1,
		DialTimeout:           opts.DialTimeout,
		ReadTimeout:           opts.ReadTimeout,
		WriteTimeout:          opts.WriteTimeout,
		ContextTimeoutEnabled: true,
		PoolSize:              opts.PoolSize,
		PoolTimeout:           opts.PoolTimeout,
		MinIdleConns:          opts.MinIdleConns,
	}
	return &Client{rdb: goredis.NewUniversalClient(u), prefix: prefix}, nil
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

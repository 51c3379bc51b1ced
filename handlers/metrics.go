package handlers

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"ethicsportal/app"
)

// metrics are the Prometheus series of one Server. They live in the
// Server's own registry, not the global default, so that tests can run
// several servers in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(a *app.App) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portal_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(newOutboxCollector(a))
	ws := a.WorkerStats()
	m.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portal_outbox_delivered_total", Help: "Outbox messages this instance delivered to every consumer.",
		}, func() float64 { return float64(ws.Delivered.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portal_outbox_failures_total", Help: "Consumer attempts on this instance that failed and will be retried.",
		}, func() float64 { return float64(ws.Failed.Load()) }),
	)
	if a.RedisStats() != nil {
		m.registry.MustRegister(redisMetrics(a)...)
	}
	return m
}

// redisMetrics are the series of an instance using Redis: whether it is
// being held off, and how often the in-process twins answered instead.
func redisMetrics(a *app.App) []prometheus.Collector {
	counter := func(name, help string, v func(*app.RedisStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(a.RedisStats())) })
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_redis_breaker_open", Help: "1 while Redis is held off after failing (limits are this instance's alone, caches bypassed), else 0.",
		}, func() float64 {
			if a.RedisStats().BreakerOpen {
				return 1
			}
			return 0
		}),
		counter("portal_redis_failures_total", "Redis calls that failed or timed out.", func(s *app.RedisStats) uint64 { return s.Failures }),
		counter("portal_redis_breaker_opens_total", "Times the Redis circuit breaker opened.", func(s *app.RedisStats) uint64 { return s.BreakerOpens }),
		counter("portal_redis_local_limit_answers_total", "Rate-limit answers given by the in-process limiter instead of Redis.", func(s *app.RedisStats) uint64 { return s.LocalAnswers }),
		counter("portal_redis_cache_hits_total", "Shared-cache reads that found an answer.", func(s *app.RedisStats) uint64 { return s.CacheHits }),
		counter("portal_redis_cache_misses_total", "Shared-cache reads that found none, Redis failing included.", func(s *app.RedisStats) uint64 { return s.CacheMisses }),
		counter("portal_redis_session_copies_total", "Copies of the deny list and users' states made to Redis.", func(s *app.RedisStats) uint64 { return s.SessionCopies }),
	}
}

// outboxCollector reads the shared backlog from the store at scrape time:
// the lag is the age of the oldest undelivered message.
type outboxCollector struct {
	app     *app.App
	pending *prometheus.Desc
	lag     *prometheus.Desc
}

func newOutboxCollector(a *app.App) *outboxCollector {
	return &outboxCollector{app: a,
		pending: prometheus.NewDesc("portal_outbox_pending", "Undelivered outbox messages, all instances together.", nil, nil),
		lag:     prometheus.NewDesc("portal_outbox_lag_seconds", "Age of the oldest undelivered outbox message; 0 when none.", nil, nil),
	}
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.pending; ch <- o.lag }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := o.app.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.pending, err)
		return
	}
	lag := 0.0
	if !st.OldestPending.IsZero() {
		lag = time.Since(st.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(o.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(o.lag, prometheus.GaugeValue, lag)
}

// observe records every request, the ones that end in an error included:
// it runs the rest of the chain and the error handler itself so that it
// sees the final status.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	c.Locals(localObserved, true)
	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	route := routeOf(c)
	method := methodLabel(c.Method())
	status := strconv.Itoa(c.Response().StatusCode())
	// Label values are kept by the registry: copy them out of Fiber's buffers.
	s.metrics.requests.WithLabelValues(route, method, status).Inc()
	took := time.Since(start)
	s.metrics.duration.WithLabelValues(route, method).Observe(took.Seconds())
	s.accessLog(c, method, route, took)
	return nil
}

// accessLog writes the one line kept of every request. It holds no
// personal data: the route template rather than the path (which can hold a
// certificate number), no query string, no body, no client address and no
// header (tokens travel in one); the request id ties it to the client's
// report and to any error logged for the request.
func (s *Server) accessLog(c *fiber.Ctx, method, route string, took time.Duration) {
	if !s.accessLogOn {
		return
	}
	s.log.LogAttrs(c.Context(), slog.LevelInfo, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", c.Response().StatusCode()),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000))
}

// routeOf is the matched route template, or "unmatched", which keeps the
// label set small whatever paths clients send.
func routeOf(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Path == "" || r.Path == "/" && c.Path() != "/" {
		return "unmatched"
	}
	return r.Path
}

// methodLabel maps the request method to a constant string: Fiber's method
// string points into a buffer that is reused after the handler, and the
// registry keeps label values for ever.
func methodLabel(m string) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
		fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}

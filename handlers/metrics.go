package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the Prometheus series of one Server. They live in the
// Server's own registry, not the global default, so that tests can run
// several servers in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
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
	return m
}

// observe records every request, the ones that end in an error included:
// it runs the rest of the chain and the error handler itself so that it
// sees the final status.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
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
	s.metrics.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	return nil
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

package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ethicsportal/docs"
	"ethicsportal/store"
)

func (s *Server) taxonomy(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(store.DefaultTaxonomy())
}

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml")
	return c.Send(docs.OpenAPI)
}

// openapiJSON serves the OpenAPI document as JSON. A document that does
// not convert (a test in docs keeps it from shipping) is a 500, logged.
func (s *Server) openapiJSON(c *fiber.Ctx) error {
	doc, err := s.openapiJSONDoc()
	if err != nil {
		return fmt.Errorf("handlers: openapi.json: %w", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(doc)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 503 naming each dependency that does not answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	failed := s.app.Ready(ctx)
	names := make([]string, 0, len(failed))
	for name := range failed {
		names = append(names, name)
	}
	sort.Strings(names)
	s.noteReadiness(names, failed)
	if len(failed) == 0 {
		return c.JSON(fiber.Map{"status": "ready"})
	}
	return store.Errorf(store.EUnavailable, "not reachable: %s", strings.Join(names, ", "))
}

// noteReadiness logs when the set of unreachable parts changes, not on
// every probe: a load balancer asks every few seconds.
func (s *Server) noteReadiness(names []string, failed map[string]error) {
	now := strings.Join(names, ",")
	s.readyMu.Lock()
	before := s.notReady
	s.notReady = now
	s.readyMu.Unlock()
	if now == before {
		return
	}
	if now == "" {
		s.log.Info("ready again", "was_unreachable", before)
		return
	}
	for _, name := range names {
		s.log.Warn("not ready", "dependency", name, "err", failed[name])
	}
}

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
}

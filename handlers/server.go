// Package handlers is the HTTP side of Ethics Portal, on Fiber v2: the
// routing table (routes.go), middleware, the JSON API and, later, the pages.
// Handlers parse and validate input, call the app, and respond; every error
// becomes an RFC 9457 problem response in one place (problem.go).
package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
)

// Limits of the HTTP server. The body limits come from configuration.
const (
	ReadTimeout    = 15 * time.Second
	WriteTimeout   = 30 * time.Second
	IdleTimeout    = 60 * time.Second
	MaxHeaderBytes = 16 << 10 // request line and headers together
)

// Server serves the portal over HTTP.
type Server struct {
	app     *app.App
	log     *slog.Logger
	fiber   *fiber.App
	metrics *metrics
	https   bool
}

// New builds the server and its routes. It does not listen yet.
func New(a *app.App, log *slog.Logger) *Server {
	cfg := a.Config()
	s := &Server{app: a, log: log, metrics: newMetrics(a), https: strings.HasPrefix(cfg.BaseURL, "https://")}
	s.fiber = fiber.New(fiber.Config{
		AppName:               "ethicsportal",
		BodyLimit:             cfg.CSVBodyLimit, // the largest any route takes; JSON routes check their own
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		IdleTimeout:           IdleTimeout,
		ReadBufferSize:        MaxHeaderBytes,
		ErrorHandler:          s.errorHandler,
		DisableStartupMessage: true,
		CaseSensitive:         true,
		StrictRouting:         false,
	})
	s.routes()
	return s
}

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.fiber.Listen(addr) }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error { return s.fiber.ShutdownWithContext(ctx) }

// Fiber exposes the Fiber app, for tests (app.Test) and listeners.
func (s *Server) Fiber() *fiber.App { return s.fiber }

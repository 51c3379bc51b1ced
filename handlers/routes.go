package handlers

import (
	"github.com/gofiber/fiber/v2/middleware/recover"

	"ethicsportal/store"
)

// routes is the one routing table of the portal, read top to bottom.
func (s *Server) routes() {
	cfg := s.app.Config()
	lim := s.app.Limits()
	jsonBody := limitBody(cfg.BodyLimit)
	csvBody := limitBody(cfg.CSVBodyLimit)
	verifyLimit := rateLimit("verify", lim.Verify)

	r := s.fiber
	r.Use(s.observe, recover.New(), requestIDs, s.securityHeaders, validUTF8, s.clientIPs)

	// Operations.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/metrics", s.metricsHandler())

	// Public API: no authentication.
	r.Get("/.well-known/jwks.json", s.jwks)
	api := r.Group("/api/v1")
	api.Get("/taxonomy", s.taxonomy)
	api.Get("/openapi.yaml", s.openapi)
	api.Post("/verifications", noStore, verifyLimit, jsonBody, s.verify)
	api.Post("/receipts/check", noStore, verifyLimit, jsonBody, s.checkReceipt)

	// Signing in and out.
	api.Post("/auth/login", noStore, jsonBody, s.login)
	api.Post("/auth/logout", noStore, s.authenticated, s.logout)

	// Admin API: a bearer token, and a role on every route.
	admin := api.Group("/admin", noStore, s.authenticated)
	admin.Get("/me", s.me)
	registrar := requireRole(store.RoleRegistrar)
	admin.Post("/credentials", registrar, jsonBody, s.createCredential)
	admin.Post("/credentials/import", registrar, csvBody, s.importCredentials)
	admin.Get("/credentials/:certificate_no", registrar, s.credential)
}

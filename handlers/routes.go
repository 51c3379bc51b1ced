package handlers

import (
	"github.com/gofiber/fiber/v2/middleware/recover"

	"ethicsportal/store"
)

// importPath is the one route that takes bodies up to the CSV limit (see
// bodyLimitFor); the table below spells it as a literal, which the docs
// tests read.
const importPath = "/api/v1/admin/credentials/import"

// routes is the one routing table of the portal, read top to bottom.
func (s *Server) routes() {
	cfg := s.app.Config()
	lim := s.app.Limits()
	jsonBody := limitBody(cfg.BodyLimit)
	csvBody := limitBody(cfg.CSVBodyLimit)
	verifyLimit := rateLimit("verify", lim.Verify)
	pageLimit := rateLimit("search", lim.Search) // case pages and the feed share the search allowance

	r := s.fiber
	r.Use(s.observe, recover.New(), requestIDs, refuseContentEncoding, withDeadline(cfg.RequestTimeout), s.securityHeaders, validUTF8, s.clientIPs, refuseConflictingFraming)

	// Operations.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/metrics", s.metricsHandler())

	// Public API: no authentication.
	r.Get("/.well-known/jwks.json", s.jwks)
	api := r.Group("/api/v1")
	api.Get("/taxonomy", s.taxonomy)
	api.Get("/openapi.yaml", s.openapi)
	api.Get("/openapi.json", s.openapiJSON)
	api.Post("/verifications", noStore, verifyLimit, jsonBody, s.verify)
	api.Post("/receipts/check", noStore, verifyLimit, jsonBody, s.checkReceipt)
	api.Get("/audit/checkpoint", rateLimit("checkpoint", lim.Search), s.auditCheckpoint)
	api.Get("/audit/checkpoint/key", s.auditCheckpointKey)
	api.Get("/cases", pageLimit, s.searchCases)
	api.Get("/cases/:id", pageLimit, s.publicCase)
	r.Get("/feed.atom", pageLimit, s.feed)

	// Signing in and out.
	api.Post("/auth/login", noStore, jsonBody, s.login)
	api.Post("/auth/logout", noStore, s.authenticated, s.logout)

	// Admin API: a bearer token, and a role on every route.
	admin := api.Group("/admin", noStore, s.authenticated)
	admin.Get("/me", s.me)
	registrar := requireRole(store.RoleRegistrar)
	admin.Post("/credentials", registrar, jsonBody, s.createCredential)
	admin.Post("/credentials/import", registrar, csvBody, s.importCredentials) // at importPath
	admin.Get("/credentials/:certificate_no", registrar, s.credential)
	admin.Get("/bans", requireRole(store.RoleRegistrar, store.RoleReviewer), s.holderBans)

	// Cases: drafted by an editor, read also by the reviewers who approve their publication.
	editor := requireRole(store.RoleEditor)
	caseReader := requireRole(store.RoleEditor, store.RoleReviewer)
	admin.Post("/cases", editor, jsonBody, s.createCase)
	admin.Get("/cases", caseReader, s.listCases)
	admin.Get("/cases/:id", caseReader, s.adminCase)
	admin.Patch("/cases/:id", editor, jsonBody, s.patchCase)

	// Two-person actions: one proposes (the kind decides which role), another approves.
	reviewer := requireRole(store.RoleReviewer)
	anyRole := requireRole(store.Roles...)
	admin.Post("/actions", requireRole(store.RoleEditor, store.RoleRegistrar), jsonBody, s.proposeAction)
	admin.Get("/actions", anyRole, s.listActions)
	admin.Get("/actions/:id", anyRole, s.action)
	admin.Post("/actions/:id/approve", reviewer, jsonBody, s.approveAction)
	admin.Post("/actions/:id/reject", reviewer, jsonBody, s.rejectAction)

	// The audit log.
	auditor := requireRole(store.RoleAuditor)
	admin.Get("/audit", auditor, s.auditEvents)
	admin.Get("/audit/verify", auditor, s.verifyAudit)

	// User administration.
	adminOnly := requireRole(store.RoleAdmin)
	admin.Post("/users", adminOnly, jsonBody, s.createUser)
	admin.Get("/users", adminOnly, s.listUsers)
	admin.Patch("/users/:username", adminOnly, jsonBody, s.patchUser)

	// School clients and their keys.
	admin.Post("/clients", adminOnly, jsonBody, s.createClient)
	admin.Get("/clients", adminOnly, s.listClients)
	admin.Patch("/clients/:id", adminOnly, jsonBody, s.patchClient)
	admin.Post("/clients/:id/rotate", adminOnly, s.rotateClientKey)
	admin.Post("/clients/:id/rotate-secret", adminOnly, s.rotateClientSecret)
	admin.Get("/clients/:id/usage", adminOnly, s.clientUsage)

	// School API: an X-API-Key with the route's scope, limited per key (PORTAL_RATE_CLIENT).
	api.Get("/client/checks", noStore, s.schoolClient(""), s.clientChecks)
	// A batch of up to 500 checks, each counted against the key's allowance; CSV bodies too are held
	// to the JSON limit (500 rows fit many times over; only the registrar's import takes more).
	api.Post("/verifications/batch", noStore, s.schoolClient(store.ScopeVerifyBatch), jsonBody, s.verifyBatch)
	watcher := s.schoolClient(store.ScopeWatch)
	api.Post("/watches", noStore, watcher, jsonBody, s.createWatch)
	api.Get("/watches", noStore, watcher, s.listWatches)
	api.Get("/watches/:id", noStore, watcher, s.watch)
	api.Delete("/watches/:id", noStore, watcher, s.deleteWatch)
	api.Get("/watches/:id/deliveries", noStore, watcher, s.watchDeliveries)
	// Pages for people (web.go): HTML, Chinese first, errors as pages.
	r.Get("/static/*", s.static)
	r.Get("/favicon.ico", page, s.favicon) // browsers ask for it on every page; it is the SVG icon

	// Pages: home, search and cases (pages_public.go).
	r.Get("/", page, pageLimit, s.homePage)
	r.Get("/cases", page, pageLimit, s.searchPage)
	r.Get("/cases/:id", page, pageLimit, s.casePage)

	// Pages: verification and receipts (pages_verify.go).
	r.Get("/verify", page, s.verifyPage)
	r.Post("/verify", page, noStore, verifyLimit, jsonBody, s.verifyForm)
	r.Post("/verify/receipt", page, noStore, verifyLimit, jsonBody, s.receiptPage) // the printable receipt
	r.Get("/verify/receipt", page, noStore, s.receiptRedirect)
	r.Get("/receipts/check", page, noStore, ifQuery("receipt", verifyLimit), s.receiptCheckPage) // ?receipt= is where a receipt's QR code leads
	r.Post("/receipts/check", page, noStore, verifyLimit, jsonBody, s.receiptCheckForm)

	// Pages: about the portal and its methods (pages_about.go).
	r.Get("/about", page, s.aboutPage)
	r.Get("/about/method", page, s.aboutMethodPage)

	// The console: a session cookie and a form token on every change (web_session.go).
	r.Get("/admin/login", page, noStore, s.consoleLoginPage)
	r.Post("/admin/login", page, noStore, jsonBody, s.consoleLogin)
	r.Post("/admin/login/enrol", page, noStore, jsonBody, s.consoleEnrol) // a second factor's enrolment, before a session (console_login.go)
	console := r.Group("/admin", page, s.consoleSession, consoleBodyLimit(jsonBody, csvBody), s.consoleForms)
	console.Get("/", s.consoleHome)
	console.Post("/logout", s.consoleLogout)

	// Console: users and clients (console_users.go, console_clients.go); new recovery codes (console_login.go).
	console.Post("/recovery-codes", s.consoleRecoveryCodes)
	consoleAdmin := requireRole(store.RoleAdmin)
	console.Get("/users", consoleAdmin, s.consoleUsers)
	console.Post("/users", consoleAdmin, s.consoleAddUser)
	console.Get("/users/:username", consoleAdmin, s.consoleUser)
	console.Post("/users/:username", consoleAdmin, s.consoleChangeUser)
	console.Get("/clients", consoleAdmin, s.consoleClients)
	console.Post("/clients", consoleAdmin, s.consoleCreateClient)
	console.Get("/clients/:id", consoleAdmin, s.consoleClient)
	console.Post("/clients/:id", consoleAdmin, s.consoleChangeClient)

	// Console: cases and actions (console_cases.go, console_actions.go).
	console.Get("/cases", caseReader, s.consoleCases)
	console.Get("/cases/new", editor, s.consoleCaseNew)
	console.Post("/cases/new", editor, s.consoleCaseCreate)
	console.Get("/cases/:id", caseReader, s.consoleCase)
	console.Get("/cases/:id/edit", editor, s.consoleCaseEdit)
	console.Post("/cases/:id/edit", editor, s.consoleCaseUpdate)
	console.Post("/cases/:id/propose", editor, s.consoleCasePropose)
	console.Get("/cases/:id/amend", editor, s.consoleCaseAmend)
	console.Post("/cases/:id/amend", editor, s.consoleCaseAmendPropose)
	console.Get("/actions", anyRole, s.consoleActions)
	console.Get("/actions/:id", anyRole, s.consoleAction)
	console.Post("/actions/:id/approve", reviewer, s.consoleApprove)
	console.Post("/actions/:id/reject", reviewer, s.consoleReject)

	// Console: credentials, bans and audit (console_credentials.go, console_bans.go, console_audit.go).
	registrarPage := requireRole(store.RoleRegistrar)
	console.Get("/credentials", registrarPage, s.credentialsPage)
	console.Get("/credentials/new", registrarPage, s.registerPage)
	console.Post("/credentials/new", registrarPage, s.registerForm)
	console.Post("/credentials/reregister", registrarPage, s.reregisterForm)
	console.Post("/credentials/actions", registrarPage, s.proposeCredentialAction)
	console.Get("/credentials/import", registrarPage, s.importPage)
	console.Post("/credentials/import", registrarPage, s.importForm) // at consoleImportPath: the CSV limit (consoleBodyLimit)
	console.Get("/bans", requireRole(store.RoleRegistrar, store.RoleReviewer), s.bansPage)
	console.Post("/bans", requireRole(store.RoleRegistrar, store.RoleReviewer), s.bansSearch)
	console.Post("/bans/lift", registrarPage, s.proposeLiftBan)
	console.Get("/audit", requireRole(store.RoleAuditor), s.auditPage)

	// Staff eligibility: a school's key with the eligibility scope (its check recorded), or an
	// admin token with a role that may check, limited per client IP as verifications are.
	api.Post("/eligibility", noStore, ifAPIKey(s.schoolClient(store.ScopeEligibility)),
		unlessAPIKey(s.authenticated), unlessAPIKey(requireRole(store.RoleRegistrar, store.RoleReviewer)), unlessAPIKey(verifyLimit),
		jsonBody, s.eligibility)
}

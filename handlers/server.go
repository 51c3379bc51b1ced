// Package handlers is the HTTP side of Ethics Portal, on Fiber v2: the
// routing table (routes.go), middleware, the JSON API, the pages for people
// (web*.go, pages_*.go) and the admin console (console_*.go).
// Handlers parse and validate input, call the app, and respond; every error
// becomes an RFC 9457 problem response in one place (problem.go).
package handlers

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"ethicsportal/app"
	"ethicsportal/docs"
	"ethicsportal/static"
	"ethicsportal/store"
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

	accessLogOn bool // PORTAL_ACCESS_LOG

	readyMu  sync.Mutex
	notReady string // the parts /readyz last found unreachable, for logging changes only

	site        *site                 // the pages' templates and strings
	staticFiles map[string]staticFile // what /static/ serves

	// openapiJSONDoc converts docs.OpenAPI to JSON on the first request
	// for it and hands back that result after: most servers never serve it.
	openapiJSONDoc func() ([]byte, error)
}

// New builds the server and its routes. It does not listen yet.
func New(a *app.App, log *slog.Logger) *Server {
	cfg := a.Config()
	s := &Server{app: a, log: log, metrics: newMetrics(a), https: strings.HasPrefix(cfg.BaseURL, "https://"),
		accessLogOn: cfg.AccessLog, openapiJSONDoc: sync.OnceValues(docs.OpenAPIJSON)}
	s.fiber = fiber.New(fiber.Config{
		AppName: "ethicsportal",
		// Every route takes JSON-sized bodies at most; the CSV import alone
		// is given more, from its request line (bodyLimitFor), so that no
		// other route, known or not, reads more than a JSON body before
		// routing and authentication.
		BodyLimit:                    cfg.BodyLimit,
		DisablePreParseMultipartForm: true, // no route takes multipart; never parse one to temp files
		ReadTimeout:                  ReadTimeout,
		WriteTimeout:                 WriteTimeout,
		IdleTimeout:                  IdleTimeout,
		ReadBufferSize:               MaxHeaderBytes,
		ErrorHandler:                 s.errorHandler,
		DisableStartupMessage:        true,
		CaseSensitive:                true,
		StrictRouting:                false,
	})
	s.fiber.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if conflictingFraming(h.RawHeaders()) {
			// Read no body at all, and close the connection after the 400
			// that refuseConflictingFraming answers: whatever follows on
			// the connection cannot be told apart from a smuggled request.
			h.SetContentLength(0)
			h.SetConnectionClose()
			return fasthttp.RequestConfig{}
		}
		limit := bodyLimitFor(h, cfg.BodyLimit, cfg.CSVBodyLimit, s.tokenSigned)
		if h.ContentLength() > limit {
			// Without Expect the server answers 413 from Content-Length
			// before reading the body; with it, it would first send
			// 100 Continue and so invite the upload it then refuses.
			h.Del(fiber.HeaderExpect)
		}
		return fasthttp.RequestConfig{MaxRequestBodySize: limit}
	}
	s.site, s.staticFiles = mustSite()
	s.routes()
	return s
}

// mustSite parses the embedded templates, strings and assets. They are part
// of the binary, and a test parses them, so a failure here is a build
// mistake, not a condition to run with.
func mustSite() (*site, map[string]staticFile) {
	st, err := newSite()
	if err != nil {
		panic(err)
	}
	web, err := fs.Sub(static.Web, "web")
	if err != nil {
		panic(err)
	}
	files, err := loadStatic(web)
	if err != nil {
		panic(err)
	}
	return st, files
}

// bodyLimitFor is the most body bytes the server reads for a request,
// decided from its headers before any of the body is read: csvLimit for a
// POST to the import route carrying a bearer token, or to the console's
// upload route (consoleImportPath) carrying a session cookie, when signed
// says the token is one this portal signed and still current; jsonLimit
// otherwise. The route authenticates in full; the signature check here
// keeps anyone without a token of their own to the small limit (a made-up
// cookie or header buys nothing). A path this does not recognise (another
// spelling of the route) gets the small limit: it errs towards refusing.
func bodyLimitFor(h *fasthttp.RequestHeader, jsonLimit, csvLimit int, signed func(token string) bool) int {
	if string(h.Method()) != fiber.MethodPost {
		return jsonLimit
	}
	bearer, isBearer := bytes.CutPrefix(h.Peek(fiber.HeaderAuthorization), []byte("Bearer "))
	session := h.Cookie(sessionCookieName)
	if !isBearer && len(session) == 0 {
		return jsonLimit
	}
	uri := h.RequestURI()
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.Index(uri, []byte("://")); i >= 0 { // absolute form: http://host/path
		rest := uri[i+3:]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			uri = rest[j:]
		}
	}
	uri = bytes.TrimSuffix(uri, []byte("/")) // routing is not strict about one trailing slash
	var token []byte
	switch {
	case isBearer && string(uri) == importPath:
		token = bytes.TrimSpace(bearer)
	case len(session) > 0 && string(uri) == consoleImportPath:
		token = session
	default:
		return jsonLimit
	}
	if len(token) == 0 || len(token) > 4096 || !signed(string(token)) {
		return jsonLimit
	}
	return csvLimit
}

// tokenSigned is app.TokenSigned under a short deadline of its own: it runs
// before the request has a context.
func (s *Server) tokenSigned(token string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.app.TokenSigned(ctx, token)
}

// conflictingFraming reports a request whose body length is ambiguous
// (RFC 9112 §6.3): Transfer-Encoding together with Content-Length, or
// Content-Length lines that disagree. fasthttp would pick one reading (the
// chunked one, or the last length); a proxy in front may have picked
// another, which is how requests are smuggled. raw is the request's header
// block as received.
func conflictingFraming(raw []byte) bool {
	var length []byte
	lengths, te := 0, false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue // the request line, or the blank line that ends the block
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte(fiber.HeaderTransferEncoding)):
			te = true
		case bytes.EqualFold(name, []byte(fiber.HeaderContentLength)):
			lengths++
			if lengths > 1 && !bytes.Equal(value, length) {
				return true
			}
			length = value
		}
	}
	return te && lengths > 0
}

// refuseConflictingFraming answers 400 to a request conflictingFraming
// reports; the header hook has already kept its body unread and marked the
// connection to close. Only such requests, and those that ask to close
// themselves, are looked at again.
func refuseConflictingFraming(c *fiber.Ctx) error {
	h := &c.Request().Header
	if h.ConnectionClose() && conflictingFraming(h.RawHeaders()) {
		c.Set(fiber.HeaderConnection, "close")
		return store.Errorf(codeBadRequest, "the request's length is ambiguous: Content-Length with Transfer-Encoding, or Content-Length given twice with different values")
	}
	return c.Next()
}

// refuseContentEncoding answers 415 to a request whose body is compressed
// (Content-Encoding other than identity), before anything reads it: Fiber
// inflates such a body whole when it is first read, so a small compressed
// body would otherwise grow past every body limit in memory. Clients send
// bodies as they are; the limits are small enough for that.
func refuseContentEncoding(c *fiber.Ctx) error {
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
		for _, coding := range strings.Split(string(v), ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				c.Set(fiber.HeaderConnection, "close") // the body stays unread
				return store.Errorf(store.EUnsupported, "compressed request bodies (Content-Encoding) are not accepted; send the body uncompressed")
			}
		}
	}
	return c.Next()
}

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.fiber.Listen(addr) }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error { return s.fiber.ShutdownWithContext(ctx) }

// Fiber exposes the Fiber app, for tests (app.Test) and listeners.
func (s *Server) Fiber() *fiber.App { return s.fiber }

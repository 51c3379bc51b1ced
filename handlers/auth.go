package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/auth"
	"ethicsportal/store"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	tok, err := s.app.Login(c.UserContext(), app.LoginRequest{Username: req.Username, Password: req.Password,
		Code: req.TOTP, IP: clientIP(c), DeviceCookie: c.Cookies(auth.DeviceCookieName)})
	if err != nil {
		return err
	}
	// The device cookie lets this client past the per-username limit next
	// time (auth.SignInPolicy). Scripts only need the token; browsers keep
	// the cookie, which no page script can read.
	c.Cookie(&fiber.Cookie{
		Name:     auth.DeviceCookieName,
		Value:    tok.DeviceCookie,
		Path:     "/api/v1/auth",
		MaxAge:   int(auth.DeviceCookieTTL / time.Second),
		HTTPOnly: true,
		Secure:   secureCookies(c),
		SameSite: fiber.CookieSameSiteStrictMode,
	})
	return c.JSON(tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.app.Logout(c.UserContext(), principal(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type meResponse struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
}

func (s *Server) me(c *fiber.Ctx) error {
	p := principal(c)
	return c.JSON(meResponse{Username: p.Username, Roles: p.Roles})
}

// authenticated requires a valid bearer token and records its principal.
func (s *Server) authenticated(c *fiber.Ctx) error {
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return store.Errorf(store.EUnauthorized, "a valid bearer token is required")
	}
	p, err := s.app.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(localPrincipal, p)
	return c.Next()
}

// requireRole lets the request through when the principal holds one of
// roles (admin holds them all), and answers 403 otherwise.
func requireRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		for _, r := range roles {
			if p != nil && p.HasRole(r) {
				return c.Next()
			}
		}
		return store.Errorf(store.EForbidden, "this needs the role %s", strings.Join(roles, " or "))
	}
}

func principal(c *fiber.Ctx) *app.Principal {
	p, _ := c.Locals(localPrincipal).(*app.Principal)
	return p
}

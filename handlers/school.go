package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The School API: requests authenticated by a school client's API key.

const (
	headerAPIKey = "X-API-Key"
	localClient  = "client"
)

// schoolClient requires a valid X-API-Key (401 for a missing, malformed,
// unknown, replaced or disabled key, all alike), holding scope (403
// forbidden otherwise; "" accepts any scope), and spends one check of the
// key's allowance (429 with the RateLimit headers when it is spent). The
// client is in Locals for clientFrom. A request that costs more than one
// check (a batch) spends the rest with chargeClient.
func (s *Server) schoolClient(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Request().Header.PeekAll(headerAPIKey)) > 1 {
			// Which one would count is a guess a proxy and the portal may
			// make differently: refuse the ambiguity.
			return store.Errorf(store.EUnauthorized, "send one X-API-Key header, not several")
		}
		key := c.Get(headerAPIKey)
		if key == "" {
			return store.Errorf(store.EUnauthorized, "a valid API key is required in the X-API-Key header")
		}
		cl, err := s.app.AuthenticateClient(c.UserContext(), key)
		if err != nil {
			return err
		}
		if scope != "" && !cl.HasScope(scope) {
			return store.Errorf(store.EForbidden, "this API key lacks the scope %s", scope)
		}
		c.Locals(localClient, cl)
		if err := s.chargeClient(c, 1); err != nil {
			return err
		}
		return c.Next()
	}
}

// chargeClient spends n checks of the allowance of the request's client,
// all or none, and sets the RateLimit headers; a *app.LimitedError (429)
// when they are not there. The key is the client id, so a rotated key and
// its predecessor share one allowance.
func (s *Server) chargeClient(c *fiber.Ctx, n int) error {
	cl := clientFrom(c)
	if cl == nil {
		return store.Errorf(store.EUnauthorized, "a valid API key is required in the X-API-Key header")
	}
	if n < 1 {
		return nil
	}
	res, err := s.app.Limits().Client.AllowN(c.UserContext(), "client:"+cl.ID, n)
	if err != nil {
		return err
	}
	if !res.Allowed {
		return &app.LimitedError{Result: res}
	}
	setRateHeaders(c, res)
	return nil
}

// clientFrom returns the school client schoolClient authenticated, nil on a
// request that has none.
func clientFrom(c *fiber.Ctx) *store.Client {
	cl, _ := c.Locals(localClient).(*store.Client)
	return cl
}

// ifAPIKey runs h on requests carrying X-API-Key and lets the others
// through; unlessAPIKey the other way round. Together they give one route
// two ways in (an admin token, or a school's key) without either chain
// seeing the other's requests.
func ifAPIKey(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Request().Header.Peek(headerAPIKey)) == 0 {
			return c.Next()
		}
		return h(c)
	}
}

func unlessAPIKey(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Request().Header.Peek(headerAPIKey)) > 0 {
			return c.Next()
		}
		return h(c)
	}
}

type usageJSON struct {
	At            time.Time `json:"at"`
	Kind          string    `json:"kind"`
	CertificateNo string    `json:"certificate_no,omitempty"`
	Match         bool      `json:"match"`
	ReceiptID     string    `json:"receipt_id,omitempty"`
}

type usageListJSON struct {
	ClientID string      `json:"client_id"`
	Total    int         `json:"total"`
	Page     int         `json:"page"`
	PerPage  int         `json:"per_page"`
	Checks   []usageJSON `json:"checks"`
}

func toUsageList(id string, rows []store.ClientUsage, total int, page app.Page) usageListJSON {
	out := usageListJSON{ClientID: id, Total: total, Page: page.Number, PerPage: page.PerPage, Checks: make([]usageJSON, 0, len(rows))}
	for _, u := range rows {
		out.Checks = append(out.Checks, usageJSON{At: u.At.UTC(), Kind: u.Kind, CertificateNo: u.CertificateNo, Match: u.Match, ReceiptID: u.ReceiptID})
	}
	return out
}

// clientChecks answers GET /api/v1/client/checks: the client's own
// recorded checks, newest first.
func (s *Server) clientChecks(c *fiber.Ctx) error {
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	cl := clientFrom(c)
	rows, total, err := s.app.ClientChecks(c.UserContext(), cl, page)
	if err != nil {
		return err
	}
	return c.JSON(toUsageList(cl.ID, rows, total, page))
}

package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// Client administration (role admin): school clients and their API keys.

type createClientRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type patchClientRequest struct {
	Disabled *bool `json:"disabled"`
}

type clientJSON struct {
	ClientID     string     `json:"client_id"`
	Name         string     `json:"name"`
	Scopes       []string   `json:"scopes"`
	Disabled     bool       `json:"disabled"`
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    string     `json:"created_by"`
	PrevKeyUntil *time.Time `json:"previous_key_until,omitempty"`
	// Shown once, in the answer of the creation.
	APIKey string `json:"api_key,omitempty"`
	Secret string `json:"secret,omitempty"`
}

func toClientJSON(v *app.ClientView) clientJSON {
	out := clientJSON{ClientID: v.ID, Name: v.Name, Scopes: v.Scopes, Disabled: v.Disabled, CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !v.PrevKeyUntil.IsZero() {
		t := v.PrevKeyUntil.UTC()
		out.PrevKeyUntil = &t
	}
	return out
}

func (s *Server) createClient(c *fiber.Ctx) error {
	var req createClientRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	cl, err := s.app.CreateClient(c.UserContext(), principal(c).Username, app.NewClient{Name: req.Name, Scopes: req.Scopes})
	if err != nil {
		return err
	}
	out := toClientJSON(&cl.ClientView)
	out.APIKey, out.Secret = cl.APIKey, cl.Secret
	c.Location("/api/v1/admin/clients/" + cl.ID)
	return c.Status(fiber.StatusCreated).JSON(out)
}

type clientListJSON struct {
	Clients []clientJSON `json:"clients"`
}

func (s *Server) listClients(c *fiber.Ctx) error {
	cs, err := s.app.ListClients(c.UserContext())
	if err != nil {
		return err
	}
	out := clientListJSON{Clients: make([]clientJSON, len(cs))}
	for i := range cs {
		out.Clients[i] = toClientJSON(&cs[i])
	}
	return c.JSON(out)
}

func (s *Server) patchClient(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "client id")
	if err != nil {
		return err
	}
	var req patchClientRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	if req.Disabled == nil {
		return store.FieldError(store.EMissing, "disabled", "send {\"disabled\": true} or {\"disabled\": false}")
	}
	v, err := s.app.SetClientDisabled(c.UserContext(), principal(c).Username, id, *req.Disabled)
	if err != nil {
		return err
	}
	return c.JSON(toClientJSON(v))
}

type rotatedKeyJSON struct {
	ClientID     string    `json:"client_id"`
	APIKey       string    `json:"api_key"`
	PrevKeyUntil time.Time `json:"previous_key_until"`
}

// rotateClientKey takes no body: the new key is the portal's to make.
func (s *Server) rotateClientKey(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "client id")
	if err != nil {
		return err
	}
	k, err := s.app.RotateClientKey(c.UserContext(), principal(c).Username, id)
	if err != nil {
		return err
	}
	return c.JSON(rotatedKeyJSON{ClientID: k.ClientID, APIKey: k.APIKey, PrevKeyUntil: k.PrevKeyUntil.UTC()})
}

// rotateClientSecret takes no body: the new secret is the portal's to
// derive. It is shown in this answer only.
func (s *Server) rotateClientSecret(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "client id")
	if err != nil {
		return err
	}
	clientID, secret, err := s.app.RotateClientSecret(c.UserContext(), principal(c).Username, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"client_id": clientID, "secret": secret})
}

func (s *Server) clientUsage(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "client id")
	if err != nil {
		return err
	}
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	rows, total, err := s.app.ClientUsage(c.UserContext(), id, page)
	if err != nil {
		return err
	}
	return c.JSON(toUsageList(id, rows, total, page))
}

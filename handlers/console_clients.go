package handlers

import (
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's school clients (role admin): the same app calls as the
// JSON API (clients.go). A new API key or webhook secret is shown once, on
// a page that is not stored, and never again.

// scopeChoice is one scope's checkbox.
type scopeChoice struct {
	Scope   string
	Checked bool
}

func scopeChoices(checked []string) []scopeChoice {
	out := make([]scopeChoice, len(store.Scopes))
	for i, sc := range store.Scopes {
		out[i] = scopeChoice{Scope: sc, Checked: slices.Contains(checked, sc)}
	}
	return out
}

// clientsData is the clients page: the list and the form to add one.
type clientsData struct {
	Clients []app.ClientView
	Name    string
	Scopes  []scopeChoice
	Errors  []fieldError
}

// Err is the message for the input with that id.
func (d clientsData) Err(id string) string { return errorOf(d.Errors, id) }

// clientData is one client's page with a page of its usage.
type clientData struct {
	Client     app.ClientView
	Done       string
	Usage      []store.ClientUsage
	Total      int
	Page, Last int
}

// clientSecretData shows what is shown once: a new client's key and
// secret, a rotated key, or a rotated secret.
type clientSecretData struct {
	ClientID, Name string
	APIKey, Secret string
	Created        bool
	PrevKeyUntil   time.Time // a rotated key's predecessor works until then
}

func (s *Server) consoleClients(c *fiber.Ctx) error {
	return s.renderClients(c, fiber.StatusOK, clientsData{Scopes: scopeChoices(nil)})
}

func (s *Server) renderClients(c *fiber.Ctx, status int, d clientsData) error {
	cs, err := s.app.ListClients(c.UserContext())
	if err != nil {
		return err
	}
	d.Clients = cs
	return s.render(c, status, "clients", "clients.title", d)
}

func (s *Server) consoleCreateClient(c *fiber.Ctx) error {
	name, scopes := formValue(c, "name"), formValues(c, "scopes")
	cl, err := s.app.CreateClient(c.UserContext(), principal(c).Username, app.NewClient{Name: name, Scopes: scopes})
	if err != nil {
		errs := s.clientFormErrors(c, err)
		if errs == nil {
			return err
		}
		return s.renderClients(c, formStatus(err), clientsData{Name: name, Scopes: scopeChoices(scopes), Errors: errs})
	}
	return s.renderClientSecret(c, clientSecretData{ClientID: cl.ID, Name: cl.Name, APIKey: cl.APIKey, Secret: cl.Secret, Created: true})
}

// clientFormErrors is fieldErrors with the client form's own messages.
func (s *Server) clientFormErrors(c *fiber.Ctx, err error) []fieldError {
	lang := pageLang(c)
	switch {
	case store.IsCode(err, store.EMissing) || store.IsCode(err, store.EInvalid):
		if f := storeField(err); f == "name" {
			return []fieldError{{Field: "name", Message: s.site.catalog.text(lang, uiKey("clients.error.name"))}}
		} else if f == "scopes" {
			return []fieldError{{Field: "scope-" + store.Scopes[0], Message: s.site.catalog.text(lang, uiKey("clients.error.scopes"))}}
		}
	}
	return s.fieldErrors(lang, err, map[string]string{"scopes": "scope-" + store.Scopes[0]})
}

// storeField is the field an app error names, if any.
func storeField(err error) string {
	var e *store.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func (s *Server) renderClientSecret(c *fiber.Ctx, d clientSecretData) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "clients_secret", "clients.secret.title", d)
}

// findClient is the client named in the path; ENotFound when none.
func (s *Server) findClient(c *fiber.Ctx) (*app.ClientView, error) {
	id, err := pathParam(c, "id", "client id")
	if err != nil {
		return nil, err
	}
	cs, err := s.app.ListClients(c.UserContext())
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].ID == id {
			return &cs[i], nil
		}
	}
	return nil, store.Errorf(store.ENotFound, "no client %q", printableParam(id))
}

var clientDone = map[string]string{
	"disable": uiKey("clients.done.disable"),
	"enable":  uiKey("clients.done.enable"),
}

const usagePerPage = 50

func (s *Server) consoleClient(c *fiber.Ctx) error {
	cl, err := s.findClient(c)
	if err != nil {
		return err
	}
	n := 1
	if v := c.Query("page"); v != "" {
		if n, err = atoiStrict(v); err != nil || n < 1 || n > 1_000_000 {
			return store.FieldError(store.EInvalid, "page", "page is a whole number from 1 to 1000000")
		}
	}
	rows, total, err := s.app.ClientUsage(c.UserContext(), cl.ID, app.Page{Number: n, PerPage: usagePerPage})
	if err != nil {
		return err
	}
	last := max(1, (total+usagePerPage-1)/usagePerPage)
	return s.render(c, fiber.StatusOK, "clients_client", "clients.client.title",
		clientData{Client: *cl, Done: clientDone[c.Query("done")], Usage: rows, Total: total, Page: n, Last: last})
}

// atoiStrict parses a whole number of at most seven digits.
func atoiStrict(s string) (int, error) {
	if len(s) == 0 || len(s) > 7 {
		return 0, store.Errorf(store.EInvalid, "not a number")
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, store.Errorf(store.EInvalid, "not a number")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}

// consoleChangeClient applies one of the client page's forms, named by op.
func (s *Server) consoleChangeClient(c *fiber.Ctx) error {
	cl, err := s.findClient(c)
	if err != nil {
		return err
	}
	ctx, actor := c.UserContext(), principal(c).Username
	switch op := formValue(c, "op"); op {
	case "disable", "enable":
		if _, err := s.app.SetClientDisabled(ctx, actor, cl.ID, op == "disable"); err != nil {
			return err
		}
		return c.Redirect(consolePath+"/clients/"+url.PathEscape(cl.ID)+"?done="+op, fiber.StatusSeeOther)
	case "rotate_key":
		k, err := s.app.RotateClientKey(ctx, actor, cl.ID)
		if err != nil {
			return err
		}
		return s.renderClientSecret(c, clientSecretData{ClientID: cl.ID, Name: cl.Name, APIKey: k.APIKey, PrevKeyUntil: k.PrevKeyUntil})
	case "rotate_secret":
		_, secret, err := s.app.RotateClientSecret(ctx, actor, cl.ID)
		if err != nil {
			return err
		}
		return s.renderClientSecret(c, clientSecretData{ClientID: cl.ID, Name: cl.Name, Secret: secret})
	default:
		return store.FieldError(store.EInvalid, "op", "unknown change %q", printableParam(op))
	}
}

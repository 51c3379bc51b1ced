package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// actionJSON is an action as the admin API shows it.
type actionJSON struct {
	ID             int64           `json:"id"`
	Kind           string          `json:"kind"`
	Object         string          `json:"object"`
	Status         string          `json:"status"`
	Reason         string          `json:"reason"`
	Params         json.RawMessage `json:"params"`
	ProposedBy     string          `json:"proposed_by"`
	ProposedAt     time.Time       `json:"proposed_at"`
	DecidedBy      string          `json:"decided_by,omitempty"`
	DecidedAt      *time.Time      `json:"decided_at,omitempty"`
	DecisionReason string          `json:"decision_reason,omitempty"`
	BanID          int64           `json:"ban_id,omitempty"` // in the answer to an approval that imposed a ban
}

func toActionJSON(a *store.Action) actionJSON {
	out := actionJSON{ID: a.ID, Kind: a.Kind, Object: a.Object, Status: a.Status, Reason: a.Reason, Params: a.Params,
		ProposedBy: a.ProposedBy, ProposedAt: a.ProposedAt.UTC(), DecidedBy: a.DecidedBy, DecisionReason: a.DecisionReason}
	if !a.DecidedAt.IsZero() {
		t := a.DecidedAt.UTC()
		out.DecidedAt = &t
	}
	return out
}

// proposeAction takes {"kind", "reason", ...params}: the parameters sit
// beside kind and reason, so the body is read as an object of raw values
// and the app checks each kind's parameters, unknown ones included.
func (s *Server) proposeAction(c *fiber.Ctx) error {
	var body map[string]json.RawMessage
	if err := decodeJSON(c, &body, true); err != nil {
		return err
	}
	if body == nil {
		return store.Errorf(store.EInvalidJSON, "the request body must be a JSON object")
	}
	var in app.Proposal
	// In a fixed order, so that of two bad fields the same one is reported every time.
	for _, f := range [...]struct {
		field string
		dst   *string
	}{{"kind", &in.Kind}, {"reason", &in.Reason}} {
		if raw, ok := body[f.field]; ok {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return store.FieldError(store.EInvalid, f.field, "%s must be a string", f.field)
			}
			delete(body, f.field)
		}
	}
	in.Params = body
	act, err := s.app.ProposeAction(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/actions/" + strconv.FormatInt(act.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(toActionJSON(act))
}

type actionListJSON struct {
	Total   int          `json:"total"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
	Actions []actionJSON `json:"actions"`
}

func (s *Server) listActions(c *fiber.Ctx) error {
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	status, err := singleQuery(c, "status")
	if err != nil {
		return err
	}
	acts, total, err := s.app.Actions(c.UserContext(), status, page)
	if err != nil {
		return err
	}
	out := actionListJSON{Total: total, Page: page.Number, PerPage: page.PerPage, Actions: make([]actionJSON, 0, len(acts))}
	for i := range acts {
		out.Actions = append(out.Actions, toActionJSON(&acts[i]))
	}
	return c.JSON(out)
}

func (s *Server) action(c *fiber.Ctx) error {
	id, err := actionID(c)
	if err != nil {
		return err
	}
	act, err := s.app.Action(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toActionJSON(act))
}

// approveRequest is the optional body of an approval.
type approveRequest struct {
	AcknowledgeFindings string `json:"acknowledge_findings"`
}

// approveAction takes no body, or {"acknowledge_findings"} when the case
// an approval publishes holds findings of the redaction check.
func (s *Server) approveAction(c *fiber.Ctx) error {
	id, err := actionID(c)
	if err != nil {
		return err
	}
	var req approveRequest
	if len(bytes.TrimSpace(c.Body())) > 0 {
		if err := decodeJSON(c, &req, true); err != nil {
			return err
		}
	}
	ap, err := s.app.ApproveActionWith(c.UserContext(), principal(c), id, app.ApprovalInput{AcknowledgeFindings: req.AcknowledgeFindings})
	if err != nil {
		return err
	}
	out := toActionJSON(ap.Action)
	out.BanID = ap.BanID
	return c.JSON(out)
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) rejectAction(c *fiber.Ctx) error {
	id, err := actionID(c)
	if err != nil {
		return err
	}
	var req rejectRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	act, err := s.app.RejectAction(c.UserContext(), principal(c), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(toActionJSON(act))
}

func actionID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, store.Errorf(store.ENotFound, "no such action")
	}
	return id, nil
}

// parsePage reads page (from 1) and per_page (1..100, default 20).
// Out-of-range values are refused, not clamped.
func parsePage(c *fiber.Ctx) (app.Page, error) {
	p := app.Page{Number: 1, PerPage: 20}
	for _, f := range [...]struct { // in a fixed order: the same bad one is reported every time
		field string
		dst   *int
	}{{"page", &p.Number}, {"per_page", &p.PerPage}} {
		v, err := singleQuery(c, f.field)
		if err != nil {
			return p, err
		}
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, store.FieldError(store.EInvalid, f.field, "%s must be a whole number", f.field)
		}
		*f.dst = n
	}
	if p.Number < 1 || p.Number > 1_000_000 {
		return p, store.FieldError(store.EInvalid, "page", "page is from 1 to 1000000")
	}
	if p.PerPage < 1 || p.PerPage > app.MaxPerPage {
		return p, store.FieldError(store.EInvalid, "per_page", "per_page is from 1 to %d", app.MaxPerPage)
	}
	return p, nil
}

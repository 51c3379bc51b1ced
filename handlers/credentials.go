package handlers

import (
	"bytes"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// credentialJSON is a register entry as the admin API shows it.
type credentialJSON struct {
	publicCredentialJSON
	Status         string       `json:"status"`        // effective today
	StoredStatus   string       `json:"stored_status"` // as last set by an action
	SuspendedUntil store.Date   `json:"suspended_until,omitempty"`
	StatusReason   string       `json:"status_reason,omitempty"`
	PersonLinked   bool         `json:"person_linked"`
	Bans           []banJSON    `json:"bans"`
	History        []changeJSON `json:"history"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

type banJSON struct {
	ID        int64      `json:"id,omitempty"`
	Scope     string     `json:"scope"`
	StartsOn  store.Date `json:"starts_on"`
	EndsOn    store.Date `json:"ends_on"`
	Permanent bool       `json:"permanent"`
	LiftedAt  *time.Time `json:"lifted_at,omitempty"` // admin view only
}

// changeJSON is one entry of a credential's status history.
type changeJSON struct {
	At         time.Time  `json:"at"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Until      store.Date `json:"until"`
	Reason     string     `json:"reason"`
	CaseID     string     `json:"case_id,omitempty"`
	ActionID   int64      `json:"action_id"`
	ProposedBy string     `json:"proposed_by"`
	ApprovedBy string     `json:"approved_by"`
}

func toCredentialJSON(r *app.CredentialRecord) credentialJSON {
	out := credentialJSON{
		publicCredentialJSON: toPublicCredentialJSON(&r.Credential),
		Status:               r.EffectiveStatus, StoredStatus: r.Status, SuspendedUntil: r.SuspendedUntil,
		StatusReason: r.StatusReason, PersonLinked: r.PersonID != 0, Bans: []banJSON{}, History: []changeJSON{},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for _, h := range r.History {
		out.History = append(out.History, changeJSON{At: h.At.UTC(), From: h.FromStatus, To: h.ToStatus, Until: h.Until, Reason: h.Reason,
			CaseID: h.CaseID, ActionID: h.ActionID, ProposedBy: h.ProposedBy, ApprovedBy: h.ApprovedBy})
	}
	for _, b := range r.Bans {
		bj := banJSON{ID: b.ID, Scope: b.Scope, StartsOn: b.StartsOn, EndsOn: b.EndsOn, Permanent: b.Permanent()}
		if !b.LiftedAt.IsZero() {
			lifted := b.LiftedAt.UTC()
			bj.LiftedAt = &lifted
		}
		out.Bans = append(out.Bans, bj)
	}
	return out
}

func (s *Server) createCredential(c *fiber.Ctx) error {
	var in app.CredentialInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	rec, err := s.app.CreateCredential(c.UserContext(), principal(c).Username, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/credentials/" + rec.CertificateNo)
	return c.Status(fiber.StatusCreated).JSON(toCredentialJSON(rec))
}

func (s *Server) credential(c *fiber.Ctx) error {
	no, err := url.PathUnescape(c.Params("certificate_no")) // a fresh string, safe to keep
	if err != nil {
		return store.FieldError(store.EInvalid, "certificate_no", "the certificate number in the path is not well encoded")
	}
	rec, err := s.app.Credential(c.UserContext(), no)
	if err != nil {
		return err
	}
	return c.JSON(toCredentialJSON(rec))
}

// importCredentials takes a CSV body. The encoding is the charset of the
// Content-Type when given, and detected otherwise (spreadsheets save GBK).
func (s *Server) importCredentials(c *fiber.Ctx) error {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || !strings.EqualFold(mt, "text/csv") {
		return store.Errorf(store.EUnsupported, "send the file as text/csv")
	}
	enc := strings.ToLower(params["charset"])
	switch enc {
	case "", "utf-8", "utf8", "gb18030", "gbk", "gb2312":
	default:
		return store.Errorf(store.EUnsupported, "charset %q is not supported; send UTF-8 or GB18030/GBK", enc)
	}
	// The body buffer belongs to Fiber; the import reads it only within
	// this handler, so no copy is needed.
	rep, err := s.app.ImportCredentials(c.UserContext(), principal(c).Username, bytes.NewReader(c.Body()), app.ImportOptions{Encoding: enc})
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

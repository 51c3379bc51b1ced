package handlers

import (
	"bytes"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// changeJSON is one entry of a credential's history: its creation, a
// re-registration, a correction or a status change, with who made it and
// from where. from and to are the statuses of a status change.
type changeJSON struct {
	At         time.Time           `json:"at"`
	Kind       string              `json:"kind"`
	Actor      string              `json:"actor"`
	Source     changeSourceJSON    `json:"source"`
	Changes    []store.FieldChange `json:"changes"`
	From       string              `json:"from,omitempty"`
	To         string              `json:"to,omitempty"`
	Until      store.Date          `json:"until"`
	Reason     string              `json:"reason,omitempty"`
	CaseID     string              `json:"case_id,omitempty"`
	ActionID   int64               `json:"action_id,omitempty"`
	ProposedBy string              `json:"proposed_by,omitempty"`
	ApprovedBy string              `json:"approved_by,omitempty"`
}

// changeSourceJSON says where a change came from: the API, a row of an
// import file, or an action.
type changeSourceJSON struct {
	Type     string `json:"type"`
	File     string `json:"file,omitempty"`
	Row      int    `json:"row,omitempty"`
	ActionID int64  `json:"action_id,omitempty"`
}

func toCredentialJSON(r *app.CredentialRecord) credentialJSON {
	out := credentialJSON{
		publicCredentialJSON: toPublicCredentialJSON(&r.Credential),
		Status:               r.EffectiveStatus, StoredStatus: r.Status, SuspendedUntil: r.SuspendedUntil,
		StatusReason: r.StatusReason, PersonLinked: r.PersonID != 0, Bans: []banJSON{}, History: []changeJSON{},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for _, h := range r.History {
		cj := changeJSON{At: h.At.UTC(), Kind: h.Kind, Actor: h.Actor, Changes: h.Fields, From: h.FromStatus, To: h.ToStatus,
			Until: h.Until, Reason: h.Reason, CaseID: h.CaseID, ActionID: h.ActionID, ProposedBy: h.ProposedBy, ApprovedBy: h.ApprovedBy,
			Source: changeSourceJSON{Type: h.Source, File: h.SourceFile, Row: h.SourceRow, ActionID: h.ActionID}}
		if cj.Changes == nil {
			cj.Changes = []store.FieldChange{}
		}
		out.History = append(out.History, cj)
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
	no, err := pathParam(c, "certificate_no", "certificate number")
	if err != nil {
		return err
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
	rep, err := s.app.ImportCredentials(c.UserContext(), principal(c).Username, bytes.NewReader(c.Body()),
		app.ImportOptions{Encoding: enc, FileName: uploadName(c.Get(fiber.HeaderContentDisposition))})
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// uploadName is the file name an upload gives in its Content-Disposition
// header (as a browser or curl -H sends it), kept in the history of every
// credential the import touches; "upload.csv" when none is given. Only the
// base name is kept, and only if it is plain text of a sane length.
func uploadName(disposition string) string {
	const fallback = "upload.csv"
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return fallback
	}
	name := params["filename"]
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || len(name) > 255 || !utf8.ValidString(name) || strings.ContainsFunc(name, unsafeRune) {
		return fallback
	}
	// An unquoted filename comes back from ParseMediaType as a slice of
	// disposition, which points into Fiber's reused header buffer.
	return strings.Clone(name)
}

// unsafeRune reports control characters and format characters such as
// bidirectional overrides, which could make a file name read as another.
func unsafeRune(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

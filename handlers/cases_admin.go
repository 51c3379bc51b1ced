package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// caseContentJSON is the text and classification of a case: what an editor
// writes and an amendment changes.
type caseContentJSON struct {
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	Body         string           `json:"body"`
	SubjectName  string           `json:"subject_name"`
	School       string           `json:"school"`
	District     string           `json:"district"`
	Stage        string           `json:"stage"`
	Categories   []int            `json:"categories"`
	Sanctions    []store.Sanction `json:"sanctions"`
	IncidentDate store.Date       `json:"incident_date"`
	DecisionDate store.Date       `json:"decision_date"`
	Authority    string           `json:"authority"`
}

func toCaseContentJSON(c *store.CaseContent) caseContentJSON {
	out := caseContentJSON{Title: c.Title, Summary: c.Summary, Body: c.Body, SubjectName: c.SubjectName, School: c.School,
		District: c.District, Stage: c.Stage, Categories: c.Categories, Sanctions: c.Sanctions,
		IncidentDate: c.IncidentDate, DecisionDate: c.DecisionDate, Authority: c.Authority}
	if out.Categories == nil {
		out.Categories = []int{}
	}
	if out.Sanctions == nil {
		out.Sanctions = []store.Sanction{}
	}
	return out
}

// adminCaseJSON is a case as the admin API shows it: everything on record,
// the private link to a credential, and the findings of the redaction
// check. Times not reached yet are null.
type adminCaseJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	caseContentJSON
	CertificateNo  *string             `json:"certificate_no"`
	Findings       []app.Finding       `json:"findings"`
	PublishUntil   store.Date          `json:"publish_until"`
	WithdrawReason string              `json:"withdraw_reason,omitempty"`
	Version        int64               `json:"version"`
	CreatedBy      string              `json:"created_by"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
	PublishedAt    *time.Time          `json:"published_at"`
	AmendedAt      *time.Time          `json:"amended_at"`
	WithdrawnAt    *time.Time          `json:"withdrawn_at"`
	ExpiredAt      *time.Time          `json:"expired_at"`
	Revisions      []adminRevisionJSON `json:"revisions"`
	PendingActions []int64             `json:"pending_actions"`
}

// adminRevisionJSON is an applied amendment with the content it replaced.
type adminRevisionJSON struct {
	Seq      int             `json:"seq"`
	At       time.Time       `json:"at"`
	Note     string          `json:"note"`
	ActionID int64           `json:"action_id"`
	Previous caseContentJSON `json:"previous"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toAdminCaseJSON(r *app.CaseRecord) adminCaseJSON {
	out := adminCaseJSON{ID: r.ID, Status: r.Status, caseContentJSON: toCaseContentJSON(&r.CaseContent),
		Findings: r.Findings, PublishUntil: r.PublishUntil, WithdrawReason: r.WithdrawReason, Version: r.Version,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		PublishedAt: optTime(r.PublishedAt), AmendedAt: optTime(r.AmendedAt), WithdrawnAt: optTime(r.WithdrawnAt),
		ExpiredAt: optTime(r.ExpiredAt), Revisions: make([]adminRevisionJSON, 0, len(r.Revisions)), PendingActions: r.PendingActions}
	if out.PendingActions == nil {
		out.PendingActions = []int64{}
	}
	if r.CertificateNo != "" {
		no := r.CertificateNo
		out.CertificateNo = &no
	}
	if out.Findings == nil {
		out.Findings = []app.Finding{}
	}
	for _, rev := range r.Revisions {
		out.Revisions = append(out.Revisions, adminRevisionJSON{Seq: rev.Seq, At: rev.At.UTC(), Note: rev.Note,
			ActionID: rev.ActionID, Previous: toCaseContentJSON(&rev.Previous)})
	}
	return out
}

// caseETag is a case's version as an entity tag, for If-Match.
func caseETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// sendAdminCase answers with the admin view of a case and its ETag.
func sendAdminCase(c *fiber.Ctx, status int, r *app.CaseRecord) error {
	c.Set(fiber.HeaderETag, caseETag(r.Version))
	return c.Status(status).JSON(toAdminCaseJSON(r))
}

func (s *Server) createCase(c *fiber.Ctx) error {
	var in app.CaseInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	r, err := s.app.CreateCase(c.UserContext(), principal(c).Username, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/cases/" + r.ID)
	return sendAdminCase(c, fiber.StatusCreated, r)
}

// patchCase changes the fields the body names. An If-Match header with the
// ETag (version) the editor read makes the change conditional on it.
func (s *Server) patchCase(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "case id")
	if err != nil {
		return err
	}
	ifVersion, err := ifMatchVersion(c.Get(fiber.HeaderIfMatch))
	if err != nil {
		return err
	}
	var in app.CaseInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	r, err := s.app.UpdateCase(c.UserContext(), principal(c).Username, id, in, ifVersion)
	if err != nil {
		return err
	}
	return sendAdminCase(c, fiber.StatusOK, r)
}

// ifMatchVersion reads an If-Match header holding one ETag of a case ("3",
// W/"3" or 3); 0 when there is none or it is "*".
func ifMatchVersion(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, store.FieldError(store.EInvalid, "If-Match", "If-Match holds the ETag of the case as read, such as \"3\"")
	}
	return n, nil
}

func (s *Server) adminCase(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "case id")
	if err != nil {
		return err
	}
	r, err := s.app.AdminCase(c.UserContext(), id)
	if err != nil {
		return err
	}
	return sendAdminCase(c, fiber.StatusOK, r)
}

// adminCaseItemJSON is a case in the admin list: enough to find it.
type adminCaseItemJSON struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Title        string     `json:"title"`
	SubjectName  string     `json:"subject_name"`
	District     string     `json:"district"`
	Stage        string     `json:"stage"`
	DecisionDate store.Date `json:"decision_date"`
	PublishUntil store.Date `json:"publish_until"`
	Version      int64      `json:"version"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	PublishedAt  *time.Time `json:"published_at"`
	WithdrawnAt  *time.Time `json:"withdrawn_at"`
}

type adminCaseListJSON struct {
	Total   int                 `json:"total"`
	Page    int                 `json:"page"`
	PerPage int                 `json:"per_page"`
	Cases   []adminCaseItemJSON `json:"cases"`
}

func (s *Server) listCases(c *fiber.Ctx) error {
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	status, err := singleQuery(c, "status")
	if err != nil {
		return err
	}
	cs, total, err := s.app.AdminCases(c.UserContext(), status, page)
	if err != nil {
		return err
	}
	out := adminCaseListJSON{Total: total, Page: page.Number, PerPage: page.PerPage, Cases: make([]adminCaseItemJSON, 0, len(cs))}
	for i := range cs {
		k := &cs[i]
		out.Cases = append(out.Cases, adminCaseItemJSON{ID: k.ID, Status: k.Status, Title: k.Title, SubjectName: k.SubjectName,
			District: k.District, Stage: k.Stage, DecisionDate: k.DecisionDate, PublishUntil: k.PublishUntil, Version: k.Version,
			CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt.UTC(), UpdatedAt: k.UpdatedAt.UTC(),
			PublishedAt: optTime(k.PublishedAt), WithdrawnAt: optTime(k.WithdrawnAt)})
	}
	return c.JSON(out)
}

package store

import "time"

// Case statuses. A case is drafted, published by an applied publish_case
// action and withdrawn by an applied withdraw_case action; withdrawal is
// final. A published case whose disclosure period has ended (PublishUntil
// before today) leaves public view but keeps its status: it stays on record.
const (
	CaseDraft     = "draft"
	CasePublished = "published"
	CaseWithdrawn = "withdrawn"
)

// Sanction is one sanction a decision imposed.
type Sanction struct {
	Type   string `json:"type"`   // one of the sanction types of the taxonomy
	Detail string `json:"detail"` // as published, e.g. "禁止从事教育工作五年"
}

// CaseContent is what an editor writes and an amendment changes: the public
// text of a case and its classification.
type CaseContent struct {
	Title        string
	Summary      string
	Body         string // plain text; paragraphs separated by blank lines
	SubjectName  string // the subject as published, normally masked (张某某)
	School       string
	District     string // one of the sixteen districts
	Stage        string // one of the stages
	Categories   []int  // of the Ten Guidelines, ascending, no repeats
	Sanctions    []Sanction
	IncidentDate Date
	DecisionDate Date
	Authority    string // who decided
}

// Case is an ethics misconduct case (师德失范案例).
type Case struct {
	ID string // opaque, random, stable for ever
	CaseContent
	// CertificateNo privately links the holder's record; "" for none. It
	// never appears in anything public.
	CertificateNo string
	Status        string // CaseDraft, CasePublished or CaseWithdrawn
	// PublishUntil ends the disclosure period: from the day after it the
	// case leaves public view. Zero: no end. Set when published.
	PublishUntil   Date
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PublishedAt    time.Time // zero until published
	AmendedAt      time.Time // the last applied amendment; zero if none
	WithdrawnAt    time.Time // zero unless withdrawn
	WithdrawReason string    // the public reason of the withdrawal
	// ExpiredAt records when the expiry sweep took the case out of public
	// view (and out of the index); zero until then. Reads never rely on it:
	// PublishUntil alone decides visibility.
	ExpiredAt time.Time
	// Version counts the writes to the case, from 1 at creation. Every
	// change is written only if the stored Version is still the one it was
	// decided from (WriteCase).
	Version int64
	// Revisions are the applied amendments, oldest first. CaseByID fills
	// them; lists leave them nil.
	Revisions []CaseRevision
}

// Visible reports whether the public may see c on the given day.
func (c *Case) Visible(today Date) bool {
	return c.Status == CasePublished && (c.PublishUntil.IsZero() || !c.PublishUntil.Before(today))
}

// CaseRevision is one applied amendment of a published case.
type CaseRevision struct {
	Seq      int       // 1 for the first amendment of a case, then 2, ...
	At       time.Time // when it was applied
	Note     string    // the public amendment note
	ActionID int64     // the amend_case action
	// Previous is the content before the amendment. It stays on record and
	// is never shown to the public.
	Previous CaseContent
}

// CaseFilter selects cases for the admin list, most recently updated
// first (ties by ID).
type CaseFilter struct {
	Status string // "" for every status; else CaseDraft, CasePublished or CaseWithdrawn
	// Pending keeps only cases that are the object ("case:ID") of a pending
	// action, whatever their status.
	Pending bool
	Limit   int
	Offset  int
}

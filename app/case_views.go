package app

import (
	"time"

	"ethicsportal/store"
)

// CaseSummary is a published case as lists and search show it (API.md
// "Summary"). It never carries the linked certificate number or anything
// else that is not public.
type CaseSummary struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	SubjectName  string           `json:"subject_name"`
	School       string           `json:"school"`
	District     string           `json:"district"`
	Stage        string           `json:"stage"`
	Categories   []int            `json:"categories"`
	Sanctions    []store.Sanction `json:"sanctions"`
	DecisionDate store.Date       `json:"decision_date"`
	PublishedAt  time.Time        `json:"published_at"`
	URL          string           `json:"url"`
	// Highlight is set in search answers only.
	Highlight *CaseHighlight `json:"highlight,omitempty"`
}

// CaseHighlight holds a hit's title and summary HTML-escaped, with the
// matches of the query wrapped in <mark>.
type CaseHighlight struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
}

// PublicCase is a published case as GET /api/v1/cases/{id} shows it.
type PublicCase struct {
	CaseSummary
	Body         string           `json:"body"`
	IncidentDate store.Date       `json:"incident_date"`
	Authority    string           `json:"authority"`
	AmendedAt    *time.Time       `json:"amended_at,omitempty"`
	Revisions    []PublicRevision `json:"revisions"`
}

// PublicRevision is the public part of an amendment: when and why.
type PublicRevision struct {
	At   time.Time `json:"at"`
	Note string    `json:"note"`
}

// WithdrawnCase is the answer for a withdrawn case (HTTP 410).
type WithdrawnCase struct {
	Status      string    `json:"status"` // always "withdrawn"
	WithdrawnAt time.Time `json:"withdrawn_at"`
	Reason      string    `json:"reason"`
}

// caseURL is the public address of a case's page.
func (a *App) caseURL(id string) string { return a.cfg.BaseURL + "/cases/" + id }

package app

import (
	"context"
	"net/url"
	"strings"
	"time"

	"ethicsportal/store"
)

// errNoPublicCase is the one answer for a case the public may not see,
// whatever the reason (unknown, draft, expired), so that the answer tells
// nothing about which.
func errNoPublicCase() error {
	return store.Errorf(store.ENotFound, "there is no published case with this id")
}

// PublishedCase returns a case as the public sees it, read from the store:
// the public view of a visible case, or, for a withdrawn one, the notice
// of its withdrawal (and a nil PublicCase). ENotFound, with one and the
// same message, for an unknown id, a draft and a case whose disclosure
// period ended.
func (a *App) PublishedCase(ctx context.Context, id string) (*PublicCase, *WithdrawnCase, error) {
	if !caseIDPattern.MatchString(id) {
		return nil, nil, errNoPublicCase()
	}
	c, err := a.store.CaseByID(ctx, id)
	switch {
	case errNotFound(err):
		return nil, nil, errNoPublicCase()
	case err != nil:
		return nil, nil, internal("published case", err)
	case c.Status == store.CaseWithdrawn:
		return nil, &WithdrawnCase{Status: store.CaseWithdrawn, WithdrawnAt: c.WithdrawnAt.UTC(), Reason: c.WithdrawReason}, nil
	case !c.Visible(a.today()):
		return nil, nil, errNoPublicCase()
	}
	return a.publicCaseOf(c), nil, nil
}

// summaryFromCase is the public summary of a stored case. It copies the
// public fields one by one, so that nothing private (the linked
// certificate, who drafted it) can reach the public by a new field.
func (a *App) summaryFromCase(c *store.Case) CaseSummary {
	cats := c.Categories
	if cats == nil {
		cats = []int{}
	}
	sanctions := c.Sanctions
	if sanctions == nil {
		sanctions = []store.Sanction{}
	}
	return CaseSummary{
		ID: c.ID, Title: c.Title, Summary: c.Summary, SubjectName: c.SubjectName, School: c.School,
		District: c.District, Stage: c.Stage, Categories: cats, Sanctions: sanctions,
		DecisionDate: c.DecisionDate, PublishedAt: c.PublishedAt.UTC(), URL: a.caseURL(c.ID),
	}
}

// publicCaseOf is the public view of a stored case, with its amendment
// notes (never the text they replaced).
func (a *App) publicCaseOf(c *store.Case) *PublicCase {
	out := &PublicCase{CaseSummary: a.summaryFromCase(c), Body: c.Body, IncidentDate: c.IncidentDate,
		Authority: c.Authority, Revisions: make([]PublicRevision, 0, len(c.Revisions))}
	if !c.AmendedAt.IsZero() {
		t := c.AmendedAt.UTC()
		out.AmendedAt = &t
	}
	for _, r := range c.Revisions {
		out.Revisions = append(out.Revisions, PublicRevision{At: r.At.UTC(), Note: r.Note})
	}
	return out
}

// FeedSize is how many cases the feed carries.
const FeedSize = 50

// CaseFeed is the newest visible cases, ready to be written as a feed.
type CaseFeed struct {
	ID      string    // stable for the life of the store
	SelfURL string    // the feed's own address
	SiteURL string    // the portal's case search
	Updated time.Time // the latest Updated among the entries; now when there are none
	Entries []FeedEntry
}

// FeedEntry is one case of the feed.
type FeedEntry struct {
	ID        string // stable for the life of the store
	Title     string
	Summary   string
	URL       string
	Author    string // the deciding authority
	Published time.Time
	Updated   time.Time // the last amendment, or the publication
}

// CaseFeed returns the FeedSize newest visible cases, read from the store.
// Ids of the feed and its entries derive from the store's issuer when it
// is an http(s) URL (fixed when the store was created), so they survive a
// change of PORTAL_BASE_URL; otherwise from the base URL.
func (a *App) CaseFeed(ctx context.Context) (*CaseFeed, error) {
	cs, err := a.store.NewestVisibleCases(ctx, a.today(), FeedSize)
	if err != nil {
		return nil, internal("feed", err)
	}
	idBase := a.cfg.BaseURL
	if u, err := url.Parse(a.issuer); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		idBase = strings.TrimRight(a.issuer, "/")
	}
	f := &CaseFeed{ID: idBase + "/feed.atom", SelfURL: a.cfg.BaseURL + "/feed.atom", SiteURL: a.cfg.BaseURL + "/cases",
		Entries: make([]FeedEntry, 0, len(cs))}
	for i := range cs {
		c := &cs[i]
		e := FeedEntry{ID: idBase + "/cases/" + c.ID, Title: c.Title, Summary: c.Summary, URL: a.caseURL(c.ID),
			Author: c.Authority, Published: c.PublishedAt.UTC(), Updated: c.PublishedAt.UTC()}
		if c.AmendedAt.After(c.PublishedAt) {
			e.Updated = c.AmendedAt.UTC()
		}
		if e.Updated.After(f.Updated) {
			f.Updated = e.Updated
		}
		f.Entries = append(f.Entries, e)
	}
	if len(f.Entries) == 0 {
		f.Updated = a.now().UTC()
	}
	return f, nil
}

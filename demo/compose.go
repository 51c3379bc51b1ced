package demo

import (
	"math/rand/v2"
	"slices"
	"time"

	"ethicsportal/store"
)

// write turns a plan into a case: its text, its sanctions, and the times of
// its drafting, publication, amendments, withdrawal and expiry.
func (g *Generator) write(r *rand.Rand, id string, p plan, traditional bool) store.Case {
	v := g.vars(r, &p)
	t := text{p: &p, v: v}
	v["act"] = expand(r, pick(r, levelled(p.sc.acts, p.level)), v)
	t.sanctions = t.details(r)
	t.auth, t.authShort, t.inv = authorityNames(r, &p)
	c := store.Case{ID: id, Status: p.status, CreatedBy: g.by, Version: 1}
	c.CaseContent = store.CaseContent{
		Title:        t.title(r),
		Summary:      t.summary(r),
		SubjectName:  p.subject,
		School:       p.school,
		District:     p.district,
		Stage:        p.st.id,
		Categories:   p.cats,
		Sanctions:    t.sanctions,
		IncidentDate: p.incident,
		DecisionDate: p.decision,
		Authority:    t.auth,
	}
	c.Body = t.body(r)
	g.times(r, &c, &p, &t)
	if traditional {
		g.toTraditional(&c)
	}
	return c
}

// times fills in when the case was drafted, published, amended, withdrawn
// and expired, none of it later than Now.
func (g *Generator) times(r *rand.Rand, c *store.Case, p *plan, t *text) {
	delay := 3 + r.IntN(38)
	pub := p.decision.AddDays(delay)
	if pub.After(g.today) {
		pub = g.today
	}
	created := p.decision.AddDays(r.IntN(max(1, daysBetween(p.decision, pub))))
	c.CreatedAt = officeTime(r, created, g.now)
	c.UpdatedAt = c.CreatedAt
	if p.status == store.CaseDraft {
		return
	}
	c.Version = 2 // created as a draft, then written once in its final state
	c.PublishedAt = officeTime(r, pub, g.now)
	if !c.PublishedAt.After(c.CreatedAt) {
		c.CreatedAt = c.PublishedAt.Add(-90 * time.Minute)
	}
	if !g.public {
		c.PublishUntil = g.publishUntil(p.decision, c.Sanctions, p.banLife)
	}
	last := pub
	var days []store.Date
	for range p.amend {
		day := last.AddDays(3 + r.IntN(80))
		if day.After(g.today) {
			break
		}
		days = append(days, day)
		last = day
	}
	// Each amendment's Previous is the content before it: undo them from
	// the final content back, newest first.
	c.Revisions = make([]store.CaseRevision, len(days))
	cur := c.CaseContent
	for i := len(days) - 1; i >= 0; i-- {
		note, prev := t.undo(r, cur)
		c.Revisions[i] = store.CaseRevision{Seq: i + 1, At: officeTime(r, days[i], g.now), Note: note, Previous: prev}
		cur = prev
	}
	if len(days) > 0 {
		c.AmendedAt = c.Revisions[len(days)-1].At
	} else {
		c.Revisions = nil
	}
	if p.withdraw {
		if day := last.AddDays(5 + r.IntN(200)); !day.After(g.today) {
			c.Status = store.CaseWithdrawn
			c.WithdrawnAt = officeTime(r, day, g.now)
			c.WithdrawReason = pick(r, withdrawReasons)
		}
	}
	if c.Status == store.CasePublished && !c.PublishUntil.IsZero() && c.PublishUntil.Before(g.today) {
		c.ExpiredAt = at(c.PublishUntil.AddDays(1), 0, 5+r.IntN(50))
	}
	c.UpdatedAt = latestOf(c.CreatedAt, c.PublishedAt, c.AmendedAt, c.WithdrawnAt, c.ExpiredAt)
}

func latestOf(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// toTraditional rewrites every text of c in Traditional characters. The
// district and the stage are taxonomy ids and stay as they are.
func (g *Generator) toTraditional(c *store.Case) {
	g.contentToTraditional(&c.CaseContent)
	c.WithdrawReason = g.trad(c.WithdrawReason)
	for i := range c.Revisions {
		c.Revisions[i].Note = g.trad(c.Revisions[i].Note)
		g.contentToTraditional(&c.Revisions[i].Previous)
	}
}

func (g *Generator) contentToTraditional(cc *store.CaseContent) {
	for _, s := range []*string{&cc.Title, &cc.Summary, &cc.Body, &cc.SubjectName, &cc.School, &cc.Authority} {
		*s = g.trad(*s)
	}
	ss := slices.Clone(cc.Sanctions)
	for i := range ss {
		ss[i].Detail = g.trad(ss[i].Detail)
	}
	cc.Sanctions = ss
}

// trad converts s to Traditional characters; on the (dictionary) error
// that cannot happen with the bundled data it keeps s.
func (g *Generator) trad(s string) string {
	if s == "" {
		return s
	}
	out, err := g.s2t.Convert(s)
	if err != nil {
		return s
	}
	return out
}

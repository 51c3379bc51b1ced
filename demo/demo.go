// Package demo makes the synthetic misconduct cases of the demo data set and
// of the benchmarks: deterministic, written in Chinese from many templates,
// spread over the sixteen districts, every stage, all ten guidelines and
// every sanction type, with some amended, withdrawn, expired and written in
// Traditional characters.
//
// Everything in them is made up: schools are invented names, subjects are
// masked (张某某), victims are never named, and no text holds an ID number,
// a phone number or an e-mail address.
package demo

import (
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/longbridgeapp/opencc"

	"ethicsportal/store"
)

// DefaultPeriods are the disclosure periods in months per sanction type: a
// case stays in public view for the longest period of its sanctions,
// counted from its decision date. 0 means no end. An industry ban
// for life has no end whatever its entry says; a ban with a term uses the
// entry (the generator writes five-year bans, so 60 is the ban's own term).
func DefaultPeriods() map[string]int {
	return map[string]int{
		"warning": 6, "public_criticism": 6, "demerit": 12, "major_demerit": 18,
		"disqualified_from_honours": 12, "demotion": 24, "removal": 24,
		"removed_from_teaching": 24, "dismissal": 36, "revoke_qualification": 60,
		"industry_ban": 60,
	}
}

// DefaultNow is the moment Cases writes as of, so that its output never
// depends on the clock.
var DefaultNow = time.Date(2026, 11, 30, 12, 0, 0, 0, store.Beijing)

// Options adjust what a Generator writes. The zero value is valid.
type Options struct {
	// Periods gives the disclosure period in months per sanction type (see
	// DefaultPeriods, which fills any type it lacks).
	Periods map[string]int
	// Now is the moment the data set is written as of: no date or time in
	// it is later, and cases whose disclosure period ended before its day
	// are expired. Zero: DefaultNow.
	Now time.Time
	// CreatedBy names the editor recorded as having drafted every case;
	// "" gives "demo-editor".
	CreatedBy string
	// Traditional is the share of cases written in Traditional characters;
	// 0 gives 0.08, a negative value none.
	Traditional float64
	// Public makes every case published and in public view at Now: no
	// drafts, withdrawals or end of disclosure. For benchmarks, which index
	// every case they are given.
	Public bool
}

// Generator writes cases. Case(i) depends only on the seed, the options and
// i, so cases can be made in any order, in parallel, and a prefix of a
// large data set equals a smaller one. A Generator is safe for concurrent
// use.
type Generator struct {
	seed      uint64
	periods   map[string]int
	now       time.Time
	today     store.Date
	by        string
	tradShare float64
	public    bool
	s2t       *opencc.OpenCC
}

// firstDecision is the earliest decision date: the Ten Guidelines were
// issued in November 2018.
var firstDecision = store.NewDate(2019, time.March, 1)

// NewGenerator returns a generator for seed. It fails only if the bundled
// conversion dictionaries cannot be loaded.
func NewGenerator(seed int64, opt Options) (*Generator, error) {
	g := &Generator{seed: uint64(seed), periods: DefaultPeriods(), now: opt.Now, by: opt.CreatedBy, tradShare: opt.Traditional, public: opt.Public}
	for k, v := range opt.Periods {
		g.periods[k] = v
	}
	if g.now.IsZero() {
		g.now = DefaultNow
	}
	g.today = store.Today(g.now)
	if g.today.Before(firstDecision.AddDays(400)) {
		return nil, fmt.Errorf("demo: Now %s is too early: cases are decided from %s on", g.today, firstDecision)
	}
	if g.by == "" {
		g.by = "demo-editor"
	}
	switch {
	case g.tradShare == 0:
		g.tradShare = 0.08
	case g.tradShare < 0:
		g.tradShare = 0
	}
	var err error
	if g.s2t, err = opencc.New("s2t"); err != nil {
		return nil, fmt.Errorf("demo: Traditional conversion: %w", err)
	}
	return g, nil
}

// Cases returns the first n cases of seed with the default options. It
// panics only if the bundled conversion dictionaries cannot be loaded.
func Cases(seed int64, n int) []store.Case {
	g, err := NewGenerator(seed, Options{})
	if err != nil {
		panic(err)
	}
	return g.Cases(n)
}

// Cases returns cases 0 to n-1.
func (g *Generator) Cases(n int) []store.Case {
	out := make([]store.Case, n)
	for i := range out {
		out[i] = g.Case(i)
	}
	return out
}

// Case returns case i. Cases 0 to 26 between them cover every district,
// stage, guideline and sanction type, so any data set of 27 cases or more
// does.
func (g *Generator) Case(i int) store.Case {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	id := newID(r)
	var want constraint
	switch {
	case i < 6:
		want.stage = stages[i].id
	case i < 16:
		want.cat = i - 5
	case i < 27:
		want.sanction = sanctionOrder[i-16]
	}
	if i < len(districtNames) {
		want.district = districtNames[i]
	}
	p := g.plan(r, want)
	return g.write(r, id, p, r.Float64() < g.tradShare)
}

// Holder describes a person of the credential register a case is to be
// about, so that the register and the published cases tell one story.
type Holder struct {
	Name     string // as registered; the case publishes it masked
	District string // one of the sixteen districts
	Stage    string // one of the stages
	// Sanctions the case must impose, such as revoke_qualification or
	// industry_ban, and sanctions it must not.
	Sanctions, Without []string
	// BanForLife makes an industry ban permanent; otherwise it runs five
	// years.
	BanForLife bool
}

// HolderCase returns a published case about h, decided recently enough to
// be in public view at Now, in Simplified characters, neither amended nor
// withdrawn. Its id comes from a stream of its own, so it never equals
// that of a Case. The caller links it to the holder's certificate.
func (g *Generator) HolderCase(i int, h Holder) store.Case {
	r := rand.New(rand.NewPCG(g.seed, 1<<40+uint64(i)))
	id := newID(r)
	p := g.plan(r, constraint{district: h.District, stage: h.Stage, need: h.Sanctions, without: h.Without, life: h.BanForLife, recent: true})
	p.subject = MaskName(h.Name)
	p.status = store.CasePublished
	p.amend, p.withdraw = 0, false
	return g.write(r, id, p, false)
}

// MaskName masks a personal name as published cases write it: the surname
// kept, each other character replaced by 某 (张伟 -> 张某, 张伟华 -> 张某某,
// 欧阳明 -> 欧阳某). Names of four characters or more keep a compound
// surname when they begin with one.
func MaskName(name string) string {
	rs := []rune(strings.TrimSpace(name))
	if len(rs) < 2 {
		return string(rs)
	}
	keep := 1
	for _, s := range compoundSurnames {
		if strings.HasPrefix(string(rs), s) && len(rs) > len([]rune(s)) {
			keep = len([]rune(s))
			break
		}
	}
	given := len(rs) - keep
	if given > 2 {
		given = 2
	}
	return string(rs[:keep]) + strings.Repeat("某", given)
}

// idEncoding writes 80 random bits as 16 lowercase base32 characters.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newID(r *rand.Rand) string {
	var b [10]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return idEncoding.EncodeToString(b[:])
}

// publishUntil is the last day of the disclosure period of a case decided
// on day with these sanctions, as the portal reckons it: the decision date
// plus the longest period among them; zero when one of them has no end.
func (g *Generator) publishUntil(decided store.Date, ss []store.Sanction, banForLife bool) store.Date {
	months := 0
	for _, s := range ss {
		m := g.periods[s.Type]
		if m <= 0 || (s.Type == "industry_ban" && banForLife) {
			return store.Date{}
		}
		months = max(months, m)
	}
	return AddMonths(decided, months)
}

// AddMonths returns d moved by n months, on the same day of the month or
// the last day of a shorter month (2024-08-31 plus 6 months is
// 2025-02-28), as disclosure periods and five-year bans are counted.
func AddMonths(d store.Date, n int) store.Date {
	y, m, day := dateParts(d)
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return store.NewDate(first.Year(), first.Month(), min(day, last))
}

func dateParts(d store.Date) (int, time.Month, int) {
	t, _ := time.Parse(time.DateOnly, d.String())
	return t.Date()
}

// at is a time on day d in Beijing at hour:minute.
func at(d store.Date, hour, minute int) time.Time {
	y, m, dd := dateParts(d)
	return time.Date(y, m, dd, hour, minute, 0, 0, store.Beijing).UTC()
}

// daysBetween counts the days from a to b.
func daysBetween(a, b store.Date) int {
	ta, _ := time.Parse(time.DateOnly, a.String())
	tb, _ := time.Parse(time.DateOnly, b.String())
	return int(tb.Sub(ta).Hours() / 24)
}

// officeTime is a time within office hours on day d, no later than limit.
func officeTime(r *rand.Rand, d store.Date, limit time.Time) time.Time {
	t := at(d, 9+r.IntN(8), r.IntN(60))
	if t.After(limit) {
		return limit
	}
	return t
}

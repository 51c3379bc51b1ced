package app

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"ethicsportal/demo"
	"ethicsportal/store"
)

// DemoCases is how many synthetic cases LoadDemo writes, besides one for
// each holder of demoHolders.
const DemoCases = 2000

// demoSeed fixes the demo data set: its case ids are the same on every
// machine, so a link to a demo case can be written down.
const demoSeed = 2026

// demoCaseBatch is how many cases one transaction writes: few commits, and
// a transaction still short enough not to hold the write lock for long.
const demoCaseBatch = 500

// The demo's proposer and approver of the actions behind its holders'
// status changes and bans.
const (
	demoRegistrar = "demo-registrar"
	demoReviewer  = "demo-reviewer"
)

// DemoRevokedExample is a demo certificate number and holder to verify: it
// is revoked, and a published demo case explains why.
const DemoRevokedExample = "20241117900000020 何敏"

// demoHolder is a demo credential whose holder a published case is about,
// and what the case did to the register.
type demoHolder struct {
	certificateNo string
	status        string   // store.StatusRevoked or store.StatusSuspended; "" leaves it as registered (active or lapsed)
	banScope      string   // an industry ban of this scope; "" for none
	banForLife    bool     // else five years from the decision
	sanctions     []string // the case imposes these
	without       []string // and not these
}

// demoHolders: revoked, suspended, banned and lapsed holders, each linked
// to a case that explains the state a verification shows. None is among
// the first rows of the credentials file, which tests and the README use
// as active credentials.
var demoHolders = []demoHolder{
	{certificateNo: "20241117900000020", status: store.StatusRevoked, banScope: store.BanScopeEducation, sanctions: []string{"revoke_qualification", "industry_ban"}},
	{certificateNo: "20191112800000021", status: store.StatusRevoked, sanctions: []string{"revoke_qualification"}, without: []string{"industry_ban"}},
	{certificateNo: "20171112900000030", status: store.StatusRevoked, banScope: store.BanScopeEducation, banForLife: true, sanctions: []string{"revoke_qualification", "industry_ban"}},
	{certificateNo: "20201128900000045", status: store.StatusRevoked, sanctions: []string{"dismissal", "revoke_qualification"}, without: []string{"industry_ban"}},
	{certificateNo: "20211116300000022", status: store.StatusSuspended, sanctions: []string{"removed_from_teaching"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20201114700000023", status: store.StatusSuspended, sanctions: []string{"removed_from_teaching"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20141113200000027", status: store.StatusSuspended, sanctions: []string{"removed_from_teaching"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20231107100000026", banScope: store.BanScopeTeaching, sanctions: []string{"industry_ban"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20181115700000070", banScope: store.BanScopeEducation, banForLife: true, sanctions: []string{"industry_ban"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20161107500000024", without: []string{"revoke_qualification", "industry_ban"}},
	{certificateNo: "20161101700000032", banScope: store.BanScopeTeaching, sanctions: []string{"industry_ban"}, without: []string{"revoke_qualification"}},
	{certificateNo: "20221102900000040", without: []string{"revoke_qualification", "industry_ban"}},
}

// credentialStages maps a kind of qualification to the stage of school its
// holder's case happened at.
var credentialStages = map[string]string{
	"kindergarten": "kindergarten", "primary": "primary", "junior_secondary": "junior_secondary",
	"senior_secondary": "senior_secondary", "vocational": "vocational", "vocational_practice": "vocational",
}

// demoSet is the demo cases, made ahead of loading them.
type demoSet struct {
	g     *demo.Generator
	cases []store.Case
	// resume: an earlier load may have written some of the cases, so each
	// is looked for before it is written. A first load skips the look-ups,
	// a round trip each on PostgreSQL.
	resume bool
}

// makeDemoCases starts making the demo cases, on every core and in the
// background, and returns a function that waits for them: LoadDemo starts
// it first, so that the cases are made while the credentials are imported
// and the demo accounts' passwords hashed.
func (a *App) makeDemoCases() func() (*demoSet, error) {
	var (
		set  *demoSet
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		// The disclosure periods are the generator's defaults, the same as
		// the configuration's defaults.
		g, gerr := demo.NewGenerator(demoSeed, demo.Options{Periods: a.cfg.DisclosurePeriods, Now: a.now(), CreatedBy: "demo-editor"})
		if gerr != nil {
			err = fmt.Errorf("app: demo cases: %w", gerr)
			return
		}
		set = &demoSet{g: g, cases: make([]store.Case, DemoCases)}
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < DemoCases; i += workers {
					set.cases[i] = g.Case(i)
				}
			})
		}
		wg.Wait()
	}()
	return func() (*demoSet, error) { <-done; return set, err }
}

// loadDemoCases writes the demo cases and the holders' cases, with the
// status changes and bans those explain. With set.resume it can run again
// after being cut short: cases already in the store are skipped, and so is
// a holder whose case is in.
func (a *App) loadDemoCases(ctx context.Context, set *demoSet) error {
	g := set.g
	for start := 0; start < DemoCases; start += demoCaseBatch {
		batch := set.cases[start:min(DemoCases, start+demoCaseBatch)]
		err := a.store.Update(ctx, func(tx store.Tx) error {
			d := demoCaseDetails{}
			for i := range batch {
				if err := a.writeDemoCase(ctx, tx, &batch[i], &d, set.resume); err != nil {
					return err
				}
			}
			if len(d.Created) == 0 {
				return nil
			}
			return a.record(ctx, tx, ActorCLI, "case.demo_load", "cases", d)
		})
		if err != nil {
			return internal("demo cases", err)
		}
	}
	err := a.store.Update(ctx, func(tx store.Tx) error {
		var loaded []demoHolderDetails
		for k, h := range demoHolders {
			d, err := a.loadDemoHolder(ctx, tx, g, k, h)
			if err != nil {
				return fmt.Errorf("holder %s: %w", h.certificateNo, err)
			}
			if d != nil {
				loaded = append(loaded, *d)
			}
		}
		if len(loaded) == 0 {
			return nil
		}
		return a.record(ctx, tx, ActorCLI, "credential.demo_load", "register", map[string]any{"holders": loaded})
	})
	if err != nil {
		return internal("demo holders", err)
	}
	a.wakeWorker()
	return nil
}

// demoCaseDetails is the audit event of one batch of demo cases.
type demoCaseDetails struct {
	Created   []string `json:"created"`
	Published int      `json:"published"`
	Amended   []string `json:"amended,omitempty"`
	Withdrawn []string `json:"withdrawn,omitempty"`
	Drafts    int      `json:"drafts"`
}

// writeDemoCase writes c as the portal would have: created as a draft of
// its first text, then written in its final state (published, withdrawn
// or expired), with its amendments, and, when anything of it became
// public, a case.changed message for the index. With check, a case already
// in the store is left alone.
func (a *App) writeDemoCase(ctx context.Context, tx store.Tx, c *store.Case, d *demoCaseDetails, check bool) error {
	if check {
		if _, err := tx.CaseByID(ctx, c.ID); err == nil {
			return nil
		} else if !errNotFound(err) {
			return err
		}
	}
	draft := store.Case{ID: c.ID, CaseContent: c.CaseContent, CertificateNo: c.CertificateNo, Status: store.CaseDraft,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt}
	if len(c.Revisions) > 0 {
		draft.CaseContent = c.Revisions[0].Previous
	}
	if err := tx.CreateCase(ctx, &draft); err != nil {
		return err
	}
	d.Created = append(d.Created, c.ID)
	if c.Status == store.CaseDraft {
		d.Drafts++
		return nil
	}
	final := *c
	if err := tx.WriteCase(ctx, &final, draft.Version); err != nil {
		return err
	}
	for _, r := range c.Revisions {
		if err := tx.AddCaseRevision(ctx, c.ID, &r); err != nil {
			return err
		}
	}
	switch {
	case c.Status == store.CaseWithdrawn:
		d.Withdrawn = append(d.Withdrawn, c.ID)
	case len(c.Revisions) > 0:
		d.Amended = append(d.Amended, c.ID)
	}
	if c.Status == store.CasePublished {
		d.Published++
	}
	return a.enqueueCaseChanged(ctx, tx, c.ID)
}

// demoHolderDetails is what the audit event says of one holder.
type demoHolderDetails struct {
	CertificateNo string `json:"certificate_no"`
	CaseID        string `json:"case_id"`
	Status        string `json:"status,omitempty"`
	Until         string `json:"until,omitempty"`
	BanID         int64  `json:"ban_id,omitempty"`
}

// loadDemoHolder writes the case about holder h and what it did to the
// register: the credential's status change and the ban, each as an applied
// action of the demo registrar approved by the demo reviewer, with the
// history entry, ban record and outbox message an approval writes. nil
// when the case is in already.
func (a *App) loadDemoHolder(ctx context.Context, tx store.Tx, g *demo.Generator, k int, h demoHolder) (*demoHolderDetails, error) {
	cred, err := tx.CredentialForUpdate(ctx, h.certificateNo)
	if err != nil {
		return nil, err
	}
	district := strings.TrimSuffix(strings.TrimPrefix(cred.Issuer, "北京市"), "教育委员会")
	stage := credentialStages[cred.Kind]
	if !store.ValidDistrict(district) || stage == "" {
		return nil, fmt.Errorf("app: demo holder %s: issuer %q and kind %q name no district and stage", cred.CertificateNo, cred.Issuer, cred.Kind)
	}
	c := g.HolderCase(k, demo.Holder{Name: cred.HolderName, District: district, Stage: stage,
		Sanctions: h.sanctions, Without: h.without, BanForLife: h.banForLife})
	c.CertificateNo = cred.CertificateNo
	if _, err := tx.CaseByID(ctx, c.ID); err == nil {
		return nil, nil
	} else if !errNotFound(err) {
		return nil, err
	}
	var ignored demoCaseDetails
	if err := a.writeDemoCase(ctx, tx, &c, &ignored, false); err != nil {
		return nil, err
	}
	out := &demoHolderDetails{CertificateNo: cred.CertificateNo, CaseID: c.ID}
	// Proposed and approved a few days after the case was published.
	proposed := c.PublishedAt.Add(time.Duration(24+k) * time.Hour)
	approved := proposed.Add(26 * time.Hour)
	if now := a.now(); approved.After(now) {
		proposed, approved = now.Add(-2*time.Hour), now.Add(-time.Hour)
	}
	decided, _ := time.Parse(time.DateOnly, c.DecisionDate.String())
	reason := fmt.Sprintf("%s于%d年%d月%d日作出处理决定（案例 %s）", c.Authority, decided.Year(), decided.Month(), decided.Day(), c.ID)
	if h.status != "" {
		var until store.Date
		if h.status == store.StatusSuspended {
			until = demo.AddMonths(store.Today(a.now()), 6+k)
			out.Until = until.String()
		}
		kind := store.ActionRevokeCredential
		if h.status == store.StatusSuspended {
			kind = store.ActionSuspendCredential
		}
		act, err := a.demoAction(ctx, tx, kind, "credential:"+cred.CertificateNo, credentialParams{
			CertificateNo: cred.CertificateNo, Until: out.Until, CaseID: c.ID}, reason, proposed, approved)
		if err != nil {
			return nil, err
		}
		from := cred.EffectiveStatus(store.Today(approved))
		to := store.CredentialStatus{Status: h.status, SuspendedUntil: until}
		if err := tx.SetCredentialStatus(ctx, cred.CertificateNo, cred.StoredStatus(), to, reason, approved); err != nil {
			return nil, err
		}
		err = tx.AddCredentialChange(ctx, &store.CredentialChange{CertificateNo: cred.CertificateNo, At: approved,
			Kind: store.ChangeStatus, Actor: demoReviewer, Source: store.SourceAction, FromStatus: from, ToStatus: h.status,
			Until: until, Reason: reason, CaseID: c.ID, ActionID: act.ID, ProposedBy: demoRegistrar, ApprovedBy: demoReviewer})
		if err != nil {
			return nil, err
		}
		cred.Status, cred.SuspendedUntil = to.Status, until
		err = a.enqueue(ctx, tx, "credential.status", "credential:"+cred.CertificateNo, map[string]any{
			"certificate_no": cred.CertificateNo, "person_id": cred.PersonID, "from": from,
			"status": cred.EffectiveStatus(a.today()), "until": out.Until, "action_id": act.ID,
		})
		if err != nil {
			return nil, err
		}
		out.Status = h.status
	}
	if h.banScope != "" {
		if out.BanID, err = a.demoBan(ctx, tx, cred, &c, h, reason, proposed, approved); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// demoBan imposes h's ban on the holder of cred for case c, creating and
// linking the holder's person first when the credential has none.
func (a *App) demoBan(ctx context.Context, tx store.Tx, cred *store.Credential, c *store.Case, h demoHolder, reason string, proposed, approved time.Time) (int64, error) {
	b := &store.Ban{Scope: h.banScope, StartsOn: c.DecisionDate, Reason: reason, CaseID: c.ID, CreatedAt: approved}
	var endsOn *string
	if !h.banForLife {
		// The same five years that keep the case in public view.
		b.EndsOn = demo.AddMonths(c.DecisionDate, 60)
		s := b.EndsOn.String()
		endsOn = &s
	}
	act, err := a.demoAction(ctx, tx, store.ActionImposeBan, "credential:"+cred.CertificateNo, banParams{
		CertificateNo: cred.CertificateNo, PersonID: cred.PersonID, Name: cred.HolderName, Scope: h.banScope,
		StartsOn: b.StartsOn.String(), EndsOn: endsOn, CaseID: c.ID}, reason, proposed, approved)
	if err != nil {
		return 0, err
	}
	if b.PersonID = cred.PersonID; b.PersonID == 0 {
		person := &store.Person{Name: cred.HolderName, CreatedAt: approved}
		if err := tx.CreatePersons(ctx, []*store.Person{person}); err != nil {
			return 0, err
		}
		if err := tx.LinkCredentialPerson(ctx, cred.CertificateNo, 0, person.ID, approved); err != nil {
			return 0, err
		}
		cred.PersonID, b.PersonID = person.ID, person.ID
	}
	if err := tx.CreateBan(ctx, b); err != nil {
		return 0, err
	}
	return b.ID, a.enqueue(ctx, tx, "ban.imposed", fmt.Sprintf("person:%d", b.PersonID), map[string]any{
		"ban_id": b.ID, "person_id": b.PersonID, "certificate_no": cred.CertificateNo, "scope": b.Scope,
		"starts_on": b.StartsOn.String(), "ends_on": endsOn, "action_id": act.ID,
	})
}

// demoAction records an action of the demo registrar, applied by the demo
// reviewer, as the approval of a real one leaves it.
func (a *App) demoAction(ctx context.Context, tx store.Tx, kind, object string, params any, reason string, proposed, approved time.Time) (*store.Action, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("app: demo action params: %w", err)
	}
	act := &store.Action{Kind: kind, Object: object, Params: raw, Reason: reason, Status: store.ActionApplied,
		ProposedBy: demoRegistrar, ProposedAt: proposed, DecidedBy: demoReviewer, DecidedAt: approved}
	return act, tx.CreateAction(ctx, act)
}

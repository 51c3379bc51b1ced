package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"ethicsportal/store"
)

// TopicCaseChanged is the outbox topic of every change to a case's public
// state (publication, amendment, withdrawal, expiry). Its key is
// "case:<id>" and its payload {"case_id": "<id>"}: the consumer reads the
// case from the store, so messages carry no content and their order does
// not matter.
const TopicCaseChanged = "case.changed"

// enqueueCaseChanged writes a case.changed message inside tx, and moves the
// publication generation on in the same transaction, so that a cached case
// answer (filed under the generation) is never served once the change is
// committed. The index consumer moves it on again once the index holds the
// change, retiring search answers computed from the index in between.
func (a *App) enqueueCaseChanged(ctx context.Context, tx store.Tx, id string) error {
	if _, err := tx.BumpPublicationGeneration(ctx); err != nil {
		return err
	}
	return a.enqueue(ctx, tx, TopicCaseChanged, "case:"+id, map[string]string{"case_id": id})
}

// caseParam reads the case an action names: EInvalid for what cannot be an
// id, EUnknownRef, on case_id, for a case that does not exist.
func caseParam(ctx context.Context, r store.Reader, id string) (*store.Case, error) {
	if !caseIDPattern.MatchString(id) {
		return nil, store.FieldError(store.EInvalid, "case_id", "case_id is 1 to 64 letters, digits, '-' or '_'")
	}
	c, err := r.CaseByID(ctx, id)
	if errNotFound(err) {
		return nil, store.FieldError(store.EUnknownRef, "case_id", "no case %s", id)
	}
	return c, err
}

// actionCase reads the case_id parameter of a case action and the case.
func actionCase(ctx context.Context, r store.Reader, p map[string]json.RawMessage) (*store.Case, error) {
	var id string
	if ok, err := param(p, "case_id", &id); err != nil {
		return nil, err
	} else if !ok {
		return nil, store.FieldError(store.EMissing, "case_id", "case_id is required")
	}
	return caseParam(ctx, r, id)
}

// caseStateAllows says whether kind can act on a case in c's state:
// publication takes a draft, amendment and withdrawal a published case.
func caseStateAllows(kind string, c *store.Case) error {
	want := store.CasePublished
	if kind == store.ActionPublishCase {
		want = store.CaseDraft
	}
	if c.Status == want {
		return nil
	}
	switch {
	case c.Status == store.CaseWithdrawn:
		return store.FieldError(store.EConflict, "case_id", "case %s was withdrawn, and withdrawal is final", c.ID)
	case kind == store.ActionPublishCase:
		return store.FieldError(store.EConflict, "case_id", "case %s is published already; change it with amend_case", c.ID)
	default:
		return store.FieldError(store.EConflict, "case_id", "case %s is a draft, not published: %s applies to published cases", c.ID, kind)
	}
}

func checkPublishCase(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	c, err := actionCase(ctx, r, p)
	if err != nil {
		return nil, "", err
	}
	if err := caseStateAllows(store.ActionPublishCase, c); err != nil {
		return nil, "", err
	}
	out := caseParams{CaseID: c.ID, Version: c.Version}
	var until string
	if ok, err := param(p, "publish_until", &until); err != nil {
		return nil, "", err
	} else if ok {
		d, err := store.ParseDate(until)
		if err != nil {
			return nil, "", store.FieldError(store.EInvalid, "publish_until", "publish_until must be a date written YYYY-MM-DD")
		}
		if d.Before(a.today()) {
			return nil, "", store.FieldError(store.EInvalid, "publish_until", "publish_until must not be in the past")
		}
		out.PublishUntil = d.String()
		return out, "case:" + c.ID, nil
	}
	end, err := a.disclosureEnd(ctx, r, c)
	if err != nil {
		return nil, "", err
	}
	if !end.IsZero() && end.Before(a.today()) {
		return nil, "", store.FieldError(store.EConflict, "case_id",
			"the disclosure period of case %s (from its decision date and sanctions) ended on %s; give publish_until to publish it for another period", c.ID, end)
	}
	return out, "case:" + c.ID, nil
}

func checkWithdrawCase(ctx context.Context, _ *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	c, err := actionCase(ctx, r, p)
	if err != nil {
		return nil, "", err
	}
	if err := caseStateAllows(store.ActionWithdrawCase, c); err != nil {
		return nil, "", err
	}
	return caseParams{CaseID: c.ID, Version: c.Version}, "case:" + c.ID, nil
}

// checkAmendCase validates the changes exactly as a draft edit is
// validated, on the case as it is now, and keeps them re-encoded (only the
// fields given).
func checkAmendCase(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	c, err := actionCase(ctx, r, p)
	if err != nil {
		return nil, "", err
	}
	if err := caseStateAllows(store.ActionAmendCase, c); err != nil {
		return nil, "", err
	}
	raw, ok := p["changes"]
	if !ok || string(raw) == "null" || len(raw) == 0 || raw[0] != '{' {
		return nil, "", store.FieldError(store.EInvalid, "changes", "changes is an object naming the fields to change")
	}
	in, err := decodeCaseChanges(raw)
	if err != nil {
		return nil, "", err
	}
	changed, err := mergeCaseInput(c, in, a.today())
	if err != nil {
		return nil, "", err
	}
	if len(changed) == 0 {
		return nil, "", store.FieldError(store.EInvalid, "changes", "the changes leave case %s as it is", c.ID)
	}
	if _, err := linkedCredential(ctx, r, c.CertificateNo); err != nil {
		return nil, "", err
	}
	var note string
	if _, err := param(p, "note", &note); err != nil {
		return nil, "", err
	}
	if note, err = checkText("note", note, true); err != nil {
		return nil, "", err
	}
	if err := checkPlainText("note", note); err != nil { // published beside the revision
		return nil, "", err
	}
	kept, err := json.Marshal(in)
	if err != nil {
		return nil, "", fmt.Errorf("app: amend changes: %w", err)
	}
	return caseParams{CaseID: c.ID, Version: c.Version, Changes: kept, Note: note}, "case:" + c.ID, nil
}

// caseForApply reads, inside the approving transaction, the case a case
// action names and checks that the action still applies to it, and to the
// version it was proposed on: the reviewer approves the case they saw, so
// a case edited, amended or otherwise written since the proposal (a draft
// edited after its publish_case was proposed) is EConflict, and the
// action must be proposed again. Actions kept without a version (proposed
// before it was recorded) are decided on the state alone.
func caseForApply(ctx context.Context, tx store.Tx, act *store.Action) (*store.Case, caseParams, error) {
	var p caseParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return nil, p, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	c, err := tx.CaseByID(ctx, p.CaseID)
	if err != nil {
		return nil, p, err
	}
	if err := caseStateAllows(act.Kind, c); err != nil {
		return nil, p, err
	}
	if p.Version != 0 && c.Version != p.Version {
		return nil, p, store.FieldError(store.EConflict, "case_id",
			"case %s changed since action %d was proposed (version %d then, %d now); review it as it is and propose the action again", c.ID, act.ID, p.Version, c.Version)
	}
	return c, p, nil
}

// caseWriteAttempts bounds how often an approval decides again after its
// conditional write lost to another transaction's (see applyToCase).
const caseWriteAttempts = 3

// applyToCase applies a case action inside the approving transaction:
// it reads the case, checks that the kind still acts on its state and that
// the case is still the version proposed (caseForApply), lets change make
// the change, and writes it conditionally on the version read, with its
// case.changed message. When the write loses to another transaction that
// wrote the case in between (two approvals at the same moment, on
// PostgreSQL), it reads the case as that one left it and decides again, as
// if applied after it: the case then is not the version proposed, which
// is EConflict (for an action kept without a version, an amendment after
// a withdrawal is EConflict and a withdrawal after an amendment applies).
// change may run more than once and must derive everything from the case
// it is given.
func (a *App) applyToCase(ctx context.Context, tx store.Tx, act *store.Action, change func(c *store.Case, p caseParams) error) (*store.Case, caseParams, error) {
	for attempt := 1; ; attempt++ {
		c, p, err := caseForApply(ctx, tx, act)
		if err != nil {
			return nil, p, err
		}
		if err := change(c, p); err != nil {
			return nil, p, err
		}
		err = tx.WriteCase(ctx, c, c.Version)
		switch {
		case err == nil:
			return c, p, a.enqueueCaseChanged(ctx, tx, c.ID)
		case store.IsCode(err, store.EConflict) && attempt < caseWriteAttempts:
			continue
		case store.IsCode(err, store.EConflict):
			return nil, p, store.FieldError(store.EConflict, "case_id",
				"case %s changed while this approval was being applied; look at it again before approving", c.ID)
		default:
			return nil, p, err
		}
	}
}

// applyPublishCase publishes a draft, as it is in the approving
// transaction, with its disclosure period, and reports the findings of the
// redaction check on what it publishes (ApproveAction wants them
// acknowledged).
func applyPublishCase(ctx context.Context, a *App, tx store.Tx, act *store.Action, _ string) (outcome, error) {
	var fs []Finding
	_, _, err := a.applyToCase(ctx, tx, act, func(c *store.Case, p caseParams) error {
		now := a.now()
		c.Status, c.PublishedAt, c.UpdatedAt = store.CasePublished, now, now
		var err error
		if p.PublishUntil != "" {
			c.PublishUntil, _ = store.ParseDate(p.PublishUntil) // checked at proposal
		} else if c.PublishUntil, err = a.disclosureEnd(ctx, tx, c); err != nil {
			return err
		}
		fs, err = a.caseFindings(ctx, tx, c)
		return err
	})
	return outcome{findings: fs}, err
}

// applyAmendCase applies the changes to the published case as it is in the
// approving transaction (validated again: it may have been amended since
// the proposal) and keeps the content it replaces as a revision with the
// public note.
func applyAmendCase(ctx context.Context, a *App, tx store.Tx, act *store.Action, _ string) (outcome, error) {
	var fs []Finding
	var prev store.CaseContent
	now := a.now()
	c, p, err := a.applyToCase(ctx, tx, act, func(c *store.Case, p caseParams) error {
		in, err := decodeCaseChanges(p.Changes)
		if err != nil {
			return err
		}
		prev = c.CaseContent
		prev.Categories, prev.Sanctions = slices.Clone(c.Categories), slices.Clone(c.Sanctions)
		if _, err := mergeCaseInput(c, in, a.today()); err != nil {
			return err
		}
		if _, err := linkedCredential(ctx, tx, c.CertificateNo); err != nil {
			return err
		}
		c.AmendedAt, c.UpdatedAt = now, now
		fs, err = a.caseFindings(ctx, tx, c, textField{"note", p.Note})
		return err
	})
	if err != nil {
		return outcome{}, err
	}
	rev := &store.CaseRevision{At: now, Note: p.Note, ActionID: act.ID, Previous: prev}
	return outcome{findings: fs}, tx.AddCaseRevision(ctx, c.ID, rev)
}

// applyWithdrawCase withdraws a published case; the action's reason is the
// public reason of the withdrawal, so it reports the findings of the
// redaction check on the reason (the case's own text leaves public view).
func applyWithdrawCase(ctx context.Context, a *App, tx store.Tx, act *store.Action, _ string) (outcome, error) {
	var fs []Finding
	_, _, err := a.applyToCase(ctx, tx, act, func(c *store.Case, _ caseParams) error {
		now := a.now()
		c.Status, c.WithdrawnAt, c.WithdrawReason, c.UpdatedAt = store.CaseWithdrawn, now, act.Reason, now
		var err error
		fs, err = a.textFindings(ctx, tx, c, nil, textField{"reason", act.Reason})
		return err
	})
	return outcome{findings: fs}, err
}

// defaultDisclosureMonths is the period of a sanction type that the
// configuration does not name (it names every type of the taxonomy; this
// is a guard, not a policy).
const defaultDisclosureMonths = 60

// disclosureEnd is the last day a case is in public view by default: its
// decision date plus the longest configured period among its sanctions.
// An industry ban counts for the term of the ban that names the case (a
// ban of the linked holder with this case_id, not lifted): its end, or no
// end (the zero Date) for a permanent one; without such a ban it counts
// the configured industry_ban period.
func (a *App) disclosureEnd(ctx context.Context, r store.Reader, c *store.Case) (store.Date, error) {
	months := 0
	var banEnd store.Date
	for _, s := range c.Sanctions {
		if s.Type == "industry_ban" {
			end, permanent, found, err := caseBanTerm(ctx, r, c)
			if err != nil {
				return store.Date{}, err
			}
			if permanent {
				return store.Date{}, nil
			}
			if found {
				if end.After(banEnd) {
					banEnd = end
				}
				continue
			}
		}
		n, ok := a.cfg.DisclosurePeriods[s.Type]
		if !ok {
			n = defaultDisclosureMonths
		}
		months = max(months, n)
	}
	end := banEnd
	if months > 0 {
		if d := addMonths(c.DecisionDate, months); d.After(end) {
			end = d
		}
	}
	return end, nil
}

// caseBanTerm finds the bans of the case's linked holder that name the
// case and are not lifted: the latest end among them, whether one is
// permanent, and whether there is any.
func caseBanTerm(ctx context.Context, r store.Reader, c *store.Case) (end store.Date, permanent, found bool, err error) {
	if c.CertificateNo == "" {
		return end, false, false, nil
	}
	cred, err := r.CredentialByNumber(ctx, c.CertificateNo)
	if errNotFound(err) || err == nil && cred.PersonID == 0 {
		return end, false, false, nil
	}
	if err != nil {
		return end, false, false, fmt.Errorf("app: case holder: %w", err)
	}
	bans, err := r.BansForPerson(ctx, cred.PersonID)
	if err != nil {
		return end, false, false, fmt.Errorf("app: case bans: %w", err)
	}
	for _, b := range bans {
		if b.CaseID != c.ID || !b.LiftedAt.IsZero() {
			continue
		}
		found = true
		if b.Permanent() {
			return store.Date{}, true, true, nil
		}
		if b.EndsOn.After(end) {
			end = b.EndsOn
		}
	}
	return end, false, found, nil
}

// addMonths returns d moved by n months, on the same day of the month or
// the last day of a shorter month (2024-08-31 plus 6 months is 2025-02-28).
func addMonths(d store.Date, n int) store.Date {
	t, err := time.Parse(time.DateOnly, d.String())
	if err != nil {
		return store.Date{}
	}
	y, m, day := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return store.NewDate(first.Year(), first.Month(), min(day, last))
}

// auditParams is what an action's audit events keep of its parameters:
// all of them, but for an amendment's changes, of which only the fields
// and a digest are kept (see caseDetails for why).
func auditParams(act *store.Action) any {
	if act.Kind != store.ActionAmendCase {
		return act.Params
	}
	var p caseParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return act.Params
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(p.Changes, &fields)
	sum := sha256.Sum256(p.Changes)
	return map[string]any{"case_id": p.CaseID, "note": p.Note, "fields": slices.Sorted(maps.Keys(fields)),
		"changes_sha256": hex.EncodeToString(sum[:])}
}

// FindingsError is an approval refused because the text it would publish
// (a case, an amendment's note, a withdrawal's reason) holds findings of the redaction check and the approver did not
// acknowledge them. Its code is ERedactionFindings.
type FindingsError struct {
	Findings []Finding
}

func (e *FindingsError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the *store.Error that carries the code and message.
func (e *FindingsError) Unwrap() error {
	return store.FieldError(store.ERedactionFindings, "acknowledge_findings",
		"the text this approval publishes holds %d redaction finding(s) (see findings): remove them, or approve with acknowledge_findings saying why publishing them is right", len(e.Findings))
}

// findingsSummary is what the audit log keeps of findings: where and what,
// never the excerpt, which may hold the very ID number or phone number.
func findingsSummary(fs []Finding) []map[string]string {
	out := make([]map[string]string, len(fs))
	for i, f := range fs {
		out[i] = map[string]string{"field": f.Field, "kind": f.Kind}
	}
	return out
}

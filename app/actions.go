package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"ethicsportal/store"
)

// Proposal is a request to change what the public or a school sees: a kind,
// a reason, and the kind's parameters as sent (validated by ProposeAction).
type Proposal struct {
	Kind   string
	Reason string
	Params map[string]json.RawMessage
}

// kindSpec describes one kind of action: who may propose it, which
// parameters it takes, how they are checked, and how it is applied.
type kindSpec struct {
	role     string   // the role that proposes it (admin always may)
	required []string // parameters that must be present
	// publicReason: the reason is published (a withdrawal's), so it must
	// be plain text, and the approval runs the redaction check on it.
	publicReason bool
	optional     []string // parameters that may be present
	// check validates params against the store as it is now and returns
	// the normalised parameters to keep and the object acted on.
	check func(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (params any, object string, err error)
	// apply makes the change inside the approving transaction, deciding
	// from the state it reads there (not the one check saw), and reports
	// what it created. EConflict when the change no longer applies to that
	// state: the approval then fails and the action stays pending.
	apply func(ctx context.Context, a *App, tx store.Tx, act *store.Action, approver string) (outcome, error)
}

// outcome is what applying an action created that the approver is told of.
type outcome struct {
	banID int64 // the ban an impose_ban created
	// findings are those of the redaction check on the text a
	// publish_case or amend_case puts in public view; the approval needs
	// them acknowledged.
	findings []Finding
}

// Approval is an applied action and what applying it created.
type Approval struct {
	Action *store.Action
	BanID  int64 // the ban an applied impose_ban created; 0 for other kinds
}

func (a *App) kinds() map[string]kindSpec {
	return map[string]kindSpec{
		store.ActionPublishCase:         {role: store.RoleEditor, required: []string{"case_id"}, optional: []string{"publish_until"}, check: checkPublishCase, apply: applyPublishCase},
		store.ActionWithdrawCase:        {role: store.RoleEditor, required: []string{"case_id"}, publicReason: true, check: checkWithdrawCase, apply: applyWithdrawCase},
		store.ActionAmendCase:           {role: store.RoleEditor, required: []string{"case_id", "changes", "note"}, check: checkAmendCase, apply: applyAmendCase},
		store.ActionRevokeCredential:    {role: store.RoleRegistrar, required: []string{"certificate_no"}, optional: []string{"case_id"}, check: checkCredentialAction(store.ActionRevokeCredential), apply: applyCredentialStatus},
		store.ActionSuspendCredential:   {role: store.RoleRegistrar, required: []string{"certificate_no"}, optional: []string{"until", "case_id"}, check: checkCredentialAction(store.ActionSuspendCredential), apply: applyCredentialStatus},
		store.ActionReinstateCredential: {role: store.RoleRegistrar, required: []string{"certificate_no"}, check: checkCredentialAction(store.ActionReinstateCredential), apply: applyCredentialStatus},
		store.ActionImposeBan:           {role: store.RoleRegistrar, required: []string{"name", "scope", "starts_on"}, optional: []string{"certificate_no", "id_number", "ends_on", "case_id"}, check: checkImposeBan, apply: applyImposeBan},
		store.ActionLiftBan:             {role: store.RoleRegistrar, required: []string{"ban_id"}, check: checkLiftBan, apply: applyLiftBan},
		store.ActionCorrectCredential: {role: store.RoleRegistrar, required: []string{"certificate_no"},
			optional: []string{"holder_name", "id_number", "credential_kind", "issued_on"}, check: checkCorrectCredential, apply: applyCorrectCredential},
	}
}

// ActionKinds lists the kinds in a stable order, for messages.
func actionKinds() []string {
	return []string{store.ActionPublishCase, store.ActionAmendCase, store.ActionWithdrawCase,
		store.ActionRevokeCredential, store.ActionSuspendCredential, store.ActionReinstateCredential,
		store.ActionImposeBan, store.ActionLiftBan, store.ActionCorrectCredential}
}

const (
	maxReason = 2000 // characters of a reason or a note
	minReason = 2
)

// ProposeAction records a pending action proposed by p. It checks the kind,
// that p may propose it, every parameter (unknown ones included) and that
// the change makes sense against the store now (EInvalid, EMissing,
// EUnknownField, EForbidden, EUnknownRef, EConflict). Nothing changes until
// a second person approves it.
func (a *App) ProposeAction(ctx context.Context, p *Principal, in Proposal) (*store.Action, error) {
	kind := strings.TrimSpace(in.Kind)
	if kind == "" {
		return nil, store.FieldError(store.EMissing, "kind", "kind is required: one of %s", strings.Join(actionKinds(), ", "))
	}
	spec, ok := a.actionKinds[kind]
	if !ok {
		return nil, store.FieldError(store.EInvalid, "kind", "unknown kind %q: one of %s", kind, strings.Join(actionKinds(), ", "))
	}
	if !p.HasRole(spec.role) {
		return nil, store.Errorf(store.EForbidden, "%s is proposed by the role %s", kind, spec.role)
	}
	reason, err := checkText("reason", in.Reason, true)
	if err != nil {
		return nil, err
	}
	if spec.publicReason {
		if err := checkPlainText("reason", reason); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(in.Params)) { // sorted: the same unknown one is reported every time
		if !slices.Contains(spec.required, name) && !slices.Contains(spec.optional, name) {
			return nil, store.FieldError(store.EUnknownField, name, "%s takes no parameter %q; it takes %s", kind, name, strings.Join(append(slices.Clone(spec.required), spec.optional...), ", "))
		}
	}
	for _, name := range spec.required {
		if _, ok := in.Params[name]; !ok {
			return nil, store.FieldError(store.EMissing, name, "%s needs %s", kind, name)
		}
	}
	params, object, err := spec.check(ctx, a, a.store, in.Params)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("app: action params: %w", err)
	}
	act := &store.Action{Kind: kind, Object: object, Params: raw, Reason: reason, Status: store.ActionPending,
		ProposedBy: p.Username, ProposedAt: a.now()}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAction(ctx, act); err != nil {
			return err
		}
		return a.record(ctx, tx, p.Username, "action.propose", fmt.Sprintf("action:%d", act.ID), actionDetails(act))
	})
	if err != nil {
		return nil, internal("propose", err)
	}
	return act, nil
}

// ApprovalInput is what an approver may send with an approval.
type ApprovalInput struct {
	// AcknowledgeFindings says why publishing a case with findings of the
	// redaction check is right; required when there are any. It is kept in
	// the audit event of the approval.
	AcknowledgeFindings string
}

// ApproveAction approves as ApproveActionWith does, acknowledging nothing.
func (a *App) ApproveAction(ctx context.Context, p *Principal, id int64) (*Approval, error) {
	return a.ApproveActionWith(ctx, p, id, ApprovalInput{})
}

// ApproveActionWith applies a pending action on behalf of p, in one
// transaction with its audit event and outbox row. EForbidden without the
// reviewer role, EFourEyes when p proposed it (unless four-eyes is off),
// ENotFound, EConflict when it is no longer pending (also when another
// reviewer approved it at the same moment) or no longer makes sense.
//
// Two approvals of different actions on one object at the same moment, on
// any instances, end as if one had been applied after the other: the
// second decides on the state the first left, and fails with EConflict if
// the change no longer applies to it (a suspension after a revocation).
// A failed approval changes nothing: its action stays pending.
//
// A publish_case or amend_case whose resulting public text holds findings
// of the redaction check is refused with a *FindingsError (code
// ERedactionFindings, listing them) unless in.AcknowledgeFindings says why
// it is right; the acknowledgement and the fields and kinds of the
// findings then go into the audit event.
func (a *App) ApproveActionWith(ctx context.Context, p *Principal, id int64, in ApprovalInput) (*Approval, error) {
	if !p.HasRole(store.RoleReviewer) {
		return nil, store.Errorf(store.EForbidden, "approving needs the role reviewer")
	}
	ack, err := checkText("acknowledge_findings", in.AcknowledgeFindings, false)
	if err != nil {
		return nil, err
	}
	var out outcome
	err = a.store.Update(ctx, func(tx store.Tx) error {
		act, err := a.actionIn(ctx, tx, id)
		if err != nil {
			return err
		}
		// Four-eyes first: a proposer never approves their own action, whatever its state.
		if a.cfg.FourEyes && act.ProposedBy == p.Username {
			return store.Errorf(store.EFourEyes, "an action must be approved by someone other than its proposer")
		}
		if err := pending(act); err != nil {
			return err
		}
		if err := tx.DecideAction(ctx, id, store.ActionApplied, p.Username, a.now(), ""); err != nil {
			return decideError(err)
		}
		if out, err = a.actionKinds[act.Kind].apply(ctx, a, tx, act, p.Username); err != nil {
			return err
		}
		d := actionDetails(act)
		if out.banID != 0 {
			d["ban_id"] = out.banID
		}
		if len(out.findings) > 0 {
			if ack == "" {
				return &FindingsError{Findings: out.findings}
			}
			d["acknowledge_findings"] = ack
			d["findings"] = findingsSummary(out.findings)
		}
		return a.record(ctx, tx, p.Username, "action.apply", fmt.Sprintf("action:%d", id), d)
	})
	if err != nil {
		return nil, internal("approve", err)
	}
	a.wakeWorker()
	act, err := a.Action(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Approval{Action: act, BanID: out.banID}, nil
}

// RejectAction closes a pending action without applying it. EMissing
// without a reason; EForbidden, ENotFound and EConflict as for approval.
func (a *App) RejectAction(ctx context.Context, p *Principal, id int64, reason string) (*store.Action, error) {
	if !p.HasRole(store.RoleReviewer) {
		return nil, store.Errorf(store.EForbidden, "rejecting needs the role reviewer")
	}
	reason, err := checkText("reason", reason, true)
	if err != nil {
		return nil, err
	}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		act, err := a.actionIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := pending(act); err != nil {
			return err
		}
		if err := tx.DecideAction(ctx, id, store.ActionRejected, p.Username, a.now(), reason); err != nil {
			return decideError(err)
		}
		d := actionDetails(act)
		d["rejection_reason"] = reason
		return a.record(ctx, tx, p.Username, "action.reject", fmt.Sprintf("action:%d", id), d)
	})
	if err != nil {
		return nil, internal("reject", err)
	}
	return a.Action(ctx, id)
}

func (a *App) actionIn(ctx context.Context, r store.Reader, id int64) (*store.Action, error) {
	act, err := r.ActionByID(ctx, id)
	if errNotFound(err) {
		return nil, store.Errorf(store.ENotFound, "no action %d", id)
	}
	return act, err
}

func pending(act *store.Action) error {
	if act.Status != store.ActionPending {
		return store.Errorf(store.EConflict, "action %d is already %s", act.ID, act.Status)
	}
	return nil
}

func decideError(err error) error {
	if store.IsCode(err, store.EConflict) {
		return store.Errorf(store.EConflict, "the action was decided by someone else a moment ago")
	}
	return err
}

// Action returns one action. ENotFound if there is none.
func (a *App) Action(ctx context.Context, id int64) (*store.Action, error) {
	act, err := a.store.ActionByID(ctx, id)
	if errNotFound(err) {
		return nil, store.Errorf(store.ENotFound, "no action %d", id)
	}
	return act, internal("action", err)
}

// Actions lists actions with the given status ("" for all), newest first,
// one page at a time, with the total. EInvalid for an unknown status.
func (a *App) Actions(ctx context.Context, status string, page Page) ([]store.Action, int, error) {
	switch status {
	case "", store.ActionPending, store.ActionApplied, store.ActionRejected:
	default:
		return nil, 0, store.FieldError(store.EInvalid, "status", "status is pending, applied or rejected")
	}
	acts, total, err := a.store.Actions(ctx, store.ActionFilter{Status: status, Limit: page.PerPage, Offset: page.offset()})
	return acts, total, internal("actions", err)
}

// Page selects one page of a list: Number from 1, PerPage from 1 to 100.
type Page struct {
	Number  int
	PerPage int
}

// MaxPerPage is the largest page of any list.
const MaxPerPage = 100

func (p Page) offset() int { return (p.Number - 1) * p.PerPage }

func actionDetails(act *store.Action) map[string]any {
	return map[string]any{"kind": act.Kind, "object": act.Object, "params": auditParams(act), "reason": act.Reason, "proposed_by": act.ProposedBy}
}

// checkText trims a multi-line free-text field (a reason, a note) and checks
// its characters and length.
func checkText(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", store.FieldError(store.EMissing, field, "%s is required", field)
		}
		return "", nil
	}
	if !utf8.ValidString(s) {
		return "", store.FieldError(store.EInvalid, field, "%s is not valid UTF-8", field)
	}
	if err := checkChars(field, s, multiLine); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n < minReason || n > maxReason {
		return "", store.FieldError(store.EInvalid, field, "%s must be %d to %d characters", field, minReason, maxReason)
	}
	return s, nil
}

// param decodes one parameter into dst, naming it in the error.
func param(p map[string]json.RawMessage, name string, dst any) (bool, error) {
	raw, ok := p[name]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, store.FieldError(store.EInvalid, name, "%s has the wrong type", name)
	}
	return true, nil
}

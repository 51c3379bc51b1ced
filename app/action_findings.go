package app

import (
	"context"
	"encoding/json"
	"fmt"

	"ethicsportal/store"
)

// ActionFindings returns the findings of the redaction check on what
// approving the action id would put in public view, as the store is now:
// the case's text for publish_case, the case as amended and the note for
// amend_case, the reason for withdraw_case; none for the other kinds, for
// an action no longer pending, or when the changes no longer apply (the
// approval will say why). It is for showing a reviewer what an approval
// will ask them to acknowledge; the approval decides again from the state
// it applies to. ENotFound for an unknown action.
func (a *App) ActionFindings(ctx context.Context, id int64) ([]Finding, error) {
	act, err := a.Action(ctx, id)
	if err != nil {
		return nil, err
	}
	if act.Status != store.ActionPending {
		return nil, nil
	}
	switch act.Kind {
	case store.ActionPublishCase, store.ActionAmendCase, store.ActionWithdrawCase:
	default:
		return nil, nil
	}
	var p caseParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return nil, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	c, err := a.caseIn(ctx, a.store, p.CaseID)
	if store.IsCode(err, store.ENotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("case", err)
	}
	var fs []Finding
	switch act.Kind {
	case store.ActionPublishCase:
		fs, err = a.caseFindings(ctx, a.store, c)
	case store.ActionAmendCase:
		in, derr := decodeCaseChanges(p.Changes)
		if derr != nil {
			return nil, nil
		}
		if _, merr := mergeCaseInput(c, in, a.today()); merr != nil {
			return nil, nil
		}
		fs, err = a.caseFindings(ctx, a.store, c, textField{"note", p.Note})
	case store.ActionWithdrawCase:
		fs, err = a.textFindings(ctx, a.store, c, nil, textField{"reason", act.Reason})
	}
	return fs, internal("action findings", err)
}

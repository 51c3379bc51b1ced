package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"ethicsportal/store"
)

func scanAction(sc rowScanner, a *store.Action) error {
	return sc.Scan(&a.ID, &a.Kind, &a.Object, jsonCol{&a.Params}, &a.Reason, &a.Status,
		&a.ProposedBy, timeCol{&a.ProposedAt}, &a.DecidedBy, timeCol{&a.DecidedAt}, &a.DecisionReason)
}

// ActionByID returns the action with that id, or ENotFound.
func (r reader) ActionByID(ctx context.Context, id int64) (*store.Action, error) {
	a := new(store.Action)
	err := scanAction(r.src.stmt(ctx, sActionByID).QueryRowContext(ctx, id), a)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such action")
	}
	if err != nil {
		return nil, wrap("action by id", err)
	}
	return a, nil
}

// Actions returns the actions of status f.Status (every status for ""),
// newest (highest id) first, skipping f.Offset and returning at most
// f.Limit of them, and how many match in all. A Limit of 0 or less means no
// limit. The page and the count are two statements: outside a transaction a
// commit between them may make the count differ from the page by that
// commit, which a listing can live with.
func (r reader) Actions(ctx context.Context, f store.ActionFilter) ([]store.Action, int, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	offset := max(0, int64(f.Offset))
	list, count, args := sActions, sCountActions, []any{limit, offset}
	var countArgs []any
	if f.Status != "" {
		list, count = sActionsByStatus, sCountActionsByStatus
		args = append([]any{f.Status}, args...)
		countArgs = []any{f.Status}
	}
	var total int
	if err := r.src.stmt(ctx, count).QueryRowContext(ctx, countArgs...).Scan(&total); err != nil {
		return nil, 0, wrap("count actions", err)
	}
	rows, err := r.src.stmt(ctx, list).QueryContext(ctx, args...)
	if err != nil {
		return nil, 0, wrap("actions", err)
	}
	defer rows.Close()
	actions := []store.Action{}
	for rows.Next() {
		var a store.Action
		if err := scanAction(rows, &a); err != nil {
			return nil, 0, wrap("actions", err)
		}
		actions = append(actions, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("actions", err)
	}
	return actions, total, nil
}

// CreateAction inserts a as given (Params byte for byte) and sets its ID.
func (t *txn) CreateAction(ctx context.Context, a *store.Action) error {
	res, err := t.stmt(ctx, sCreateAction).ExecContext(ctx, a.Kind, a.Object, jsonArg(a.Params), a.Reason,
		a.Status, a.ProposedBy, timeArg(a.ProposedAt), a.DecidedBy, timeArg(a.DecidedAt), a.DecisionReason)
	if err != nil {
		return wrap("create action", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return wrap("create action", err)
	}
	a.ID = id
	return nil
}

// DecideAction moves a pending action to status, which must be
// ActionApplied or ActionRejected (else EInvalid). The UPDATE matches only
// a pending row, and every write transaction holds SQLite's one write lock
// from its start, so of any number of deciders on any number of instances
// exactly one changes the row; the others get EConflict. ENotFound if there
// is no such action.
func (t *txn) DecideAction(ctx context.Context, id int64, status, by string, at time.Time, reason string) error {
	if status != store.ActionApplied && status != store.ActionRejected {
		return store.FieldError(store.EInvalid, "status", "an action is decided as applied or rejected")
	}
	res, err := t.stmt(ctx, sDecideAction).ExecContext(ctx, status, by, timeArg(at), reason, id)
	if err != nil {
		return wrap("decide action", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("decide action", err)
	}
	if n == 1 {
		return nil
	}
	a, err := t.ActionByID(ctx, id)
	if err != nil {
		return err
	}
	return store.Errorf(store.EConflict, "the action was %s already", a.Status)
}

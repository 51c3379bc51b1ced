package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// Actions: a proposal inserted by one administrator and decided, once, by
// another. Params are bytea and come back byte for byte (nil as nil).

const actionCols = `id, kind, object, params, reason, status, proposed_by, proposed_at,
	decided_by, decided_at, decision_reason`

func scanAction(row pgx.Row, a *store.Action) error {
	var params []byte
	err := row.Scan(&a.ID, &a.Kind, &a.Object, &params, &a.Reason, &a.Status, &a.ProposedBy,
		timeCol{&a.ProposedAt}, &a.DecidedBy, timeCol{&a.DecidedAt}, &a.DecisionReason)
	a.Params = params
	return err
}

// ActionByID returns the action with that id, or ENotFound.
func (r reader) ActionByID(ctx context.Context, id int64) (*store.Action, error) {
	var a store.Action
	if err := scanAction(r.q.QueryRow(ctx, `SELECT `+actionCols+` FROM actions WHERE id = $1`, id), &a); err != nil {
		return nil, lookupErr("action", err, "no such action")
	}
	return &a, nil
}

// Actions returns a page of the actions with f.Status (every status when
// it is ""), newest (highest id) first, and how many match in all. A
// Limit of 0 or less means no limit; a negative Offset counts as 0. The
// count is taken in the statement that reads the page, so the two agree
// even while other instances write; only a page past the end needs a
// statement of its own for the count.
func (r reader) Actions(ctx context.Context, f store.ActionFilter) ([]store.Action, int, error) {
	var limit *int // NULL: LIMIT ALL
	if f.Limit > 0 {
		limit = &f.Limit
	}
	offset := max(f.Offset, 0)
	// Two texts rather than "$1 = '' OR status = $1", so that a cached
	// generic plan can still use the (status, id) index.
	where, args := ``, []any{}
	if f.Status != "" {
		where, args = `WHERE status = $1`, []any{f.Status}
	}
	page := fmt.Sprintf(`SELECT count(*) OVER (), %s FROM actions %s ORDER BY id DESC LIMIT $%d OFFSET $%d`,
		actionCols, where, len(args)+1, len(args)+2)
	rows, err := r.q.Query(ctx, page, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, wrap("actions", err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Action, error) {
		var a store.Action
		err := scanAction(prefixed{row, &total}, &a)
		return a, err
	})
	if err != nil {
		return nil, 0, wrap("actions", err)
	}
	if list == nil {
		list = []store.Action{}
	}
	if len(list) == 0 && offset > 0 {
		err := r.q.QueryRow(ctx, `SELECT count(*) FROM actions `+where, args...).Scan(&total)
		if err != nil {
			return nil, 0, wrap("actions", err)
		}
	}
	return list, total, nil
}

// prefixed is a row whose first column goes to first, the rest to the
// destinations Scan is given.
type prefixed struct {
	row   pgx.Row
	first any
}

func (p prefixed) Scan(dest ...any) error { return p.row.Scan(append([]any{p.first}, dest...)...) }

// CreateAction inserts a as given (Params byte for byte) and sets a.ID.
// The caller proposes it with Status pending; the store does not check.
func (t *tx) CreateAction(ctx context.Context, a *store.Action) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO actions (kind, object, params, reason, status, proposed_by,
			proposed_at, decided_by, decided_at, decision_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		a.Kind, a.Object, []byte(a.Params), a.Reason, a.Status, a.ProposedBy, timeArg(a.ProposedAt),
		a.DecidedBy, timeArg(a.DecidedAt), a.DecisionReason).Scan(&a.ID)
	return wrap("create action", err)
}

// DecideAction is one conditional UPDATE on a pending action. Two
// transactions deciding the same action at once: the second waits for the
// first's row lock, re-checks "status = 'pending'" against the committed
// row and changes nothing, so it gets EConflict (or, had the first rolled
// back, succeeds). With no row changed, an existence test tells ENotFound
// from EConflict. A status other than applied or rejected is EInvalid.
func (t *tx) DecideAction(ctx context.Context, id int64, status, by string, at time.Time, reason string) error {
	if status != store.ActionApplied && status != store.ActionRejected {
		return store.FieldError(store.EInvalid, "status", "an action is decided as applied or rejected")
	}
	tag, err := t.tx.Exec(ctx, `UPDATE actions SET status = $2, decided_by = $3, decided_at = $4,
		decision_reason = $5 WHERE id = $1 AND status = 'pending'`, id, status, by, timeArg(at), reason)
	if err != nil {
		return wrap("decide action", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM actions WHERE id = $1)`, id)
	if err != nil {
		return wrap("decide action", err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such action")
	}
	return store.Errorf(store.EConflict, "the action was decided already")
}

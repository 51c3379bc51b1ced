package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"ethicsportal/store"
)

const banCols = `id, person_id, scope, starts_on, ends_on, reason, coalesce(case_id, ''), created_at, lifted_at`

func scanBan(row pgx.Row, b *store.Ban) error {
	return row.Scan(&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason,
		&b.CaseID, timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt})
}

// BanByID returns the ban with that id, lifted or not, or ENotFound.
func (r reader) BanByID(ctx context.Context, id int64) (*store.Ban, error) {
	var b store.Ban
	if err := scanBan(r.q.QueryRow(ctx, `SELECT `+banCols+` FROM bans WHERE id = $1`, id), &b); err != nil {
		return nil, lookupErr("ban", err, "no such ban")
	}
	return &b, nil
}

// BansForPerson returns the person's bans, lifted ones included, in the
// order they were created; an empty slice for 0 or an unknown id.
func (r reader) BansForPerson(ctx context.Context, personID int64) ([]store.Ban, error) {
	if personID == 0 {
		return []store.Ban{}, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+banCols+` FROM bans WHERE person_id = $1 ORDER BY id`, personID)
	if err != nil {
		return nil, wrap("bans", err)
	}
	bans, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Ban, error) {
		var b store.Ban
		err := scanBan(row, &b)
		return b, err
	})
	if err != nil {
		return nil, wrap("bans", err)
	}
	if bans == nil {
		bans = []store.Ban{}
	}
	return bans, nil
}

// CreateBan inserts b and sets its ID, or returns ENotFound when the person
// does not exist. The existence test is part of the insert so that a miss
// leaves the transaction usable; the foreign key stays as the guarantee.
func (t *tx) CreateBan(ctx context.Context, b *store.Ban) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO bans (person_id, scope, starts_on, ends_on, reason, case_id, created_at, lifted_at)
		SELECT $1::bigint, $2::text, $3::date, $4::date, $5::text, nullif($6::text, ''), $7::timestamptz, $8::timestamptz
		WHERE EXISTS (SELECT 1 FROM persons WHERE id = $1::bigint)
		RETURNING id`,
		b.PersonID, b.Scope, dateArg(b.StartsOn), dateArg(b.EndsOn), b.Reason, b.CaseID,
		timeArg(b.CreatedAt), timeArg(b.LiftedAt)).Scan(&b.ID)
	// No row: the EXISTS test failed. A foreign key violation: the person
	// was not there when the key was checked after all.
	var pe *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pe) && pe.Code == codeForeignKeyViolation {
		return store.FieldError(store.ENotFound, "person_id", "no such person")
	}
	return wrap("create ban", err)
}

// LiftBan sets the ban's LiftedAt to at. ENotFound when there is no such
// ban; EConflict when it was lifted already, also by a concurrent
// transaction that committed first (the conditional UPDATE waits for its
// row lock and re-checks). A zero at is EInvalid: it would read as "not
// lifted".
func (t *tx) LiftBan(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		return store.FieldError(store.EInvalid, "lifted_at", "a ban is lifted at a time")
	}
	tag, err := t.tx.Exec(ctx, `UPDATE bans SET lifted_at = $2 WHERE id = $1 AND lifted_at IS NULL`, id, timeArg(at))
	if err != nil {
		return wrap("lift ban", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM bans WHERE id = $1)`, id)
	if err != nil {
		return wrap("lift ban", err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such ban")
	}
	return store.Errorf(store.EConflict, "the ban was lifted already")
}

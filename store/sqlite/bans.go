package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"ethicsportal/store"
)

func scanBan(sc rowScanner, b *store.Ban) error {
	return sc.Scan(&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason, &b.CaseID,
		timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt})
}

// BanByID returns the ban with that id, or ENotFound.
func (r reader) BanByID(ctx context.Context, id int64) (*store.Ban, error) {
	b := new(store.Ban)
	err := scanBan(r.src.stmt(ctx, sBanByID).QueryRowContext(ctx, id), b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such ban")
	}
	if err != nil {
		return nil, wrap("ban by id", err)
	}
	return b, nil
}

// BansForPerson returns the person's bans, lifted ones included, in the
// order they were created. Person 0 (no person) and unknown persons have
// none: an empty slice.
func (r reader) BansForPerson(ctx context.Context, personID int64) ([]store.Ban, error) {
	bans := []store.Ban{}
	if personID == 0 {
		return bans, nil
	}
	rows, err := r.src.stmt(ctx, sBansForPerson).QueryContext(ctx, personID)
	if err != nil {
		return nil, wrap("bans for person", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b store.Ban
		if err := scanBan(rows, &b); err != nil {
			return nil, wrap("bans for person", err)
		}
		bans = append(bans, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("bans for person", err)
	}
	return bans, nil
}

// CreateBan inserts b and sets its ID; ENotFound if b.PersonID names no
// person, which the foreign key on bans.person_id decides.
func (t *txn) CreateBan(ctx context.Context, b *store.Ban) error {
	res, err := t.stmt(ctx, sCreateBan).ExecContext(ctx, b.PersonID, b.Scope, dateArg(b.StartsOn),
		dateArg(b.EndsOn), b.Reason, b.CaseID, timeArg(b.CreatedAt), timeArg(b.LiftedAt))
	if isForeignKey(err) {
		return store.FieldError(store.ENotFound, "person_id", "no such person")
	}
	if err != nil {
		return wrap("create ban", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return wrap("create ban", err)
	}
	b.ID = id
	return nil
}

// LiftBan marks the ban lifted at the given time: ENotFound if there is no
// such ban, EConflict if it was lifted already, in which case the first
// lifting time stands. A zero time is EInvalid, since it is what "not
// lifted" is stored as.
func (t *txn) LiftBan(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		return store.FieldError(store.EInvalid, "lifted_at", "a ban is lifted at some time")
	}
	res, err := t.stmt(ctx, sLiftBan).ExecContext(ctx, timeArg(at), id)
	if err != nil {
		return wrap("lift ban", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("lift ban", err)
	}
	if n == 1 {
		return nil
	}
	if _, err := t.BanByID(ctx, id); err != nil {
		return err
	}
	return store.Errorf(store.EConflict, "the ban was lifted already")
}

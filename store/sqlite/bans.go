package sqlite

import (
	"context"

	"ethicsportal/store"
)

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
		if err := rows.Scan(&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason, &b.CaseID,
			timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt}); err != nil {
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

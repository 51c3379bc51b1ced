package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"ethicsportal/store"
)

// The writes an applied action makes to the register: lifting a ban,
// linking a holder, changing a credential's status and recording that
// change in its history. Each is one statement whose row count or RETURNING
// tells a miss, so a miss leaves the transaction usable.

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

// LinkCredentialPerson sets the credential's PersonID (0 unlinks it) and
// UpdatedAt. ENotFound when the certificate number does not exist. The
// person is not checked, as with UpdateCredentialRecords.
func (t *tx) LinkCredentialPerson(ctx context.Context, certificateNo string, personID int64, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE credentials SET person_id = nullif($2::bigint, 0), updated_at = $3
		WHERE certificate_no = $1`, certificateNo, personID, timeArg(at))
	if err != nil {
		return wrap("link credential", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	return nil
}

// SetCredentialStatus sets Status, SuspendedUntil (the zero Date clears it),
// StatusReason and UpdatedAt. ENotFound when the certificate number does
// not exist. The status is stored as given: the caller validates it.
func (t *tx) SetCredentialStatus(ctx context.Context, certificateNo, status string, suspendedUntil store.Date, reason string, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE credentials SET status = $2, suspended_until = $3, status_reason = $4,
		updated_at = $5 WHERE certificate_no = $1`,
		certificateNo, status, dateArg(suspendedUntil), reason, timeArg(at))
	if err != nil {
		return wrap("set credential status", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	return nil
}

// AddCredentialChange appends c to its credential's history and sets c.ID,
// or returns ENotFound when the certificate number does not exist. As in
// CreateBan the existence test is part of the insert and the foreign key
// stays as the guarantee.
func (t *tx) AddCredentialChange(ctx context.Context, c *store.CredentialChange) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO credential_changes (certificate_no, at, from_status, to_status,
			until, reason, case_id, action_id, proposed_by, approved_by)
		SELECT $1::text, $2::timestamptz, $3::text, $4::text, $5::date, $6::text, nullif($7::text, ''),
			nullif($8::bigint, 0), $9::text, $10::text
		WHERE EXISTS (SELECT 1 FROM credentials WHERE certificate_no = $1::text)
		RETURNING id`,
		c.CertificateNo, timeArg(c.At), c.FromStatus, c.ToStatus, dateArg(c.Until), c.Reason, c.CaseID,
		c.ActionID, c.ProposedBy, c.ApprovedBy).Scan(&c.ID)
	var pe *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pe) && pe.Code == codeForeignKeyViolation {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	return wrap("add credential change", err)
}

// CredentialHistory returns the credential's status changes in the order
// they were added; an empty slice for an unknown number.
func (r reader) CredentialHistory(ctx context.Context, certificateNo string) ([]store.CredentialChange, error) {
	rows, err := r.q.Query(ctx, `SELECT id, certificate_no, at, from_status, to_status, until, reason,
		coalesce(case_id, ''), coalesce(action_id, 0), proposed_by, approved_by
		FROM credential_changes WHERE certificate_no = $1 ORDER BY id`, certificateNo)
	if err != nil {
		return nil, wrap("credential history", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CredentialChange, error) {
		var c store.CredentialChange
		err := row.Scan(&c.ID, &c.CertificateNo, timeCol{&c.At}, &c.FromStatus, &c.ToStatus, &c.Until,
			&c.Reason, &c.CaseID, &c.ActionID, &c.ProposedBy, &c.ApprovedBy)
		return c, err
	})
	if err != nil {
		return nil, wrap("credential history", err)
	}
	if cs == nil {
		cs = []store.CredentialChange{}
	}
	return cs, nil
}

// exists runs a SELECT EXISTS (...) query.
func (t *tx) exists(ctx context.Context, sql string, args ...any) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, sql, args...).Scan(&ok)
	return ok, err
}

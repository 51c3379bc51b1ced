package sqlite

import (
	"context"
	"database/sql"
	"time"

	"ethicsportal/store"
)

// CredentialHistory returns the status changes of the credential in the
// order they were added (by id, whatever their At says). An unknown number
// has none: an empty slice.
func (r reader) CredentialHistory(ctx context.Context, certificateNo string) ([]store.CredentialChange, error) {
	rows, err := r.src.stmt(ctx, sCredentialHistory).QueryContext(ctx, certificateNo)
	if err != nil {
		return nil, wrap("credential history", err)
	}
	defer rows.Close()
	changes := []store.CredentialChange{}
	for rows.Next() {
		var c store.CredentialChange
		if err := rows.Scan(&c.ID, &c.CertificateNo, timeCol{&c.At}, &c.FromStatus, &c.ToStatus, &c.Until,
			&c.Reason, &c.CaseID, idCol{&c.ActionID}, &c.ProposedBy, &c.ApprovedBy); err != nil {
			return nil, wrap("credential history", err)
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("credential history", err)
	}
	return changes, nil
}

// CredentialForUpdate returns the credential as CredentialByNumber does.
// It needs no lock of its own: the transaction holds SQLite's one write
// lock from its start, so no other transaction can change the credential
// before this one ends. ENotFound if the number does not exist.
func (t *txn) CredentialForUpdate(ctx context.Context, certificateNo string) (*store.Credential, error) {
	return t.CredentialByNumber(ctx, certificateNo)
}

// LinkCredentialPerson sets the credential's PersonID and UpdatedAt, if its
// link is still from; personID 0 unlinks it. The person is not checked, as
// InsertCredentials does not check it either. ENotFound if the number does
// not exist, EConflict if its link is no longer from.
func (t *txn) LinkCredentialPerson(ctx context.Context, certificateNo string, from, personID int64, at time.Time) error {
	res, err := t.stmt(ctx, sLinkCredentialPerson).ExecContext(ctx, idArg(personID), timeArg(at), certificateNo, idArg(from))
	return t.credentialMoved(ctx, "link credential person", res, err, certificateNo,
		"the credential's holder link changed since it was read")
}

// SetCredentialStatus sets the status fields and UpdatedAt, and nothing
// else: the register fields are not in the statement. It changes them only
// if the stored status and suspension end are still those of from.
// ENotFound if the number does not exist, EConflict if its status is no
// longer from.
func (t *txn) SetCredentialStatus(ctx context.Context, certificateNo string, from, to store.CredentialStatus,
	reason string, at time.Time) error {
	res, err := t.stmt(ctx, sSetCredentialStatus).ExecContext(ctx,
		to.Status, dateArg(to.SuspendedUntil), reason, timeArg(at), certificateNo, from.Status, dateArg(from.SuspendedUntil))
	return t.credentialMoved(ctx, "set credential status", res, err, certificateNo,
		"the credential's status changed since it was read")
}

// credentialMoved turns the outcome of a conditional one-row UPDATE of
// credentials into the error the contract asks for: a row count of 0 means
// the number does not exist, or (credentials are never deleted) that the
// row is no longer in the state the condition names: EConflict with
// conflict as its message.
func (t *txn) credentialMoved(ctx context.Context, op string, res sql.Result, err error, certificateNo, conflict string) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 1 {
		return nil
	}
	if _, err := t.CredentialByNumber(ctx, certificateNo); err != nil {
		if store.IsCode(err, store.ENotFound) {
			return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
		}
		return err
	}
	return store.FieldError(store.EConflict, "certificate_no", "%s", conflict)
}

// AddCredentialChange appends c to the credential's history and sets c.ID;
// ENotFound if the number does not exist, which the foreign key on
// credential_changes.certificate_no decides.
func (t *txn) AddCredentialChange(ctx context.Context, c *store.CredentialChange) error {
	res, err := t.stmt(ctx, sAddCredentialChange).ExecContext(ctx, c.CertificateNo, timeArg(c.At),
		c.FromStatus, c.ToStatus, dateArg(c.Until), c.Reason, c.CaseID, idArg(c.ActionID), c.ProposedBy, c.ApprovedBy)
	if isForeignKey(err) {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	if err != nil {
		return wrap("add credential change", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return wrap("add credential change", err)
	}
	c.ID = id
	return nil
}

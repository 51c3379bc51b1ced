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

// LinkCredentialPerson sets the credential's PersonID and UpdatedAt;
// personID 0 unlinks it. The person is not checked, as InsertCredentials
// does not check it either. ENotFound if the number does not exist.
func (t *txn) LinkCredentialPerson(ctx context.Context, certificateNo string, personID int64, at time.Time) error {
	res, err := t.stmt(ctx, sLinkCredentialPerson).ExecContext(ctx, idArg(personID), timeArg(at), certificateNo)
	return credentialUpdated("link credential person", res, err)
}

// SetCredentialStatus sets the status fields and UpdatedAt, and nothing
// else: the register fields are not in the statement. ENotFound if the
// number does not exist.
func (t *txn) SetCredentialStatus(ctx context.Context, certificateNo, status string, suspendedUntil store.Date,
	reason string, at time.Time) error {
	res, err := t.stmt(ctx, sSetCredentialStatus).ExecContext(ctx,
		status, dateArg(suspendedUntil), reason, timeArg(at), certificateNo)
	return credentialUpdated("set credential status", res, err)
}

// credentialUpdated turns the outcome of a one-row UPDATE of credentials
// into the error the contract asks for: a row count of 0 means the number
// does not exist, since the statements change the row unconditionally.
func credentialUpdated(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	return nil
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

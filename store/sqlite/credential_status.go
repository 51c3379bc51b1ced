package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"ethicsportal/store"
)

// CredentialHistory returns the changes of the credential in the order they
// were added (by id, whatever their At says). An unknown number has none: an
// empty slice.
func (r reader) CredentialHistory(ctx context.Context, certificateNo string) ([]store.CredentialChange, error) {
	rows, err := r.src.stmt(ctx, sCredentialHistory).QueryContext(ctx, certificateNo)
	if err != nil {
		return nil, wrap("credential history", err)
	}
	defer rows.Close()
	changes := []store.CredentialChange{}
	for rows.Next() {
		var c store.CredentialChange
		var fields sql.NullString
		if err := rows.Scan(&c.ID, &c.CertificateNo, timeCol{&c.At}, &c.FromStatus, &c.ToStatus, &c.Until,
			&c.Reason, &c.CaseID, idCol{&c.ActionID}, &c.ProposedBy, &c.ApprovedBy,
			&c.Kind, &c.Actor, &c.Source, &c.SourceFile, &c.SourceRow, &fields); err != nil {
			return nil, wrap("credential history", err)
		}
		if fields.Valid {
			if err := json.Unmarshal([]byte(fields.String), &c.Fields); err != nil {
				return nil, wrap("credential history fields", err)
			}
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
	return t.AddCredentialChanges(ctx, []*store.CredentialChange{c})
}

// AddCredentialChanges appends cs in order and sets their IDs, in chunks of
// prepared multi-row statements as InsertCredentials does: an import adds
// one entry per row. ENotFound if a number does not exist; the numbers are
// counted first, inside the write transaction, so that a miss inserts
// nothing and leaves cs as it was.
func (t *txn) AddCredentialChanges(ctx context.Context, cs []*store.CredentialChange) error {
	if len(cs) == 0 {
		return nil
	}
	numbers := make([]string, 0, len(cs))
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if !seen[c.CertificateNo] {
			seen[c.CertificateNo] = true
			numbers = append(numbers, c.CertificateNo)
		}
	}
	if n, err := t.countNumbers(ctx, numbers); err != nil {
		return err
	} else if n != len(numbers) {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	ids := make([]int64, 0, len(cs))
	args := make([]any, 0, addChangeSizes[0].rows*changeColCount)
	err := t.checked(func() error {
		return chunks(cs, addChangeSizes, func(chunk []*store.CredentialChange, id stmtID) error {
			args = args[:0]
			for _, c := range chunk {
				fields, err := fieldsArg(c.Fields)
				if err != nil {
					return err
				}
				args = append(args, c.CertificateNo, timeArg(c.At), c.FromStatus, c.ToStatus, dateArg(c.Until),
					c.Reason, c.CaseID, idArg(c.ActionID), c.ProposedBy, c.ApprovedBy,
					c.Kind, c.Actor, c.Source, c.SourceFile, c.SourceRow, fields)
			}
			res, err := t.stmt(ctx, id).ExecContext(ctx, args...)
			if isForeignKey(err) {
				return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
			}
			if err != nil {
				return wrap("add credential changes", err)
			}
			// The writer is alone and the ids autoincrement, so one
			// statement's rows take consecutive ids ending at the last.
			last, err := res.LastInsertId()
			if err != nil {
				return wrap("add credential changes", err)
			}
			for i := range chunk {
				ids = append(ids, last-int64(len(chunk)-1-i))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for i, c := range cs {
		c.ID = ids[i]
	}
	return nil
}

// countNumbers counts how many of numbers are in the credentials table.
func (t *txn) countNumbers(ctx context.Context, numbers []string) (int, error) {
	keys, err := jsonStrings(numbers)
	if err != nil {
		return 0, err
	}
	var n int
	if err := t.stmt(ctx, sCountCredentialsIn).QueryRowContext(ctx, keys).Scan(&n); err != nil {
		return 0, wrap("count credentials", err)
	}
	return n, nil
}

// fieldsArg encodes the changed fields as a JSON array, NULL for none.
func fieldsArg(fs []store.FieldChange) (any, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode changed fields: %w", err)
	}
	return string(b), nil
}

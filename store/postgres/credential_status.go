package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"ethicsportal/store"
)

// The writes an applied action makes to the register: lifting a ban,
// linking a holder, changing a credential's status and recording that
// change in its history. Each is one statement whose row count or RETURNING
// tells a miss, so a miss leaves the transaction usable. The changes are
// conditional on the state they were decided from (DESIGN principle 7):
// under READ COMMITTED a plain read-then-write would let a transaction
// that committed in between be silently overwritten.

// CredentialHistory returns the credential's changes in the order they
// were added; an empty slice for an unknown number.
func (r reader) CredentialHistory(ctx context.Context, certificateNo string) ([]store.CredentialChange, error) {
	rows, err := r.q.Query(ctx, `SELECT id, certificate_no, at, from_status, to_status, until, reason,
		coalesce(case_id, ''), coalesce(action_id, 0), proposed_by, approved_by,
		kind, actor, source, source_file, source_row, fields
		FROM credential_changes WHERE certificate_no = $1 ORDER BY id`, certificateNo)
	if err != nil {
		return nil, wrap("credential history", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CredentialChange, error) {
		var c store.CredentialChange
		var fields pgtype.Text
		err := row.Scan(&c.ID, &c.CertificateNo, timeCol{&c.At}, &c.FromStatus, &c.ToStatus, &c.Until,
			&c.Reason, &c.CaseID, &c.ActionID, &c.ProposedBy, &c.ApprovedBy,
			&c.Kind, &c.Actor, &c.Source, &c.SourceFile, &c.SourceRow, &fields)
		if err == nil && fields.Valid {
			err = json.Unmarshal([]byte(fields.String), &c.Fields)
		}
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

// CredentialForUpdate reads the credential with SELECT ... FOR UPDATE: the
// row lock is held to the end of the transaction, so a second transaction
// doing the same waits for this one and then reads what it committed (READ
// COMMITTED re-reads a locked row once the lock is released). This is what
// lets an approval racing another on the same credential decide on the
// winner's state rather than fail. ENotFound when there is no such number.
func (t *tx) CredentialForUpdate(ctx context.Context, certificateNo string) (*store.Credential, error) {
	c, err := scanCredential(t.tx.QueryRow(ctx,
		`SELECT `+credentialCols+` FROM credentials WHERE certificate_no = $1 FOR UPDATE`, certificateNo))
	if err != nil {
		return nil, lookupErr("credential for update", err, "no such credential")
	}
	return c, nil
}

// LinkCredentialPerson sets the credential's PersonID (0 unlinks it) and
// UpdatedAt if its link is still from. The condition is in the UPDATE,
// which the server re-checks on the newest row version after waiting for a
// concurrent writer's lock, so a link made by a transaction that committed
// in between is never overwritten: EConflict instead. ENotFound when the
// certificate number does not exist. The person is not checked, as with
// UpdateCredentialRecords.
func (t *tx) LinkCredentialPerson(ctx context.Context, certificateNo string, from, personID int64, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE credentials SET person_id = nullif($3::bigint, 0), updated_at = $4
		WHERE certificate_no = $1 AND coalesce(person_id, 0) = $2`, certificateNo, from, personID, timeArg(at))
	if err != nil {
		return wrap("link credential", err)
	}
	return t.credentialMoved(ctx, "link credential", tag, certificateNo, "the credential's holder link changed since it was read")
}

// SetCredentialStatus sets Status, SuspendedUntil (the zero Date clears it),
// StatusReason and UpdatedAt if the stored status and suspension end are
// still those of from; as in LinkCredentialPerson the condition is
// re-checked under the row lock, and a miss is EConflict. ENotFound when
// the certificate number does not exist. The status is stored as given:
// the caller validates it.
func (t *tx) SetCredentialStatus(ctx context.Context, certificateNo string, from, to store.CredentialStatus, reason string, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE credentials SET status = $4, suspended_until = $5, status_reason = $6,
		updated_at = $7
		WHERE certificate_no = $1 AND status = $2 AND suspended_until IS NOT DISTINCT FROM $3::date`,
		certificateNo, from.Status, dateArg(from.SuspendedUntil), to.Status, dateArg(to.SuspendedUntil), reason, timeArg(at))
	if err != nil {
		return wrap("set credential status", err)
	}
	return t.credentialMoved(ctx, "set credential status", tag, certificateNo, "the credential's status changed since it was read")
}

// credentialMoved turns the outcome of a conditional one-row UPDATE of
// credentials into the contract's error: nil when the row changed,
// ENotFound when the number does not exist, else EConflict with conflict
// as its message. Credentials are never deleted, so a row the UPDATE
// missed and this check finds was there, in another state.
func (t *tx) credentialMoved(ctx context.Context, op string, tag pgconn.CommandTag, certificateNo, conflict string) error {
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE certificate_no = $1)`, certificateNo)
	if err != nil {
		return wrap(op, err)
	}
	if !exists {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	return store.FieldError(store.EConflict, "certificate_no", "%s", conflict)
}

// AddCredentialChange appends c to its credential's history and sets c.ID,
// or returns ENotFound when the certificate number does not exist.
func (t *tx) AddCredentialChange(ctx context.Context, c *store.CredentialChange) error {
	return t.AddCredentialChanges(ctx, []*store.CredentialChange{c})
}

// AddCredentialChanges appends cs in order and sets their IDs, or adds none
// and returns ENotFound when a certificate number does not exist. One
// statement however many entries: the columns go as arrays. The ids are
// drawn before inserting, in input order, so that entries added together
// keep their order in the history (RETURNING promises no order). As in
// CreateBan the existence test is part of the statement, so a miss leaves
// the transaction usable, and the foreign key stays as the guarantee.
func (t *tx) AddCredentialChanges(ctx context.Context, cs []*store.CredentialChange) error {
	if len(cs) == 0 {
		return nil
	}
	// One array per column, in the order of the statement's parameters.
	n := len(cs)
	text := func() []string { return make([]string, n) }
	no, from, to, reason, caseID, proposed, approved := text(), text(), text(), text(), text(), text(), text()
	kind, actor, source, file := text(), text(), text(), text()
	at, until := make([]pgtype.Timestamptz, n), make([]pgtype.Date, n)
	actionID, row := make([]int64, n), make([]int64, n)
	fields := make([]pgtype.Text, n)
	for i, c := range cs {
		no[i], from[i], to[i], reason[i], caseID[i] = c.CertificateNo, c.FromStatus, c.ToStatus, c.Reason, c.CaseID
		proposed[i], approved[i], kind[i], actor[i] = c.ProposedBy, c.ApprovedBy, c.Kind, c.Actor
		source[i], file[i], row[i], actionID[i] = c.Source, c.SourceFile, int64(c.SourceRow), c.ActionID
		at[i], until[i] = timeArg(c.At), dateArg(c.Until)
		if len(c.Fields) > 0 {
			b, err := json.Marshal(c.Fields)
			if err != nil {
				return fmt.Errorf("postgres: encode changed fields: %w", err)
			}
			fields[i] = pgtype.Text{String: string(b), Valid: true}
		}
	}
	var missing pgtype.Text
	var ids []int64
	err := t.tx.QueryRow(ctx, `WITH input AS MATERIALIZED (
			-- The sequence is looked up once (an init plan), not per row:
			-- pg_get_serial_sequence searches the catalogue on every call.
			SELECT u.*, nextval((SELECT pg_get_serial_sequence('credential_changes', 'id'))::regclass) AS id
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::date[], $6::text[],
				$7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
				$14::text[], $15::bigint[], $16::text[]) WITH ORDINALITY
				AS u(no, at, from_status, to_status, until, reason, case_id, action_id, proposed_by,
					approved_by, kind, actor, source, source_file, source_row, fields, ord)
		), missing AS (
			SELECT no FROM input WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.certificate_no = input.no)
			LIMIT 1
		), ins AS (
			INSERT INTO credential_changes (id, certificate_no, at, from_status, to_status, until, reason,
				case_id, action_id, proposed_by, approved_by, kind, actor, source, source_file, source_row, fields)
			SELECT id, no, at, from_status, to_status, until, reason, nullif(case_id, ''), nullif(action_id, 0),
				proposed_by, approved_by, kind, actor, source, source_file, source_row, fields
			FROM input WHERE NOT EXISTS (SELECT 1 FROM missing) ORDER BY ord
			RETURNING 1
		)
		SELECT (SELECT no FROM missing), array(SELECT id FROM input ORDER BY ord), (SELECT count(*) FROM ins)`,
		no, at, from, to, until, reason, caseID, actionID, proposed, approved, kind, actor, source, file, row, fields,
	).Scan(&missing, &ids, new(int64))
	var pe *pgconn.PgError
	if missing.Valid || errors.As(err, &pe) && pe.Code == codeForeignKeyViolation {
		return store.FieldError(store.ENotFound, "certificate_no", "no such credential")
	}
	if err != nil {
		return wrap("add credential changes", err)
	}
	for i, c := range cs {
		c.ID = ids[i]
	}
	return nil
}

// exists runs a SELECT EXISTS (...) query.
func (t *tx) exists(ctx context.Context, sql string, args ...any) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, sql, args...).Scan(&ok)
	return ok, err
}

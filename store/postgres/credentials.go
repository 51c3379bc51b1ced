package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"ethicsportal/store"
)

// Writes of the credential register. The bulk methods send whole columns as
// arrays and unnest them on the server: one statement per call, however many
// rows, because an import brings hundreds of thousands.
//
// Each method is all or nothing without aborting the transaction: a unique
// violation would poison it, so inserts yield with ON CONFLICT DO NOTHING
// and, when any row yielded, delete the rows they did insert before
// reporting EConflict. The caller may then carry on, as on SQLite.

const credentialCols = `certificate_no, holder_name, holder_name_folded, coalesce(person_id, 0),
	kind, subject, issuer, issued_on, registered_until, status, suspended_until, status_reason,
	created_at, updated_at`

func scanCredential(row pgx.Row) (*store.Credential, error) {
	var c store.Credential
	err := row.Scan(&c.CertificateNo, &c.HolderName, &c.HolderNameFolded, &c.PersonID,
		&c.Kind, &c.Subject, &c.Issuer, &c.IssuedOn, &c.RegisteredUntil, &c.Status,
		&c.SuspendedUntil, &c.StatusReason, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CredentialByNumber returns the credential with that normalised
// certificate number, or ENotFound.
func (r reader) CredentialByNumber(ctx context.Context, certificateNo string) (*store.Credential, error) {
	c, err := scanCredential(r.q.QueryRow(ctx,
		`SELECT `+credentialCols+` FROM credentials WHERE certificate_no = $1`, certificateNo))
	if err != nil {
		return nil, lookupErr("credential", err, "no such credential")
	}
	return c, nil
}

// CredentialsByNumbers returns those of the credentials named that exist,
// in one query however many are asked for.
func (r reader) CredentialsByNumbers(ctx context.Context, numbers []string) (map[string]*store.Credential, error) {
	out := make(map[string]*store.Credential, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx,
		`SELECT `+credentialCols+` FROM credentials WHERE certificate_no = ANY($1::text[])`, numbers)
	if err != nil {
		return nil, wrap("credentials", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Credential, error) {
		return scanCredential(row)
	})
	if err != nil {
		return nil, wrap("credentials", err)
	}
	for _, c := range cs {
		out[c.CertificateNo] = c
	}
	return out, nil
}

// InsertCredentials inserts cs with CreatedAt and UpdatedAt set to now, or
// inserts none and returns EConflict naming a certificate number that
// exists (or occurs twice in cs).
func (t *tx) InsertCredentials(ctx context.Context, cs []*store.Credential, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	now = dbTime(now)
	a := newCredentialArrays(cs)
	status := make([]string, len(cs))
	suspended := make([]pgtype.Date, len(cs))
	reasons := make([]string, len(cs))
	for i, c := range cs {
		status[i], suspended[i], reasons[i] = c.Status, dateArg(c.SuspendedUntil), c.StatusReason
	}
	rows, err := t.tx.Query(ctx, `INSERT INTO credentials (certificate_no, holder_name, holder_name_folded,
			person_id, kind, subject, issuer, issued_on, registered_until, status, suspended_until,
			status_reason, created_at, updated_at)
		SELECT u.no, u.name, u.folded, nullif(u.pid, 0), u.kind, u.subject, u.issuer, u.issued, u.until,
			u.status, u.suspended, u.reason, $13::timestamptz, $13::timestamptz
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
			$8::date[], $9::date[], $10::text[], $11::date[], $12::text[])
			AS u(no, name, folded, pid, kind, subject, issuer, issued, until, status, suspended, reason)
		ON CONFLICT (certificate_no) DO NOTHING
		RETURNING certificate_no`,
		a.no, a.name, a.folded, a.pid, a.kind, a.subject, a.issuer, a.issued, a.until,
		status, suspended, reasons, now)
	if err != nil {
		return wrap("insert credentials", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return wrap("insert credentials", err)
	}
	if len(inserted) < len(cs) {
		if err := t.undo(ctx, `DELETE FROM credentials WHERE certificate_no = ANY($1::text[])`, inserted); err != nil {
			return err
		}
		return store.FieldError(store.EConflict, "certificate_no", "certificate number %s exists", firstNotInserted(a.no, inserted))
	}
	for _, c := range cs {
		c.CreatedAt, c.UpdatedAt = now, now
	}
	return nil
}

// firstNotInserted names a number that yielded: one absent from inserted,
// or else the second occurrence of a number given twice.
func firstNotInserted(numbers, inserted []string) string {
	seen := make(map[string]bool, len(numbers))
	for _, n := range inserted {
		seen[n] = true
	}
	twice := map[string]bool{}
	for _, n := range numbers {
		if !seen[n] || twice[n] {
			return n
		}
		twice[n] = true
	}
	return ""
}

// UpdateCredentialRecords rewrites the register fields of cs and sets
// UpdatedAt to now, or changes nothing and returns ENotFound naming a
// number that does not exist. The existence check and the update are one
// statement; credentials are never deleted, so a row the check saw is
// still there for the update. When a number occurs twice the last wins.
func (t *tx) UpdateCredentialRecords(ctx context.Context, cs []*store.Credential, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	now = dbTime(now)
	a := newCredentialArrays(lastOfEach(cs))
	var missing pgtype.Text
	var updated int
	err := t.tx.QueryRow(ctx, `WITH input AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
				$7::text[], $8::date[], $9::date[])
				AS u(no, name, folded, pid, kind, subject, issuer, issued, until)
		), missing AS (
			SELECT no FROM input WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.certificate_no = input.no)
			LIMIT 1
		), upd AS (
			UPDATE credentials c SET holder_name = i.name, holder_name_folded = i.folded,
				person_id = nullif(i.pid, 0), kind = i.kind, subject = i.subject, issuer = i.issuer,
				issued_on = i.issued, registered_until = i.until, updated_at = $10
			FROM input i
			WHERE c.certificate_no = i.no AND NOT EXISTS (SELECT 1 FROM missing)
			RETURNING 1
		)
		SELECT (SELECT no FROM missing), (SELECT count(*) FROM upd)`,
		a.no, a.name, a.folded, a.pid, a.kind, a.subject, a.issuer, a.issued, a.until, now).Scan(&missing, &updated)
	if err != nil {
		return wrap("update credentials", err)
	}
	if missing.Valid {
		return store.FieldError(store.ENotFound, "certificate_no", "no credential numbered %s", missing.String)
	}
	if updated != len(a.no) { // every number exists, so every row must have changed
		return fmt.Errorf("postgres: update credentials: %d of %d rows updated", updated, len(a.no))
	}
	for _, c := range cs {
		c.UpdatedAt = now
	}
	return nil
}

// lastOfEach drops all but the last occurrence of each certificate number,
// because one UPDATE cannot change a row twice.
func lastOfEach(cs []*store.Credential) []*store.Credential {
	seen := make(map[string]bool, len(cs))
	out := make([]*store.Credential, 0, len(cs))
	for _, c := range slices.Backward(cs) {
		if !seen[c.CertificateNo] {
			seen[c.CertificateNo] = true
			out = append(out, c)
		}
	}
	slices.Reverse(out)
	return out
}

// credentialArrays holds the register fields of credentials column by
// column, as the bulk statements take them.
type credentialArrays struct {
	no, name, folded, kind, subject, issuer []string
	pid                                     []int64
	issued, until                           []pgtype.Date
}

func newCredentialArrays(cs []*store.Credential) credentialArrays {
	n := len(cs)
	a := credentialArrays{
		no: make([]string, n), name: make([]string, n), folded: make([]string, n),
		kind: make([]string, n), subject: make([]string, n), issuer: make([]string, n),
		pid: make([]int64, n), issued: make([]pgtype.Date, n), until: make([]pgtype.Date, n),
	}
	for i, c := range cs {
		a.no[i], a.name[i], a.folded[i] = c.CertificateNo, c.HolderName, c.HolderNameFolded
		a.kind[i], a.subject[i], a.issuer[i] = c.Kind, c.Subject, c.Issuer
		a.pid[i], a.issued[i], a.until[i] = c.PersonID, dateArg(c.IssuedOn), dateArg(c.RegisteredUntil)
	}
	return a
}

// CorrectCredential rewrites the identifying fields of a credential if it
// still holds from's values. One conditional UPDATE: under READ COMMITTED
// a concurrent writer's row lock makes it wait, then re-check the
// condition against the committed row, so of two corrections decided from
// one state the second matches nothing. EConflict then; ENotFound when the
// number does not exist.
func (t *tx) CorrectCredential(ctx context.Context, from, to *store.Credential, at time.Time) error {
	if from.CertificateNo != to.CertificateNo {
		return store.FieldError(store.EInvalid, "certificate_no", "a correction keeps the certificate number")
	}
	tag, err := t.tx.Exec(ctx, `UPDATE credentials SET holder_name = $2, holder_name_folded = $3,
			person_id = nullif($4::bigint, 0), kind = $5, issued_on = $6, updated_at = $7
		WHERE certificate_no = $1 AND holder_name = $8 AND holder_name_folded = $9
			AND person_id IS NOT DISTINCT FROM nullif($10::bigint, 0) AND kind = $11
			AND issued_on IS NOT DISTINCT FROM $12::date`,
		from.CertificateNo, to.HolderName, to.HolderNameFolded, to.PersonID, to.Kind, dateArg(to.IssuedOn),
		timeArg(at), from.HolderName, from.HolderNameFolded, from.PersonID, from.Kind, dateArg(from.IssuedOn))
	if err != nil {
		return wrap("correct credential", err)
	}
	return t.credentialMoved(ctx, "correct credential", tag, from.CertificateNo,
		fmt.Sprintf("credential %s was changed by someone else a moment ago", from.CertificateNo))
}

// LockCredentials reads the credentials among numbers with FOR UPDATE, in
// number order so that two transactions locking overlapping sets take the
// locks in one order. Under READ COMMITTED a plain read followed by a write
// could overwrite a change committed between them; a row locked here waits
// for a concurrent writer to finish and is then read as it committed.
func (t *tx) LockCredentials(ctx context.Context, numbers []string) (map[string]*store.Credential, error) {
	out := make(map[string]*store.Credential, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT `+credentialCols+` FROM credentials
		WHERE certificate_no = ANY($1::text[]) ORDER BY certificate_no FOR UPDATE`, numbers)
	if err != nil {
		return nil, wrap("lock credentials", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Credential, error) {
		return scanCredential(row)
	})
	if err != nil {
		return nil, wrap("lock credentials", err)
	}
	for _, c := range cs {
		out[c.CertificateNo] = c
	}
	return out, nil
}

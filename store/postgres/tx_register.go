package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// CreatePersons inserts ps and sets their IDs, or inserts none and returns
// EConflict if an IDHash is taken (by a stored person or by another in ps).
func (t *tx) CreatePersons(ctx context.Context, ps []*store.Person) error {
	if len(ps) == 0 {
		return nil
	}
	names := make([]string, len(ps))
	hashes := make([][]byte, len(ps))
	created := make([]pgtype.Timestamptz, len(ps))
	for i, p := range ps {
		names[i], hashes[i], created[i] = p.Name, p.IDHash, timeArg(p.CreatedAt)
	}
	// The ids are drawn before inserting so that each input row knows its
	// own: the order of RETURNING is not guaranteed to follow the input.
	// input is referenced twice and calls nextval, so it is evaluated once.
	rows, err := t.tx.Query(ctx, `WITH input AS MATERIALIZED (
			SELECT nextval(pg_get_serial_sequence('persons', 'id')) AS id, u.name, u.id_hash, u.created_at, u.ord
			FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) WITH ORDINALITY AS u(name, id_hash, created_at, ord)
		), ins AS (
			INSERT INTO persons (id, name, id_hash, created_at)
			SELECT id, name, id_hash, created_at FROM input ORDER BY ord
			ON CONFLICT (id_hash) DO NOTHING
			RETURNING id
		)
		SELECT input.id, ins.id IS NOT NULL FROM input LEFT JOIN ins ON ins.id = input.id ORDER BY input.ord`,
		names, hashes, created)
	if err != nil {
		return wrap("create persons", err)
	}
	ids := make([]int64, 0, len(ps))
	var inserted []int64
	var id int64
	var ok bool
	_, err = pgx.ForEachRow(rows, []any{&id, &ok}, func() error {
		ids = append(ids, id)
		if ok {
			inserted = append(inserted, id)
		}
		return nil
	})
	if err != nil {
		return wrap("create persons", err)
	}
	if len(inserted) < len(ps) {
		if err := t.undo(ctx, `DELETE FROM persons WHERE id = ANY($1::bigint[])`, inserted); err != nil {
			return err
		}
		return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
	}
	for i, p := range ps {
		p.ID = ids[i]
	}
	return nil
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

// undo deletes rows a bulk insert made before it found a conflict.
func (t *tx) undo(ctx context.Context, sql string, keys any) error {
	_, err := t.tx.Exec(ctx, sql, keys)
	return wrap("undo partial insert", err)
}

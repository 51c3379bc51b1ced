package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"ethicsportal/store"
)

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

func scanCredential(sc rowScanner, c *store.Credential) error {
	return sc.Scan(&c.CertificateNo, &c.HolderName, &c.HolderNameFolded, idCol{&c.PersonID},
		&c.Kind, &c.Subject, &c.Issuer, &c.IssuedOn, &c.RegisteredUntil,
		&c.Status, &c.SuspendedUntil, &c.StatusReason, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
}

// dateArg encodes d as its text, NULL for the zero date. It does what
// store.Date's Valuer does, without database/sql's reflective detour
// through driver.Valuer on every parameter of a 1,000-row import.
func dateArg(d store.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// CredentialByNumber returns the credential with that normalised number, or
// ENotFound.
func (r reader) CredentialByNumber(ctx context.Context, certificateNo string) (*store.Credential, error) {
	c := new(store.Credential)
	err := scanCredential(r.src.stmt(ctx, sCredentialByNumber).QueryRowContext(ctx, certificateNo), c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such credential")
	}
	if err != nil {
		return nil, wrap("credential by number", err)
	}
	return c, nil
}

// CredentialsByNumbers returns the credentials among numbers that exist,
// keyed by number. The numbers go to SQLite as one JSON parameter, so any
// number of them takes one prepared statement and one round trip, with no
// parameter limit to chunk around.
func (r reader) CredentialsByNumbers(ctx context.Context, numbers []string) (map[string]*store.Credential, error) {
	out := make(map[string]*store.Credential, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	keys, err := jsonStrings(numbers)
	if err != nil {
		return nil, err
	}
	rows, err := r.src.stmt(ctx, sCredentialsByNumbers).QueryContext(ctx, keys)
	if err != nil {
		return nil, wrap("credentials by numbers", err)
	}
	defer rows.Close()
	for rows.Next() {
		c := new(store.Credential)
		if err := scanCredential(rows, c); err != nil {
			return nil, wrap("credentials by numbers", err)
		}
		out[c.CertificateNo] = c
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("credentials by numbers", err)
	}
	return out, nil
}

// InsertCredentials inserts cs with CreatedAt and UpdatedAt set to now
// (to the microsecond, in UTC: the value a read returns). EConflict, naming
// the number, if one exists or occurs twice in cs; then nothing is inserted
// and cs is left as it was.
func (t *txn) InsertCredentials(ctx context.Context, cs []*store.Credential, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	now = now.Truncate(time.Microsecond).UTC()
	nowArg := timeArg(now)
	if n, err := t.countCredentials(ctx, cs); err != nil {
		return err
	} else if n > 0 || hasRepeats(cs) {
		return t.credentialConflict(ctx, cs, cs)
	}
	args := make([]any, 0, insertCredentialSizes[0].rows*credentialColCount)
	err := t.checked(func() error {
		return chunks(cs, insertCredentialSizes, func(chunk []*store.Credential, id stmtID) error {
			args = args[:0]
			for _, c := range chunk {
				args = append(args, c.CertificateNo, c.HolderName, c.HolderNameFolded, idArg(c.PersonID),
					c.Kind, c.Subject, c.Issuer, dateArg(c.IssuedOn), dateArg(c.RegisteredUntil),
					c.Status, dateArg(c.SuspendedUntil), c.StatusReason, nowArg, nowArg)
			}
			_, err := t.stmt(ctx, id).ExecContext(ctx, args...)
			if isUnique(err) {
				return t.credentialConflict(ctx, cs, chunk)
			}
			return wrap("insert credentials", err)
		})
	})
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.CreatedAt, c.UpdatedAt = now, now
	}
	return nil
}

// credentialConflict names the number that made inserting chunk, part of cs,
// fail on the primary key: one that occurs twice in cs, or one in chunk that
// was there before. The failed statement inserted nothing, so a number of
// chunk found in the table was not put there by this call.
func (t *txn) credentialConflict(ctx context.Context, cs, chunk []*store.Credential) error {
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if seen[c.CertificateNo] {
			return store.FieldError(store.EConflict, "certificate_no", "certificate number %s occurs twice", c.CertificateNo)
		}
		seen[c.CertificateNo] = true
	}
	if found, err := t.CredentialsByNumbers(ctx, numbersOf(chunk)); err == nil {
		for _, c := range chunk {
			if found[c.CertificateNo] != nil {
				return store.FieldError(store.EConflict, "certificate_no", "certificate number %s exists", c.CertificateNo)
			}
		}
	}
	return store.FieldError(store.EConflict, "certificate_no", "a certificate number exists")
}

func numbersOf(cs []*store.Credential) []string {
	numbers := make([]string, len(cs))
	for i, c := range cs {
		numbers[i] = c.CertificateNo
	}
	return numbers
}

// UpdateCredentialRecords rewrites the register fields of existing
// credentials and sets UpdatedAt to now; status fields and CreatedAt are
// not in the statement at all. A number given twice gets its last record,
// as if the rows were written one by one. ENotFound, naming the number, if
// one does not exist; then nothing is changed and cs is left as it was.
func (t *txn) UpdateCredentialRecords(ctx context.Context, cs []*store.Credential, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	now = now.Truncate(time.Microsecond).UTC()
	// In a multi-row UPDATE ... FROM, a row matched twice takes either
	// record, so each number must occur once per call.
	rows := lastOfEach(cs)
	if n, err := t.countCredentials(ctx, rows); err != nil {
		return err
	} else if n != len(rows) {
		return t.credentialMissing(ctx, rows)
	}
	args := make([]any, 0, 1+updateCredentialSizes[0].rows*updateRecordCols)
	err := t.checked(func() error {
		return chunks(rows, updateCredentialSizes, func(chunk []*store.Credential, id stmtID) error {
			args = append(args[:0], timeArg(now))
			for _, c := range chunk {
				args = append(args, c.CertificateNo, c.HolderName, c.HolderNameFolded, idArg(c.PersonID),
					c.Kind, c.Subject, c.Issuer, dateArg(c.IssuedOn), dateArg(c.RegisteredUntil))
			}
			res, err := t.stmt(ctx, id).ExecContext(ctx, args...)
			if err != nil {
				return wrap("update credential records", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return wrap("update credential records", err)
			}
			if n != int64(len(chunk)) {
				return t.credentialMissing(ctx, chunk)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.UpdatedAt = now
	}
	return nil
}

// countCredentials counts how many of cs's numbers are in the table.
func (t *txn) countCredentials(ctx context.Context, cs []*store.Credential) (int, error) {
	keys, err := jsonStrings(numbersOf(cs))
	if err != nil {
		return 0, err
	}
	var n int
	if err := t.stmt(ctx, sCountCredentialsIn).QueryRowContext(ctx, keys).Scan(&n); err != nil {
		return 0, wrap("count credentials", err)
	}
	return n, nil
}

func hasRepeats(cs []*store.Credential) bool {
	seen := make(map[string]struct{}, len(cs))
	for _, c := range cs {
		if _, dup := seen[c.CertificateNo]; dup {
			return true
		}
		seen[c.CertificateNo] = struct{}{}
	}
	return false
}

// lastOfEach returns cs with every number kept only at its last occurrence.
// It returns cs itself in the usual case of no repeats.
func lastOfEach(cs []*store.Credential) []*store.Credential {
	last := make(map[string]int, len(cs))
	for i, c := range cs {
		last[c.CertificateNo] = i
	}
	if len(last) == len(cs) {
		return cs
	}
	out := make([]*store.Credential, 0, len(last))
	for i, c := range cs {
		if last[c.CertificateNo] == i {
			out = append(out, c)
		}
	}
	return out
}

// credentialMissing names a number of chunk that is not in the table.
func (t *txn) credentialMissing(ctx context.Context, chunk []*store.Credential) error {
	if found, err := t.CredentialsByNumbers(ctx, numbersOf(chunk)); err == nil {
		for _, c := range chunk {
			if found[c.CertificateNo] == nil {
				return store.FieldError(store.ENotFound, "certificate_no", "no credential numbered %s", c.CertificateNo)
			}
		}
	}
	return store.FieldError(store.ENotFound, "certificate_no", "a certificate number does not exist")
}

// CorrectCredential rewrites the identifying fields of a credential, if it
// still holds from's. One conditional UPDATE: of two corrections decided
// from one state, the second matches no row. EConflict then; ENotFound when
// the number does not exist.
func (t *txn) CorrectCredential(ctx context.Context, from, to *store.Credential, at time.Time) error {
	if from.CertificateNo != to.CertificateNo {
		return store.FieldError(store.EInvalid, "certificate_no", "a correction keeps the certificate number")
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE credentials SET holder_name = ?, holder_name_folded = ?,
			person_id = ?, kind = ?, issued_on = ?, updated_at = ?
		WHERE certificate_no = ? AND holder_name = ? AND holder_name_folded = ? AND person_id IS ?
			AND kind = ? AND issued_on IS ?`,
		to.HolderName, to.HolderNameFolded, idArg(to.PersonID), to.Kind, dateArg(to.IssuedOn),
		timeArg(at.Truncate(time.Microsecond)), from.CertificateNo, from.HolderName, from.HolderNameFolded,
		idArg(from.PersonID), from.Kind, dateArg(from.IssuedOn))
	return t.credentialMoved(ctx, "correct credential", res, err, from.CertificateNo,
		fmt.Sprintf("credential %s was changed by someone else a moment ago", from.CertificateNo))
}

// LockCredentials is CredentialsByNumbers: a write transaction holds
// SQLite's one write lock, so no other writer can change what it read.
func (t *txn) LockCredentials(ctx context.Context, numbers []string) (map[string]*store.Credential, error) {
	return t.CredentialsByNumbers(ctx, numbers)
}

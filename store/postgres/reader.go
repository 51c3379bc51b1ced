package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// reader implements store.Reader over the pool (outside a transaction) or
// a pgx.Tx (inside one).
type reader struct {
	q querier
}

const userCols = `username, password_hash, roles, totp_secret, totp_last_step, created_at, disabled`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.Username, &u.PasswordHash, &u.Roles, &u.TOTPSecret, &u.TOTPLastStep, timeCol{&u.CreatedAt}, &u.Disabled); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByName returns the administrator with that username, or ENotFound.
func (r reader) UserByName(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(r.q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	if err != nil {
		return nil, lookupErr("user", err, "no such user")
	}
	return u, nil
}

// Users returns every administrator, ordered by username.
func (r reader) Users(ctx context.Context) ([]store.User, error) {
	rows, err := r.q.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, wrap("users", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("users", err)
		}
		out = append(out, *u)
	}
	return out, wrap("users", rows.Err())
}

// TokenDenied reports whether jti is on the deny list, expired or not: an
// entry lasts until PurgeDeniedTokens removes it, by which time the token
// itself has expired.
func (r reader) TokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE jti = $1)`, jti).Scan(&denied)
	return denied, wrap("denied token", err)
}

// SigningKeys returns the keys of purpose, oldest generation first; an
// empty slice when there are none.
func (r reader) SigningKeys(ctx context.Context, purpose string) ([]store.SigningKey, error) {
	rows, err := r.q.Query(ctx, `SELECT kid, purpose, generation, private_key, created_at
		FROM signing_keys WHERE purpose = $1 ORDER BY generation`, purpose)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.SigningKey, error) {
		var k store.SigningKey
		err := row.Scan(&k.KID, &k.Purpose, &k.Generation, &k.PrivateKey, timeCol{&k.CreatedAt})
		return k, err
	})
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	if keys == nil {
		keys = []store.SigningKey{}
	}
	return keys, nil
}

// Secret returns the named secret value, or ENotFound.
func (r reader) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := r.q.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, lookupErr("secret", err, "no such secret")
	}
	return v, nil
}

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

func scanPerson(row pgx.Row) (*store.Person, error) {
	var p store.Person
	if err := row.Scan(&p.ID, &p.Name, &p.IDHash, timeCol{&p.CreatedAt}); err != nil {
		return nil, err
	}
	return &p, nil
}

// PersonsByIDHashes returns those of the persons named that exist, keyed by
// string(IDHash), in one query. Nil hashes match nobody.
func (r reader) PersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx,
		`SELECT id, name, id_hash, created_at FROM persons WHERE id_hash = ANY($1::bytea[])`, hashes)
	if err != nil {
		return nil, wrap("persons", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Person, error) {
		return scanPerson(row)
	})
	if err != nil {
		return nil, wrap("persons", err)
	}
	for _, p := range ps {
		out[string(p.IDHash)] = p
	}
	return out, nil
}

// LockPersonsByIDHashes reads the persons among hashes with FOR SHARE, in
// hash order: a concurrent RenamePerson or SetPersonIDHash (an UPDATE,
// which needs a stronger lock) waits until this transaction ends, and one
// that committed first is read as it committed. FOR SHARE rather than FOR
// UPDATE: imports linking credentials to one person do not wait for each
// other, and a ban's foreign key check (KEY SHARE) is not held up.
func (t *tx) LockPersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT id, name, id_hash, created_at FROM persons
		WHERE id_hash = ANY($1::bytea[]) ORDER BY id_hash FOR SHARE`, hashes)
	if err != nil {
		return nil, wrap("lock persons", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Person, error) {
		return scanPerson(row)
	})
	if err != nil {
		return nil, wrap("lock persons", err)
	}
	for _, p := range ps {
		out[string(p.IDHash)] = p
	}
	return out, nil
}

// PersonByID returns the person with that id, or ENotFound.
func (r reader) PersonByID(ctx context.Context, id int64) (*store.Person, error) {
	p, err := scanPerson(r.q.QueryRow(ctx, `SELECT id, name, id_hash, created_at FROM persons WHERE id = $1`, id))
	if err != nil {
		return nil, lookupErr("person", err, "no such person")
	}
	return p, nil
}

const banCols = `id, person_id, scope, starts_on, ends_on, reason, coalesce(case_id, ''), created_at, lifted_at`

func scanBan(row pgx.Row, b *store.Ban) error {
	return row.Scan(&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason,
		&b.CaseID, timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt})
}

// BanByID returns the ban with that id, lifted or not, or ENotFound.
func (r reader) BanByID(ctx context.Context, id int64) (*store.Ban, error) {
	var b store.Ban
	if err := scanBan(r.q.QueryRow(ctx, `SELECT `+banCols+` FROM bans WHERE id = $1`, id), &b); err != nil {
		return nil, lookupErr("ban", err, "no such ban")
	}
	return &b, nil
}

// BansForPerson returns the person's bans, lifted ones included, in the
// order they were created; an empty slice for 0 or an unknown id.
func (r reader) BansForPerson(ctx context.Context, personID int64) ([]store.Ban, error) {
	if personID == 0 {
		return []store.Ban{}, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+banCols+` FROM bans WHERE person_id = $1 ORDER BY id`, personID)
	if err != nil {
		return nil, wrap("bans", err)
	}
	bans, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Ban, error) {
		var b store.Ban
		err := scanBan(row, &b)
		return b, err
	})
	if err != nil {
		return nil, wrap("bans", err)
	}
	if bans == nil {
		bans = []store.Ban{}
	}
	return bans, nil
}

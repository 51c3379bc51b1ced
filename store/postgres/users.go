package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// Writes of the sign-in side: administrators, the token deny list, signing
// keys and secrets. Where a key may already be taken the insert says ON
// CONFLICT DO NOTHING and the row count tells, because a unique violation
// would abort the whole transaction, not just the statement.

const userCols = `username, password_hash, roles, totp_secret, totp_last_step, created_at, disabled, tokens_not_before`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.Username, &u.PasswordHash, &u.Roles, &u.TOTPSecret, &u.TOTPLastStep, timeCol{&u.CreatedAt}, &u.Disabled, timeCol{&u.TokensNotBefore}); err != nil {
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

// CreateUser adds an administrator, or returns EConflict if the username is
// taken, leaving the transaction usable.
func (t *tx) CreateUser(ctx context.Context, u *store.User) error {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (username) DO NOTHING`,
		u.Username, u.PasswordHash, roles, u.TOTPSecret, u.TOTPLastStep, timeArg(u.CreatedAt), u.Disabled, timeArg(u.TokensNotBefore))
	if err != nil {
		return wrap("create user", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.EConflict, "username", "the username is taken")
	}
	return nil
}

// usersLock is the key of the transaction-level advisory lock that
// serialises changes to users. Under READ COMMITTED a row lock on the user
// being changed is not enough for the last-admin rule: two admins disabling
// each other lock different rows, each counts the other as still enabled,
// and both commit. Holding one lock across the count and the write closes
// that gap; the count, a new statement, then sees every committed change.
const usersLock = 0x65705f7573657273 // "ep_users"

// UpdateUser applies ch to the user under the users lock. ENotFound if
// there is no such user; ELastAdmin, changing nothing, if no other enabled
// admin would remain.
func (t *tx) UpdateUser(ctx context.Context, username string, ch store.UserChange) (*store.User, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(usersLock)); err != nil {
		return nil, wrap("update user: lock", err)
	}
	cur, err := scanUser(t.tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1 FOR UPDATE`, username))
	if err != nil {
		return nil, lookupErr("user", err, "no such user")
	}
	next := ch.Apply(*cur)
	if cur.EnabledAdmin() && !next.EnabledAdmin() {
		var others int
		if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM users
			WHERE username <> $1 AND NOT disabled AND 'admin' = ANY (roles)`, username).Scan(&others); err != nil {
			return nil, wrap("update user", err)
		}
		if others == 0 {
			return nil, store.Errorf(store.ELastAdmin, "%s is the last enabled admin", username)
		}
	}
	roles := next.Roles
	if roles == nil {
		roles = []string{}
	}
	if _, err := t.tx.Exec(ctx, `UPDATE users SET password_hash = $2, roles = $3, totp_secret = $4,
		totp_last_step = $5, disabled = $6, tokens_not_before = $7 WHERE username = $1`,
		username, next.PasswordHash, roles, next.TOTPSecret, next.TOTPLastStep, next.Disabled,
		timeArg(next.TokensNotBefore)); err != nil {
		return nil, wrap("update user", err)
	}
	return &next, nil
}

// AdvanceTOTPStep is one conditional UPDATE: when two instances race with
// the same step, the second waits for the first's row lock, re-checks the
// condition against the committed row and changes nothing. ENotFound when
// the user does not exist.
func (t *tx) AdvanceTOTPStep(ctx context.Context, username string, step int64) (bool, error) {
	tag, err := t.tx.Exec(ctx,
		`UPDATE users SET totp_last_step = $2 WHERE username = $1 AND totp_last_step < $2`, username, step)
	if err != nil {
		return false, wrap("advance TOTP step", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var exists bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)`, username).Scan(&exists); err != nil {
		return false, wrap("advance TOTP step", err)
	}
	if !exists {
		return false, store.Errorf(store.ENotFound, "no such user")
	}
	return false, nil
}

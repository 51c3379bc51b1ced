package postgres

import (
	"context"
	"time"

	"ethicsportal/store"
)

// Writes of the sign-in side: administrators, the token deny list, signing
// keys and secrets. Where a key may already be taken the insert says ON
// CONFLICT DO NOTHING and the row count tells, because a unique violation
// would abort the whole transaction, not just the statement.

// CreateUser adds an administrator, or returns EConflict if the username is
// taken, leaving the transaction usable.
func (t *tx) CreateUser(ctx context.Context, u *store.User) error {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (username) DO NOTHING`,
		u.Username, u.PasswordHash, roles, u.TOTPSecret, u.TOTPLastStep, timeArg(u.CreatedAt), u.Disabled)
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
		totp_last_step = $5, disabled = $6 WHERE username = $1`,
		username, next.PasswordHash, roles, next.TOTPSecret, next.TOTPLastStep, next.Disabled); err != nil {
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

// DenyToken puts jti on the deny list until expiresAt; with the zero time
// the entry is never purged. Denying it again keeps the later expiry, so a
// second denial can never shorten the first. (greatest alone would not do:
// it ignores NULL, which here means "never".)
func (t *tx) DenyToken(ctx context.Context, jti string, expiresAt time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO denied_tokens (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
			WHEN denied_tokens.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
			ELSE greatest(denied_tokens.expires_at, excluded.expires_at) END`,
		jti, timeArg(expiresAt))
	return wrap("deny token", err)
}

// PurgeDeniedTokens removes the entries that expired strictly before the
// given time and returns how many there were.
func (t *tx) PurgeDeniedTokens(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM denied_tokens WHERE expires_at < $1`, timeArg(before))
	if err != nil {
		return 0, wrap("purge denied tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// AddSigningKey stores k unless its purpose and generation are taken, in
// which case it reports false. A KID already held by a key of another
// purpose or generation is EConflict: two different keys cannot share an
// id. The insert yields to either key so that the transaction stays
// usable; which one was taken is asked afterwards.
func (t *tx) AddSigningKey(ctx context.Context, k store.SigningKey) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO signing_keys (kid, purpose, generation, private_key, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		k.KID, k.Purpose, k.Generation, k.PrivateKey, timeArg(k.CreatedAt))
	if err != nil {
		return false, wrap("add signing key", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var other bool
	err = t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys
		WHERE kid = $1 AND (purpose <> $2 OR generation <> $3))`, k.KID, k.Purpose, k.Generation).Scan(&other)
	if err != nil {
		return false, wrap("add signing key", err)
	}
	if other {
		return false, store.FieldError(store.EConflict, "kid", "the key id is taken")
	}
	return false, nil
}

// PutSecretIfAbsent stores value under name unless the name is taken; the
// first writer wins and later ones change nothing.
func (t *tx) PutSecretIfAbsent(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{} // the column is NOT NULL; an empty secret is still a secret
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, value)
	return wrap("put secret", err)
}

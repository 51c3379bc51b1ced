package postgres

import (
	"context"
	"time"
)

// TokenDenied reports whether jti is on the deny list, expired or not: an
// entry lasts until PurgeDeniedTokens removes it, by which time the token
// itself has expired.
func (r reader) TokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE jti = $1)`, jti).Scan(&denied)
	return denied, wrap("denied token", err)
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

// DeniedTokens returns the entries expiring at or after t, and those with
// no expiry.
func (r reader) DeniedTokens(ctx context.Context, t time.Time) (map[string]time.Time, error) {
	rows, err := r.q.Query(ctx, `SELECT jti, expires_at FROM denied_tokens WHERE expires_at IS NULL OR expires_at >= $1`, timeArg(t))
	if err != nil {
		return nil, wrap("denied tokens", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time)
	for rows.Next() {
		var jti string
		var exp time.Time
		if err := rows.Scan(&jti, timeCol{&exp}); err != nil {
			return nil, wrap("denied tokens", err)
		}
		out[jti] = exp
	}
	return out, wrap("denied tokens", rows.Err())
}

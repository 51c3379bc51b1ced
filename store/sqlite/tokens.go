package sqlite

import (
	"context"
	"time"
)

// TokenDenied reports whether jti is on the deny list. An entry counts
// until it is purged, whatever its expiry: the token it names is refused
// for having expired by then anyway.
func (r reader) TokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	if err := r.src.stmt(ctx, sTokenDenied).QueryRowContext(ctx, jti).Scan(&denied); err != nil {
		return false, wrap("token denied", err)
	}
	return denied, nil
}

// DenyToken puts jti on the deny list until expiresAt; with the zero time
// the entry is never purged. Denying it again keeps the later of the two
// expiries, so a repeated denial can never shorten the first.
func (t *txn) DenyToken(ctx context.Context, jti string, expiresAt time.Time) error {
	_, err := t.stmt(ctx, sDenyToken).ExecContext(ctx, jti, timeArg(expiresAt))
	return wrap("deny token", err)
}

// PurgeDeniedTokens removes the entries that expired strictly before t and
// returns how many there were.
func (t *txn) PurgeDeniedTokens(ctx context.Context, before time.Time) (int, error) {
	res, err := t.stmt(ctx, sPurgeDeniedTokens).ExecContext(ctx, before.UnixMicro())
	if err != nil {
		return 0, wrap("purge denied tokens", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("purge denied tokens", err)
	}
	return int(n), nil
}

// DeniedTokens returns the entries expiring at or after t, and those with
// no expiry.
func (r reader) DeniedTokens(ctx context.Context, t time.Time) (map[string]time.Time, error) {
	rows, err := r.src.stmt(ctx, sDeniedTokens).QueryContext(ctx, t.UnixMicro())
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

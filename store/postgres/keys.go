package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

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

// Secret returns the named secret value, or ENotFound.
func (r reader) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := r.q.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, lookupErr("secret", err, "no such secret")
	}
	return v, nil
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

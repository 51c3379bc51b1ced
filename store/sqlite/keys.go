package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"ethicsportal/store"
)

// SigningKeys returns the keys for purpose, oldest generation first; none is
// an empty slice.
func (r reader) SigningKeys(ctx context.Context, purpose string) ([]store.SigningKey, error) {
	rows, err := r.src.stmt(ctx, sSigningKeys).QueryContext(ctx, purpose)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	defer rows.Close()
	keys := []store.SigningKey{}
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(&k.KID, &k.Purpose, &k.Generation, bytesCol{&k.PrivateKey}, timeCol{&k.CreatedAt}); err != nil {
			return nil, wrap("signing keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("signing keys", err)
	}
	return keys, nil
}

// AddSigningKey stores k and reports true, or reports false when the
// purpose already has that generation. The conflict is resolved by the
// UNIQUE constraint in one statement, so two instances rotating at the same
// moment cannot both win. A KID used by another key is EConflict.
func (t *txn) AddSigningKey(ctx context.Context, k store.SigningKey) (bool, error) {
	res, err := t.stmt(ctx, sAddSigningKey).ExecContext(ctx,
		k.KID, k.Purpose, k.Generation, blobArg(k.PrivateKey), timeArg(k.CreatedAt))
	if isUnique(err) {
		return false, store.FieldError(store.EConflict, "kid", "the key id is taken")
	}
	if err != nil {
		return false, wrap("add signing key", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("add signing key", err)
	}
	return n == 1, nil
}

// Secret returns the named secret value, or ENotFound.
func (r reader) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := r.src.stmt(ctx, sSecret).QueryRowContext(ctx, name).Scan(bytesCol{&v})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such secret")
	}
	if err != nil {
		return nil, wrap("secret", err)
	}
	return v, nil
}

// PutSecretIfAbsent stores value under name unless the name is taken. A nil
// value is stored as an empty one.
func (t *txn) PutSecretIfAbsent(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := t.stmt(ctx, sPutSecret).ExecContext(ctx, name, value)
	return wrap("put secret", err)
}

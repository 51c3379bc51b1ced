package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"ethicsportal/store"
)

// UserByName returns the administrator with that username, or ENotFound.
func (r reader) UserByName(ctx context.Context, username string) (*store.User, error) {
	var (
		u     store.User
		roles string
	)
	err := r.src.stmt(ctx, sUserByName).QueryRowContext(ctx, username).Scan(
		&u.Username, &u.PasswordHash, &roles, bytesCol{&u.TOTPSecret}, &u.TOTPLastStep, timeCol{&u.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such user")
	}
	if err != nil {
		return nil, wrap("user by name", err)
	}
	if u.Roles, err = decodeStrings("roles", roles); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser adds an administrator; EConflict if the username is taken.
func (t *txn) CreateUser(ctx context.Context, u *store.User) error {
	roles, err := encodeStrings("roles", u.Roles)
	if err != nil {
		return err
	}
	_, err = t.stmt(ctx, sCreateUser).ExecContext(ctx,
		u.Username, u.PasswordHash, roles, blobArg(u.TOTPSecret), u.TOTPLastStep, timeArg(u.CreatedAt))
	if isUnique(err) {
		return store.FieldError(store.EConflict, "username", "the username is taken")
	}
	return wrap("create user", err)
}

// AdvanceTOTPStep records step if it is later than the recorded one and
// reports whether it did. The comparison is in the UPDATE itself, so two
// sign-ins with the same code cannot both pass even across instances. An
// unknown user is ENotFound.
func (t *txn) AdvanceTOTPStep(ctx context.Context, username string, step int64) (bool, error) {
	res, err := t.stmt(ctx, sAdvanceTOTPStep).ExecContext(ctx, username, step)
	if err != nil {
		return false, wrap("advance totp step", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("advance totp step", err)
	}
	if n > 0 {
		return true, nil
	}
	var exists bool
	if err := t.stmt(ctx, sUserExists).QueryRowContext(ctx, username).Scan(&exists); err != nil {
		return false, wrap("advance totp step", err)
	}
	if !exists {
		return false, store.Errorf(store.ENotFound, "no such user")
	}
	return false, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"ethicsportal/store"
)

// scanUser reads one row of userCols.
func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var (
		u     store.User
		roles string
	)
	if err := row.Scan(&u.Username, &u.PasswordHash, &roles, bytesCol{&u.TOTPSecret}, &u.TOTPLastStep,
		timeCol{&u.CreatedAt}, &u.Disabled, timeCol{&u.TokensNotBefore}); err != nil {
		return nil, err
	}
	var err error
	if u.Roles, err = decodeStrings("roles", roles); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByName returns the administrator with that username, or ENotFound.
func (r reader) UserByName(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(r.src.stmt(ctx, sUserByName).QueryRowContext(ctx, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such user")
	}
	if err != nil {
		return nil, wrap("user by name", err)
	}
	return u, nil
}

// Users returns every administrator, ordered by username.
func (r reader) Users(ctx context.Context) ([]store.User, error) {
	rows, err := r.src.stmt(ctx, sUsers).QueryContext(ctx)
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

// CreateUser adds an administrator; EConflict if the username is taken.
func (t *txn) CreateUser(ctx context.Context, u *store.User) error {
	roles, err := encodeStrings("roles", u.Roles)
	if err != nil {
		return err
	}
	_, err = t.stmt(ctx, sCreateUser).ExecContext(ctx,
		u.Username, u.PasswordHash, roles, blobArg(u.TOTPSecret), u.TOTPLastStep, timeArg(u.CreatedAt), u.Disabled, timeArg(u.TokensNotBefore))
	if isUnique(err) {
		return store.FieldError(store.EConflict, "username", "the username is taken")
	}
	return wrap("create user", err)
}

// UpdateUser applies ch to the user. SQLite's single writer (every Update
// begins IMMEDIATE) serialises it with every other write, so the count of
// the other enabled admins cannot change between the check and the write.
func (t *txn) UpdateUser(ctx context.Context, username string, ch store.UserChange) (*store.User, error) {
	cur, err := t.UserByName(ctx, username)
	if err != nil {
		return nil, err
	}
	next := ch.Apply(*cur)
	if cur.EnabledAdmin() && !next.EnabledAdmin() {
		var others int
		if err := t.stmt(ctx, sCountOtherEnabledAdmins).QueryRowContext(ctx, username).Scan(&others); err != nil {
			return nil, wrap("update user", err)
		}
		if others == 0 {
			return nil, store.Errorf(store.ELastAdmin, "%s is the last enabled admin", username)
		}
	}
	roles, err := encodeStrings("roles", next.Roles)
	if err != nil {
		return nil, err
	}
	if _, err := t.stmt(ctx, sUpdateUser).ExecContext(ctx, username, next.PasswordHash, roles,
		blobArg(next.TOTPSecret), next.TOTPLastStep, next.Disabled, timeArg(next.TokensNotBefore)); err != nil {
		return nil, wrap("update user", err)
	}
	return &next, nil
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

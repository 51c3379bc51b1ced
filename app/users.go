package app

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"ethicsportal/auth"
	"ethicsportal/store"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = auth.MinPasswordLength

// NewUser is what it takes to add an administrator.
type NewUser struct {
	Username string
	Password string
	Roles    []string
}

// AddedUser is the result of AddUser. TOTPURI is the enrolment URI to show
// the new user once, when TOTP sign-in is required; empty otherwise.
type AddedUser struct {
	Username string
	Roles    []string
	TOTPURI  string
}

// AddUser creates an administrator and audits it. EInvalid for a bad username, a password
// under MinPasswordLength characters or an unknown role; EConflict if the
// username is taken.
// actor is who adds the user, for the audit log.
func (a *App) AddUser(ctx context.Context, actor string, in NewUser) (*AddedUser, error) {
	return a.addUser(ctx, actor, in, a.cfg.RequireTOTP)
}

func (a *App) addUser(ctx context.Context, actor string, in NewUser, withTOTP bool) (*AddedUser, error) {
	username := strings.ToLower(strings.TrimSpace(in.Username))
	if !usernamePattern.MatchString(username) {
		return nil, store.FieldError(store.EInvalid, "username", "a username is 2 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := auth.CheckPasswordPolicy(in.Password); err != nil {
		return nil, err
	}
	roles, err := normaliseRoles(in.Roles)
	if err != nil {
		return nil, err
	}
	hash, err := a.passwords.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	u := &store.User{Username: username, PasswordHash: hash, Roles: roles, CreatedAt: a.now()}
	out := &AddedUser{Username: username, Roles: roles}
	if withTOTP {
		if u.TOTPSecret, out.TOTPURI, err = auth.NewTOTP(TOTPIssuer, username); err != nil {
			return nil, err
		}
	}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "user.create", "user:"+username,
			map[string]any{"username": username, "roles": roles, "totp": withTOTP})
	})
	if err != nil {
		if store.IsCode(err, store.EConflict) {
			return nil, store.FieldError(store.EConflict, "username", "user %q already exists", username)
		}
		return nil, internal("add user", err)
	}
	return out, nil
}

func normaliseRoles(in []string) ([]string, error) {
	var out []string
	for _, r := range in {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			continue
		}
		if !slices.Contains(store.Roles, r) {
			return nil, store.FieldError(store.EInvalid, "roles", "unknown role %q; roles are %s", r, strings.Join(store.Roles, ", "))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, store.FieldError(store.EMissing, "roles", "at least one role is required; roles are %s", strings.Join(store.Roles, ", "))
	}
	return out, nil
}

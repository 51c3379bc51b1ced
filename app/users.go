package app

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

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

// UserView is an administrator as the user administration shows it: never
// the password hash or the TOTP secret.
type UserView struct {
	Username string
	Roles    []string
	Disabled bool
	TOTP     bool // has a TOTP secret
	// TOTPConfirmed: the secret has been used to sign in or enrol (a user
	// with a secret but not confirmed is offered an enrolment at the console).
	TOTPConfirmed bool
	CreatedAt     time.Time
	TOTPURI       string // the new enrolment URI after a TOTP reset; shown once
}

func viewOf(u *store.User) UserView {
	return UserView{Username: u.Username, Roles: u.Roles, Disabled: u.Disabled, TOTP: len(u.TOTPSecret) > 0,
		TOTPConfirmed: confirmed(u), CreatedAt: u.CreatedAt}
}

// Users lists every administrator, ordered by username.
func (a *App) Users(ctx context.Context) ([]UserView, error) {
	us, err := a.store.Users(ctx)
	if err != nil {
		return nil, internal("users", err)
	}
	out := make([]UserView, len(us))
	for i := range us {
		out[i] = viewOf(&us[i])
	}
	return out, nil
}

// UserPatch is a change to an administrator; nil and false fields stay.
type UserPatch struct {
	Roles     []string // the new roles (at least one), when not nil
	Disabled  *bool
	Password  *string // the new password, under the same policy as AddUser
	ResetTOTP bool    // a new TOTP secret when TOTP is required (to be enrolled again); otherwise the second factor is removed; recovery codes are removed either way
}

// UpdateUser changes an administrator and audits the change as actor.
// A disabled user's tokens are refused from the next request on, on every
// instance; changed roles count from the next request. EMissing for an
// empty patch; EInvalid for a bad role or password; ENotFound for an
// unknown user; ELastAdmin when the change would leave no enabled admin.
func (a *App) UpdateUser(ctx context.Context, actor, username string, p UserPatch) (*UserView, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if !usernamePattern.MatchString(username) {
		return nil, store.Errorf(store.ENotFound, "no user %q", printable(username))
	}
	if p.Roles == nil && p.Disabled == nil && p.Password == nil && !p.ResetTOTP {
		return nil, store.Errorf(store.EMissing, "nothing to change: send roles, disabled, password or reset_totp")
	}
	var (
		ch      store.UserChange
		details = map[string]any{"username": username}
		uri     string
		err     error
	)
	if p.Roles != nil {
		if ch.Roles, err = normaliseRoles(p.Roles); err != nil {
			return nil, err
		}
		details["roles"] = ch.Roles
	}
	if p.Disabled != nil {
		ch.Disabled = p.Disabled
		details["disabled"] = *p.Disabled
	}
	if p.Password != nil {
		if err := auth.CheckPasswordPolicy(*p.Password); err != nil {
			return nil, err
		}
		if ch.PasswordHash, err = a.passwords.Hash(*p.Password); err != nil {
			return nil, err
		}
		details["password_changed"] = true
	}
	if p.ResetTOTP {
		ch.SetTOTP = true
		if a.cfg.RequireTOTP {
			if ch.TOTPSecret, uri, err = auth.NewTOTP(TOTPIssuer, username); err != nil {
				return nil, err
			}
		}
		details["totp_reset"] = true
		details["totp"] = a.cfg.RequireTOTP
	}
	var u *store.User
	err = a.store.Update(ctx, func(tx store.Tx) error {
		ch := ch
		delete(details, "sessions_ended")
		cur, err := tx.UserByName(ctx, username)
		if err != nil {
			return err
		}
		// Disabling or enabling ends every session, setting the state it
		// already has does not: a repeated "enable" must not sign the
		// user out. Decided in the transaction that writes, on the state
		// it reads.
		toggles := p.Disabled != nil && *p.Disabled != cur.Disabled
		if p.Password != nil || p.ResetTOTP || toggles {
			// Tokens carry their issue time in whole seconds: one issued in the
			// same second as this change still passes, a later sign-in too.
			ch.EndSessionsAt = a.now().UTC().Truncate(time.Second)
			details["sessions_ended"] = true
		}
		if u, err = tx.UpdateUser(ctx, username, ch); err != nil {
			return err
		}
		if p.ResetTOTP { // the old recovery codes go with the old secret
			if err := tx.SetRecoveryCodes(ctx, username, nil); err != nil {
				return err
			}
		}
		if err := a.enqueueSessionChange(ctx, tx, sessionChange{User: username}); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "user.update", "user:"+username, details)
	})
	if err != nil {
		if errNotFound(err) {
			return nil, store.Errorf(store.ENotFound, "no user %q", username)
		}
		return nil, internal("update user", err)
	}
	a.afterSessionChange(ctx, sessionChange{User: username})
	v := viewOf(u)
	v.TOTPURI = uri
	return &v, nil
}

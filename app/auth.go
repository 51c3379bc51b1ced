package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ethicsportal/auth"
	"ethicsportal/ratelimit"
	"ethicsportal/store"
)

// TOTPIssuer names the portal in authenticator apps.
const TOTPIssuer = "EthicsPortal"

// Principal is the administrator behind a valid token.
type Principal struct {
	Username  string
	Roles     []string
	TokenID   string
	ExpiresAt time.Time
	// Session names the sign-in the token belongs to, the same for every
	// token renewed from it (RenewToken): the console's form tokens are
	// bound to it, so a renewal does not void a form being filled in.
	Session string

	claims auth.Claims
}

// HasRole reports whether p holds role, or admin.
func (p *Principal) HasRole(role string) bool {
	u := store.User{Roles: p.Roles}
	return u.HasRole(role)
}

// Token is a signed admin token.
type Token struct {
	AccessToken  string
	ExpiresIn    int    // seconds
	DeviceCookie string // a fresh device cookie for the client (see auth.SignInPolicy)
}

// LimitedError is returned when a rate limit refuses a request; it carries
// the limiter's answer for the response headers and unwraps to ERateLimited.
type LimitedError struct{ Result ratelimit.Result }

func (e *LimitedError) Error() string { return "rate limited" }

// Unwrap lets store.ErrorCode see ERateLimited.
func (e *LimitedError) Unwrap() error {
	return store.Errorf(store.ERateLimited, "too many requests; try again in %d seconds", retrySeconds(e.Result.RetryAfter))
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// errLogin is the one answer to every failed sign-in, so that a caller
// cannot tell an unknown user from a wrong password or a wrong code.
var errLogin = store.Errorf(store.EUnauthorized, "the username, password or code is not correct")

// errToken is the one answer to every unusable token.
var errToken = store.Errorf(store.EUnauthorized, "a valid bearer token is required")

// LoginRequest is one sign-in attempt.
type LoginRequest struct {
	Username, Password string
	Code               string // a TOTP code, or one of the user's recovery codes (good once)
	IP                 string // the client address, for the rate limit and the audit log
	DeviceCookie       string // the device cookie the client presented, if any
}

// Login checks a username, password and (when required) TOTP code and
// returns a signed token with a fresh device cookie. Failures are
// EUnauthorized with one message, or a *LimitedError. Every attempt that
// passes the rate limit is audited. The limits follow auth.SignInPolicy:
// per address always, and per username unless the attempt presents a valid
// device cookie for that username, which is limited on its own. A
// recovery code is accepted in the code's place, once (a second use fails
// like any other wrong code).
func (a *App) Login(ctx context.Context, in LoginRequest) (*Token, error) {
	res, err := a.signInAs(ctx, in, false, "")
	if err != nil {
		return nil, err
	}
	return res.Token, nil
}

// SignIn is Login for a person at the console: a user who must sign in
// with TOTP but has no confirmed second factor yet gets, once the password
// is right, an Enrolment instead of a failure (see ConfirmEnrolment).
// binding is what the enrolment's ticket is bound to (the console's form
// cookie), so that it is good from that browser only. In the code's place
// a recovery code is accepted once, as by Login.
func (a *App) SignIn(ctx context.Context, in LoginRequest, binding string) (*SignInResult, error) {
	return a.signInAs(ctx, in, true, binding)
}

func (a *App) signInAs(ctx context.Context, in LoginRequest, enrol bool, binding string) (*SignInResult, error) {
	username := strings.ToLower(strings.TrimSpace(in.Username))
	password, ip := in.Password, in.IP
	if err := a.admit(a.signIn.AdmitAddress(ctx, ip)); err != nil {
		return nil, err
	}
	if !usernamePattern.MatchString(username) || len(password) > auth.MaxPasswordBytes || !utf8.ValidString(password) {
		// No user can have such a name (AddUser keeps to the pattern);
		// the audit keeps a printable trace of what was sent.
		a.passwords.Check(a.dummyHash(), "") // cost the same as a real check
		return nil, a.loginFailed(ctx, printable(truncate(username, 64)), ip, "malformed")
	}
	// Counted only once the name is plausible, so junk names cannot fill the limiter.
	if err := a.admit(a.signIn.AdmitUser(ctx, username, in.DeviceCookie)); err != nil {
		return nil, err
	}
	u, err := a.store.UserByName(ctx, username)
	if err != nil {
		if !errNotFound(err) {
			return nil, internal("login", err)
		}
		a.passwords.Check(a.dummyHash(), password) // cost the same as a real check
		return nil, a.loginFailed(ctx, username, ip, "unknown_user")
	}
	if !a.passwords.Check(u.PasswordHash, password) {
		return nil, a.loginFailed(ctx, username, ip, "wrong_password")
	}
	if u.Disabled {
		return nil, a.loginFailed(ctx, username, ip, "disabled")
	}
	needTOTP := a.cfg.RequireTOTP || len(u.TOTPSecret) > 0
	if needTOTP && enrol && !confirmed(u) {
		// The password is right and there is no second factor to check:
		// the person enrols one (a fresh secret, which no one else has seen).
		e, err := a.offerEnrolment(ctx, u, ip, binding)
		if err != nil {
			return nil, err
		}
		return &SignInResult{Enrolment: e}, nil
	}
	var (
		step     int64
		recovery []byte // the hash of the recovery code given instead of a TOTP code
	)
	if needTOTP {
		if len(u.TOTPSecret) == 0 {
			return nil, a.loginFailed(ctx, username, ip, "no_second_factor") // required but never enrolled
		}
		code := strings.TrimSpace(in.Code)
		if rc, isRecovery := normaliseRecoveryCode(code); isRecovery {
			recovery = recoveryHash(u.Username, rc)
		} else {
			var ok bool
			if step, ok = auth.MatchTOTP(u.TOTPSecret, code, a.now()); !ok {
				return nil, a.loginFailed(ctx, username, ip, "wrong_code")
			}
		}
	}
	tok, jti, err := a.issueToken(u.Username)
	if err != nil {
		return nil, err
	}
	if tok.DeviceCookie, err = a.signIn.IssueDevice(u.Username); err != nil {
		return nil, err
	}
	res := &SignInResult{Token: tok}
	refused := ""
	err = a.store.Update(ctx, func(tx store.Tx) error {
		details := loginDetails{Username: u.Username, IP: ip, TokenID: jti}
		switch {
		case recovery != nil:
			ok, left, err := tx.UseRecoveryCode(ctx, u.Username, recovery)
			if err != nil {
				return err
			}
			if !ok { // not one of the user's codes, or used already
				refused = "wrong_recovery_code"
				return a.record(ctx, tx, ActorAnonymous, "auth.login_failed", "user:"+u.Username, loginDetails{Username: u.Username, IP: ip, Reason: refused})
			}
			res.RecoveryCodeUsed, res.RecoveryCodesLeft = true, left
			details.Method, details.RecoveryCodesLeft = "recovery_code", &left
		case needTOTP:
			fresh, err := tx.AdvanceTOTPStep(ctx, u.Username, step)
			if err != nil {
				return err
			}
			if !fresh { // this code was used already
				refused = "code_reused"
				return a.record(ctx, tx, ActorAnonymous, "auth.login_failed", "user:"+u.Username, loginDetails{Username: u.Username, IP: ip, Reason: refused})
			}
		}
		return a.record(ctx, tx, u.Username, "auth.login", "user:"+u.Username, details)
	})
	if err != nil {
		return nil, internal("login", err)
	}
	if refused != "" {
		return nil, errLogin
	}
	return res, nil
}

// admit turns a sign-in limiter's answer into nil or a *LimitedError.
func (a *App) admit(res ratelimit.Result, err error) error {
	if err != nil {
		return internal("login limit", err)
	}
	if !res.Allowed {
		return &LimitedError{Result: res}
	}
	return nil
}

type loginDetails struct {
	Username string `json:"username"`
	IP       string `json:"ip"`
	Reason   string `json:"reason,omitempty"`
	TokenID  string `json:"token_id,omitempty"`
	// Method is "recovery_code" when a recovery code stood in for the TOTP code.
	Method            string `json:"method,omitempty"`
	RecoveryCodesLeft *int   `json:"recovery_codes_left,omitempty"`
}

// loginFailed audits a failed sign-in and returns the one failure answer.
// The reason is for auditors only; the caller never learns it.
func (a *App) loginFailed(ctx context.Context, username, ip, reason string) error {
	err := a.store.Update(ctx, func(tx store.Tx) error {
		return a.record(ctx, tx, ActorAnonymous, "auth.login_failed", "user:"+username, loginDetails{Username: username, IP: ip, Reason: reason})
	})
	if err != nil {
		return internal("audit failed login", err)
	}
	return errLogin
}

// printable replaces invalid UTF-8 and every control or format character
// of s with U+FFFD, so that it can be stored and logged (PostgreSQL refuses
// NUL in text and JSON).
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s
}

// issueToken signs a token for username and returns it with its id.
func (a *App) issueToken(username string) (*Token, string, error) {
	s, claims, err := a.tokens.Issue(username)
	if err != nil {
		return nil, "", fmt.Errorf("app: %w", err)
	}
	return &Token{AccessToken: s, ExpiresIn: int(a.tokens.TTL() / time.Second)}, claims.ID, nil
}

// Authenticate validates a bearer token and returns its principal with the
// user's current roles. Any problem (bad signature, wrong algorithm, expired,
// another issuer or audience, logged out, user gone or disabled) is the same
// EUnauthorized.
func (a *App) Authenticate(ctx context.Context, token string) (*Principal, error) {
	claims, err := a.tokens.Parse(ctx, token)
	if err != nil {
		return nil, errToken
	}
	if a.sessions != nil {
		st, denied, ok, err := a.checkShared(ctx, claims.ID, claims.Subject)
		if ok {
			switch {
			case err != nil && errNotFound(err):
				return nil, errToken
			case err != nil:
				return nil, internal("token user", err)
			case denied || st.Disabled || claims.SessionStart.Before(st.TokensNotBefore):
				return nil, errToken
			}
			return &Principal{Username: claims.Subject, Roles: st.Roles, TokenID: claims.ID, ExpiresAt: claims.ExpiresAt, Session: claims.Session, claims: claims}, nil
		}
		// Redis cannot answer: the store can.
	}
	denied, err := a.store.TokenDenied(ctx, claims.ID)
	if err != nil {
		return nil, internal("token deny list", err)
	}
	if denied {
		return nil, errToken
	}
	// The user is read on every request (one indexed read) so that a
	// disabled user is refused at once and a changed role counts on the next
	// request, on every instance.
	u, err := a.store.UserByName(ctx, claims.Subject)
	if err != nil {
		if errNotFound(err) {
			return nil, errToken
		}
		return nil, internal("token user", err)
	}
	// A session begun before a password change, a disable or a reset of the
	// second factor is over, with every token renewed from it since.
	if u.Disabled || claims.SessionStart.Before(u.TokensNotBefore) {
		return nil, errToken
	}

	return &Principal{Username: u.Username, Roles: u.Roles, TokenID: claims.ID, ExpiresAt: claims.ExpiresAt, Session: claims.Session, claims: claims}, nil
}

// Logout ends the principal's token at once on every instance sharing the
// store: its id goes on the deny list until it would have expired anyway.
func (a *App) Logout(ctx context.Context, p *Principal) error {
	change := sessionChange{DenyTokenID: p.TokenID, ExpiresAt: p.ExpiresAt}
	err := a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DenyToken(ctx, p.TokenID, p.ExpiresAt); err != nil {
			return err
		}
		if err := a.enqueueSessionChange(ctx, tx, change); err != nil {
			return err
		}
		if _, err := tx.PurgeDeniedTokens(ctx, a.now().Add(-time.Minute)); err != nil {
			return err
		}
		return a.record(ctx, tx, p.Username, "auth.logout", "user:"+p.Username, map[string]string{"token_id": p.TokenID})
	})
	if err != nil {
		return internal("logout", err)
	}
	a.afterSessionChange(ctx, change)
	return nil
}

// TokenSigned reports whether token is an admin token this portal signed
// and that has not expired, without the deny list or the user: a cheap
// check for deciding, before a body is read, whether a request may send a
// large one. The route still authenticates it in full.
func (a *App) TokenSigned(ctx context.Context, token string) bool {
	_, err := a.tokens.Parse(ctx, token)
	return err == nil
}

// MaxSession is how long after signing in a session may still be renewed:
// past it, the person signs in again (with their second factor), however
// busy they are.
const MaxSession = 12 * time.Hour

// RenewToken returns a fresh token of p's session when p's token has less
// than half its life left, so that the console does not sign out a person
// at work when a short-lived token ends; nil when it need not be renewed
// yet, or may not be (the session began more than MaxSession ago, or p
// came from no token). The token renewed from is put on the deny list at
// once, as a logout does, so that a session has one live token and a
// logout ends it; a request already in flight with the old token is sent
// to sign in again.
func (a *App) RenewToken(ctx context.Context, p *Principal) (*Token, error) {
	if p == nil || p.claims.ID == "" {
		return nil, nil
	}
	now := a.now()
	if p.ExpiresAt.Sub(now) > a.tokens.TTL()/2 || now.Sub(p.claims.SessionStart) >= MaxSession {
		return nil, nil
	}
	s, _, err := a.tokens.IssueRenewal(p.claims)
	if err != nil {
		return nil, fmt.Errorf("app: renew token: %w", err)
	}
	change := sessionChange{DenyTokenID: p.TokenID, ExpiresAt: p.ExpiresAt}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DenyToken(ctx, p.TokenID, p.ExpiresAt); err != nil {
			return err
		}
		return a.enqueueSessionChange(ctx, tx, change)
	})
	if err != nil {
		return nil, internal("renew token", err)
	}
	a.afterSessionChange(ctx, change)
	return &Token{AccessToken: s, ExpiresIn: int(a.tokens.TTL() / time.Second)}, nil
}

package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"

	"ethicsportal/auth"
	"ethicsportal/store"
)

// Enrolment of the second factor and recovery codes.
//
// A user who must sign in with TOTP but has no confirmed second factor
// (no secret, or a secret never used to sign in) is offered an enrolment
// by SignIn once their password is right: a fresh secret, shown to them
// alone, and a ticket that binds it to that password check. ConfirmEnrolment
// takes the ticket and a code from the authenticator app, stores the
// secret (only while the user still has no confirmed factor), gives ten
// single-use recovery codes and signs the user in. A recovery code then
// stands in for a TOTP code once; only its hash is stored.

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// enrolmentTTL is how long an enrolment ticket is good for.
const enrolmentTTL = 10 * time.Minute

// recoveryEncoding writes a recovery code's 80 random bits as 16
// lower-case letters and digits, shown in groups of four.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes RecoveryCodeCount codes for username and their hashes.
func newRecoveryCodes(username string) ([]string, [][]byte, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, internal("recovery codes", err)
		}
		s := recoveryEncoding.EncodeToString(b)
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = recoveryHash(username, s)
	}
	return codes, hashes, nil
}

// recoveryHash is what the store keeps of a recovery code (normalised):
// 80 random bits need no slow hash.
func recoveryHash(username, code string) []byte {
	h := sha256.New()
	h.Write([]byte("recovery-code\x00" + username + "\x00" + code))
	return h.Sum(nil)
}

// normaliseRecoveryCode is code without spaces or hyphens, in lower case,
// and whether it has the form of a recovery code at all.
func normaliseRecoveryCode(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToLower(code))
	if len(code) != 16 {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(code); err != nil {
		return "", false
	}
	return code, true
}

// SignInResult is the outcome of a sign-in by a person at the console:
// a token, or an enrolment to complete first.
type SignInResult struct {
	Token *Token
	// Enrolment, when not nil, is the second factor the user must enrol
	// before any token is issued (Token is nil then).
	Enrolment *Enrolment
	// RecoveryCodeUsed tells that a recovery code stood in for the TOTP
	// code; RecoveryCodesLeft is then how many the user has left.
	RecoveryCodeUsed  bool
	RecoveryCodesLeft int
}

// Enrolment is a second factor offered to a user who passed the password
// check: the secret to add to an authenticator app, and the ticket that
// ConfirmEnrolment takes with the first code.
type Enrolment struct {
	Username string
	URI      string // otpauth:// URI, for a QR code
	Secret   string // the secret in base32, for typing in by hand
	Ticket   string // signed; good for enrolmentTTL, from the browser it was given to
}

// EnrolRequest confirms an enrolment.
type EnrolRequest struct {
	Ticket, Code string
	IP           string
	DeviceCookie string
	Binding      string // what the ticket was bound to (the console's form cookie)
}

// Enrolled is a completed enrolment: the user is signed in, and sees the
// recovery codes once.
type Enrolled struct {
	Token         *Token
	RecoveryCodes []string
}

// errEnrolment is the one answer to a ticket that cannot be used.
var errEnrolment = store.Errorf(store.EUnauthorized, "the enrolment has expired or is not valid; sign in again")

// errEnrolCode is the answer to a wrong code with a good ticket.
var errEnrolCode = store.Errorf(store.EInvalid, "the code is not correct; enter the code your app shows now")

// ticket is what an enrolment ticket carries.
type ticket struct {
	username string
	secret   []byte
	expires  time.Time
	state    []byte // the user's state at the password check (userFingerprint)
	binding  []byte // sha256 of the binding
}

// userFingerprint fingerprints what must not change between the password check
// and the confirmation: the password, the second factor, the sessions' start.
func userFingerprint(u *store.User) []byte {
	h := sha256.New()
	h.Write([]byte(u.PasswordHash + "\x00"))
	h.Write(u.TOTPSecret)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(u.TOTPLastStep))
	binary.BigEndian.PutUint64(b[8:], uint64(u.TokensNotBefore.UnixMicro()))
	h.Write(b[:])
	return h.Sum(nil)[:16]
}

func (a *App) ticketMAC(payload []byte) []byte {
	k := hmac.New(sha256.New, a.idPepper)
	k.Write([]byte("console-enrolment-key"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write(payload)
	return m.Sum(nil)
}

// sealTicket encodes and signs t: username, expiry, state, binding, secret.
func (a *App) sealTicket(t ticket) string {
	var b []byte
	b = append(b, byte(len(t.username)))
	b = append(b, t.username...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.expires.Unix()))
	b = append(b, t.state...)
	b = append(b, t.binding...)
	b = append(b, t.secret...)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(a.ticketMAC(b))
}

// openTicket checks s's signature, expiry and binding and decodes it.
func (a *App) openTicket(s, binding string) (ticket, bool) {
	var t ticket
	payload, mac, ok := strings.Cut(s, ".")
	if !ok || len(s) > 512 {
		return t, false
	}
	b, err1 := base64.RawURLEncoding.DecodeString(payload)
	m, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil || !hmac.Equal(m, a.ticketMAC(b)) {
		return t, false
	}
	if len(b) < 1 || len(b) < 1+int(b[0])+8+16+32+1 {
		return t, false
	}
	n := int(b[0])
	t.username = string(b[1 : 1+n])
	b = b[1+n:]
	t.expires = time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	t.state, t.binding, t.secret = b[8:24], b[24:56], b[56:]
	bind := sha256.Sum256([]byte(binding))
	if !a.now().Before(t.expires) || !hmac.Equal(t.binding, bind[:]) {
		return t, false
	}
	return t, true
}

// confirmed reports whether u has a second factor they have signed in
// with (or enrolled) at least once.
func confirmed(u *store.User) bool { return len(u.TOTPSecret) > 0 && u.TOTPLastStep > 0 }

// offerEnrolment makes a fresh secret for u and the ticket for it, and
// audits that the enrolment began.
func (a *App) offerEnrolment(ctx context.Context, u *store.User, ip, binding string) (*Enrolment, error) {
	secret, uri, err := auth.NewTOTP(TOTPIssuer, u.Username)
	if err != nil {
		return nil, err
	}
	bind := sha256.Sum256([]byte(binding))
	tk := a.sealTicket(ticket{username: u.Username, secret: secret, expires: a.now().Add(enrolmentTTL), state: userFingerprint(u), binding: bind[:]})
	err = a.store.Update(ctx, func(tx store.Tx) error {
		return a.record(ctx, tx, ActorAnonymous, "auth.enrolment_started", "user:"+u.Username, loginDetails{Username: u.Username, IP: ip})
	})
	if err != nil {
		return nil, internal("enrolment", err)
	}
	return &Enrolment{Username: u.Username, URI: uri, Secret: strings.ToUpper(b32(secret)), Ticket: tk}, nil
}

func b32(b []byte) string { return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b) }

// EnrolmentOf reopens a ticket for showing its page again (after a wrong
// code): the secret and URI it carries. False for a ticket that can no
// longer be used.
func (a *App) EnrolmentOf(tk, binding string) (*Enrolment, bool) {
	t, ok := a.openTicket(tk, binding)
	if !ok {
		return nil, false
	}
	return &Enrolment{Username: t.username, URI: totpURI(t.username, t.secret), Secret: strings.ToUpper(b32(t.secret)), Ticket: tk}, true
}

// totpURI is the otpauth:// URI of secret, as auth.NewTOTP writes it.
func totpURI(username string, secret []byte) string {
	return auth.TOTPURI(TOTPIssuer, username, secret)
}

// ConfirmEnrolment completes an enrolment: the ticket must be good, the
// user unchanged since the password check and still without a confirmed
// second factor, and the code the one the app shows for the new secret.
// It stores the secret, gives RecoveryCodeCount recovery codes (to be
// shown once) and signs the user in. Limited and audited as sign-ins are.
// A bad, expired or stale ticket is EUnauthorized (sign in again); a wrong
// code EInvalid (the ticket stays good until it expires).
func (a *App) ConfirmEnrolment(ctx context.Context, in EnrolRequest) (*Enrolled, error) {
	ip := in.IP
	if err := a.admit(a.signIn.AdmitAddress(ctx, ip)); err != nil {
		return nil, err
	}
	t, ok := a.openTicket(in.Ticket, in.Binding)
	if !ok {
		return nil, a.enrolFailed(ctx, "", ip, "bad_ticket", errEnrolment)
	}
	if err := a.admit(a.signIn.AdmitUser(ctx, t.username, in.DeviceCookie)); err != nil {
		return nil, err
	}
	u, err := a.store.UserByName(ctx, t.username)
	if err != nil {
		if !errNotFound(err) {
			return nil, internal("enrolment", err)
		}
		return nil, a.enrolFailed(ctx, t.username, ip, "unknown_user", errEnrolment)
	}
	switch {
	case u.Disabled:
		return nil, a.enrolFailed(ctx, u.Username, ip, "disabled", errEnrolment)
	case confirmed(u):
		return nil, a.enrolFailed(ctx, u.Username, ip, "already_enrolled", errEnrolment)
	case !hmac.Equal(userFingerprint(u), t.state):
		return nil, a.enrolFailed(ctx, u.Username, ip, "user_changed", errEnrolment)
	}
	step, ok := auth.MatchTOTP(t.secret, strings.TrimSpace(in.Code), a.now())
	if !ok {
		return nil, a.enrolFailed(ctx, u.Username, ip, "wrong_code", errEnrolCode)
	}
	codes, hashes, err := newRecoveryCodes(u.Username)
	if err != nil {
		return nil, err
	}
	tok, jti, err := a.issueToken(u.Username)
	if err != nil {
		return nil, err
	}
	if tok.DeviceCookie, err = a.signIn.IssueDevice(u.Username); err != nil {
		return nil, err
	}
	lost := false
	err = a.store.Update(ctx, func(tx store.Tx) error {
		won, err := tx.ConfirmTOTP(ctx, u.Username, t.secret, step)
		if err != nil {
			return err
		}
		if !won { // another enrolment or sign-in got there first
			lost = true
			return a.record(ctx, tx, ActorAnonymous, "auth.enrolment_failed", "user:"+u.Username, loginDetails{Username: u.Username, IP: ip, Reason: "already_enrolled"})
		}
		if err := tx.SetRecoveryCodes(ctx, u.Username, hashes); err != nil {
			return err
		}
		if err := a.record(ctx, tx, u.Username, "auth.totp_enrolled", "user:"+u.Username,
			map[string]any{"username": u.Username, "ip": ip, "recovery_codes": len(codes)}); err != nil {
			return err
		}
		return a.record(ctx, tx, u.Username, "auth.login", "user:"+u.Username, loginDetails{Username: u.Username, IP: ip, TokenID: jti})
	})
	if err != nil {
		return nil, internal("enrolment", err)
	}
	if lost {
		return nil, errEnrolment
	}
	return &Enrolled{Token: tok, RecoveryCodes: codes}, nil
}

// enrolFailed audits a failed enrolment and returns answer.
func (a *App) enrolFailed(ctx context.Context, username, ip, reason string, answer error) error {
	err := a.store.Update(ctx, func(tx store.Tx) error {
		return a.record(ctx, tx, ActorAnonymous, "auth.enrolment_failed", "user:"+username, loginDetails{Username: username, IP: ip, Reason: reason})
	})
	if err != nil {
		return internal("audit failed enrolment", err)
	}
	return answer
}

// RegenerateRecoveryCodes gives the signed-in user RecoveryCodeCount new
// recovery codes, to be shown once, and invalidates the old ones. EConflict
// when the user has no confirmed second factor.
func (a *App) RegenerateRecoveryCodes(ctx context.Context, p *Principal) ([]string, error) {
	codes, hashes, err := newRecoveryCodes(p.Username)
	if err != nil {
		return nil, err
	}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.UserByName(ctx, p.Username)
		if err != nil {
			return err
		}
		if !confirmed(u) {
			return store.Errorf(store.EConflict, "you have no second factor to make recovery codes for")
		}
		if err := tx.SetRecoveryCodes(ctx, u.Username, hashes); err != nil {
			return err
		}
		return a.record(ctx, tx, p.Username, "auth.recovery_codes_regenerated", "user:"+p.Username,
			map[string]any{"username": p.Username, "recovery_codes": len(codes)})
	})
	if err != nil {
		if store.IsCode(err, store.EConflict) {
			return nil, err
		}
		if errNotFound(err) {
			return nil, errToken
		}
		return nil, internal("recovery codes", err)
	}
	return codes, nil
}

// SecondFactor is what the signed-in user's console shows of their own
// second factor.
type SecondFactor struct {
	Required          bool // PORTAL_REQUIRE_TOTP
	Enrolled          bool // a confirmed TOTP secret
	RecoveryCodesLeft int
}

// SecondFactorOf describes username's second factor.
func (a *App) SecondFactorOf(ctx context.Context, username string) (*SecondFactor, error) {
	u, err := a.store.UserByName(ctx, username)
	if err != nil {
		if errNotFound(err) {
			return nil, errToken
		}
		return nil, internal("second factor", err)
	}
	out := &SecondFactor{Required: a.cfg.RequireTOTP, Enrolled: confirmed(u)}
	if out.RecoveryCodesLeft, err = a.store.RecoveryCodesLeft(ctx, username); err != nil {
		return nil, internal("second factor", err)
	}
	return out, nil
}

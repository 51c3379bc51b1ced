package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ethicsportal/keys"
)

// TokenAudience is the aud claim of admin tokens. Receipts carry none, so a
// receipt can never pass as a token.
const TokenAudience = "ethicsportal-admin"

// ErrInvalidToken is Parse's one answer for every unusable token: a bad
// signature, an algorithm other than EdDSA (none included), an unknown key,
// another issuer or audience, a missing or past expiry, a missing id or
// subject. Callers must not tell them apart to the client.
var ErrInvalidToken = errors.New("auth: invalid token")

// Tokens issues and checks admin tokens: EdDSA JWTs signed with the token
// keyring kept in the store, so every instance on one store accepts every
// other's tokens.
type Tokens struct {
	ring   *keys.Ring
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns Tokens signing with ring's newest key, naming issuer as
// iss, valid for ttl from the moment of issue by now's clock.
func NewTokens(ring *keys.Ring, issuer string, ttl time.Duration, now func() time.Time) *Tokens {
	return &Tokens{ring: ring, issuer: issuer, ttl: ttl, now: now}
}

// TTL is how long a token is valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Claims are what a valid token says.
type Claims struct {
	Subject   string // the username
	ID        string // the token id (jti), which logout puts on the deny list
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Session names the sign-in the token belongs to: the first token's id,
	// kept by every token renewed from it (IssueRenewal). SessionStart is
	// that sign-in's time. Tokens from before sessions existed have none:
	// Parse gives them their own id and issue time.
	Session      string
	SessionStart time.Time
}

// tokenClaims are the JWT's claims: the registered ones, and the session.
type tokenClaims struct {
	jwt.RegisteredClaims
	Session      string           `json:"sid,omitempty"`
	SessionStart *jwt.NumericDate `json:"sst,omitempty"`
}

// Issue signs a token for username, the first of a new session.
func (t *Tokens) Issue(username string) (string, Claims, error) {
	return t.issue(username, "", time.Time{})
}

// IssueRenewal signs a fresh token for the same user and session as c (a
// token still valid), so that a person at work is not signed out when a
// token's short life ends. The caller decides whether the session may go
// on (app.RenewToken bounds it).
func (t *Tokens) IssueRenewal(c Claims) (string, Claims, error) {
	return t.issue(c.Subject, c.Session, c.SessionStart)
}

func (t *Tokens) issue(username, session string, started time.Time) (string, Claims, error) {
	now := t.now()
	jti, err := RandomID()
	if err != nil {
		return "", Claims{}, err
	}
	if session == "" {
		session, started = jti, now
	}
	exp := now.Add(t.ttl)
	claims := tokenClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    t.issuer,
		Subject:   username,
		Audience:  jwt.ClaimStrings{TokenAudience},
		ExpiresAt: jwt.NewNumericDate(exp),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ID:        jti,
	}, Session: session, SessionStart: jwt.NewNumericDate(started)}
	kid, key := t.ring.Signer()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, Claims{Subject: username, ID: jti, IssuedAt: claims.IssuedAt.Time, ExpiresAt: claims.ExpiresAt.Time,
		Session: session, SessionStart: claims.SessionStart.Time}, nil
}

// Parse checks token's signature against the keyring (only EdDSA is
// accepted), its issuer, audience, expiry and issue time, and returns its
// claims; ErrInvalidToken for anything wrong. It does not consult the deny
// list or the user: that is the caller's part.
func (t *Tokens) Parse(ctx context.Context, token string) (Claims, error) {
	var claims tokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(TokenAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
	)
	_, err := parser.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		pub, ok := t.ring.Public(ctx, kid)
		if !ok {
			return nil, errors.New("unknown key")
		}
		return pub, nil
	})
	if err != nil || claims.ID == "" || claims.Subject == "" || claims.ExpiresAt == nil || claims.IssuedAt == nil {
		return Claims{}, ErrInvalidToken
	}
	out := Claims{Subject: claims.Subject, ID: claims.ID, IssuedAt: claims.IssuedAt.Time, ExpiresAt: claims.ExpiresAt.Time,
		Session: claims.Session}
	if claims.SessionStart != nil {
		out.SessionStart = claims.SessionStart.Time
	}
	if out.Session == "" || out.SessionStart.IsZero() {
		out.Session, out.SessionStart = claims.ID, out.IssuedAt
	}
	return out, nil
}

// RandomID returns 128 random bits, base64url-encoded: token, receipt and
// device-cookie ids.
func RandomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

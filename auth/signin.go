package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ethicsportal/keys"
	"ethicsportal/ratelimit"
	"ethicsportal/store"
)

// DeviceKeySecret names the store secret that signs device cookies. It
// lives in the store so that every instance accepts every other's cookies.
const DeviceKeySecret = "device_cookie_key"

// DeviceCookieName is the cookie that marks a browser or client as one a
// user signed in from before.
const DeviceCookieName = "portal_device"

// DeviceCookieTTL is how long a device cookie stays good after the sign-in
// that issued it; each successful sign-in issues a fresh one.
const DeviceCookieTTL = 90 * 24 * time.Hour

// SignInPolicy decides which sign-in attempts may be tried. It implements
// OWASP's device-cookie scheme against both password guessing and lockout:
//
//   - every attempt counts against its client address;
//   - an attempt without a valid device cookie for the username counts
//     against the username, so guessing one account's password from many
//     addresses is capped;
//   - an attempt presenting a valid device cookie for the username (issued
//     by an earlier successful sign-in of that user) counts against that
//     cookie instead, so strangers who exhaust the username's allowance do
//     not lock its owner out of a device they signed in from before. A
//     stolen cookie buys an attacker only that one cookie's allowance.
//
// Its methods are safe for concurrent use.
type SignInPolicy struct {
	limiter ratelimit.Limiter
	key     []byte
	now     func() time.Time
}

// NewSignInPolicy returns a policy counting attempts in limiter and signing
// device cookies with key (see LoadSecret).
func NewSignInPolicy(limiter ratelimit.Limiter, key []byte, now func() time.Time) *SignInPolicy {
	return &SignInPolicy{limiter: limiter, key: key, now: now}
}

// AdmitAddress counts one attempt from the client address ip (an IPv6
// client counts per /64, see ratelimit.AddressKey). It returns
// the limiter's answer; Allowed false means the attempt must be refused.
func (p *SignInPolicy) AdmitAddress(ctx context.Context, ip string) (ratelimit.Result, error) {
	return p.allow(ctx, "login:ip:"+ratelimit.AddressKey(ip))
}

// AdmitUser counts one attempt at username: against the device cookie when
// cookie is a valid one for username, against the username otherwise. It
// returns the limiter's answer; Allowed false means the attempt must be
// refused. username must already be normalised.
func (p *SignInPolicy) AdmitUser(ctx context.Context, username, cookie string) (ratelimit.Result, error) {
	if id, ok := p.deviceID(username, cookie); ok {
		return p.allow(ctx, "login:device:"+id)
	}
	return p.allow(ctx, "login:user:"+username)
}

func (p *SignInPolicy) allow(ctx context.Context, key string) (ratelimit.Result, error) {
	res, err := p.limiter.Allow(ctx, key)
	if err != nil {
		return res, fmt.Errorf("auth: sign-in limit: %w", err)
	}
	return res, nil
}

// IssueDevice returns a fresh device cookie value for username, to hand to
// the client after a successful sign-in. The value is
// base64url(username NUL id NUL expiry) "." base64url(HMAC-SHA256).
func (p *SignInPolicy) IssueDevice(username string) (string, error) {
	id, err := RandomID()
	if err != nil {
		return "", err
	}
	exp := p.now().Add(DeviceCookieTTL).Unix()
	payload := username + "\x00" + id + "\x00" + strconv.FormatInt(exp, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(p.mac(payload)), nil
}

// deviceID returns the id of cookie when it is a device cookie this portal
// signed for username and has not expired.
func (p *SignInPolicy) deviceID(username, cookie string) (string, bool) {
	if cookie == "" || len(cookie) > 512 {
		return "", false
	}
	enc, sig, ok := strings.Cut(cookie, ".")
	if !ok {
		return "", false
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, p.mac(string(raw))) {
		return "", false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] != username {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || p.now().Unix() > exp {
		return "", false
	}
	return parts[1], true
}

func (p *SignInPolicy) mac(payload string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("device-cookie\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// LoadSecret returns the secret called name from st, first generating and
// storing size random bytes if there is none. Instances racing to create it
// agree on the one stored first.
func LoadSecret(ctx context.Context, st store.Store, name string, size int) ([]byte, error) {
	v, err := st.Secret(ctx, name)
	if err == nil {
		return v, nil
	}
	if !store.IsCode(err, store.ENotFound) {
		return nil, fmt.Errorf("auth: read secret %s: %w", name, err)
	}
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("auth: generate secret %s: %w", name, err)
	}
	return keys.KeepSecret(ctx, st, name, fresh)
}

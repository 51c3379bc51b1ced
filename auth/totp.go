package auth

import (
	"encoding/base32"
	"fmt"
	"net/url"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP as in RFC 6238 with the parameters every authenticator app supports:
// HMAC-SHA1, six digits, 30-second steps.
const (
	totpPeriod     = 30
	totpSkew       = 1  // steps accepted either side of now, for clock drift
	totpSecretSize = 20 // bytes: RFC 4226's recommended 160 bits
)

// b32NoPad is the base32 form of TOTP secrets in enrolment URIs.
var b32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a fresh random TOTP secret for username and returns it with
// the otpauth:// enrolment URI that authenticator apps read (usually from a
// QR code), which names issuer.
func NewTOTP(issuer, username string) (secret []byte, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: username,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, "", fmt.Errorf("auth: totp secret: %w", err)
	}
	secret, err = b32NoPad.DecodeString(key.Secret())
	if err != nil {
		return nil, "", fmt.Errorf("auth: totp secret: %w", err)
	}
	return secret, key.URL(), nil
}

// TOTPURI is the otpauth:// enrolment URI of secret, as NewTOTP gives it.
func TOTPURI(issuer, username string, secret []byte) string {
	v := url.Values{}
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("issuer", issuer)
	v.Set("period", "30")
	v.Set("secret", b32NoPad.EncodeToString(secret))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + username, RawQuery: v.Encode()}
	return u.String()
}

// TOTPCode returns the code for secret at time t.
func TOTPCode(secret []byte, t time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(b32NoPad.EncodeToString(secret), t, totpOpts)
	if err != nil {
		return "", fmt.Errorf("auth: totp code: %w", err)
	}
	return code, nil
}

// MatchTOTP returns the time step whose code equals code, within one step
// either side of now, and whether there was one. The step lets the caller
// refuse a second use of the same code (store.Tx.AdvanceTOTPStep).
func MatchTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	if len(code) != otp.DigitsSix.Length() {
		return 0, false
	}
	s := b32NoPad.EncodeToString(secret)
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		at := time.Unix((step+d)*totpPeriod, 0)
		// ValidateCustom compares in constant time and checks the one step
		// at (its own skew is zero here), so each candidate step is known.
		ok, err := totp.ValidateCustom(code, s, at, totpOpts)
		if err == nil && ok {
			return step + d, true
		}
	}
	return 0, false
}

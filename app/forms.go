package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// FormToken is the anti-forgery token that every form of the admin console
// carries for the session whose token id is tokenID. It is derived, never
// stored: an HMAC under a key that is itself an HMAC of a fixed label under
// the ID-number pepper, so it is the same on every instance and dies with
// the session. A page of another origin cannot read it (the session cookie
// is HttpOnly and SameSite=Strict besides).
func (a *App) FormToken(tokenID string) string {
	return base64.RawURLEncoding.EncodeToString(a.formMAC(tokenID))
}

// CheckFormToken reports, in constant time, whether tok is FormToken(tokenID).
func (a *App) CheckFormToken(tokenID, tok string) bool {
	got, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || tokenID == "" {
		return false
	}
	return hmac.Equal(got, a.formMAC(tokenID))
}

func (a *App) formMAC(tokenID string) []byte {
	k := hmac.New(sha256.New, a.idPepper)
	k.Write([]byte("console-form-key"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte("form\x00" + tokenID))
	return m.Sum(nil)
}

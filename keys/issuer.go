package keys

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"unicode"

	"ethicsportal/store"
)

// issuerSecret names the store secret holding the issuer.
const issuerSecret = "issuer"

// Issuer returns the issuer kept in st: the iss of every token and receipt
// signed with the store's keys. When the store has none yet, propose is
// called and its answer kept; instances creating a store at the same moment
// agree on whichever was stored first. Once kept, the issuer never changes,
// so moving the listen address or the public URL cannot invalidate what was
// signed. Errors from the store or from propose are returned wrapped.
func Issuer(ctx context.Context, st store.Store, propose func(context.Context) (string, error)) (string, error) {
	v, err := st.Secret(ctx, issuerSecret)
	if err == nil {
		return string(v), nil
	}
	if !store.IsCode(err, store.ENotFound) {
		return "", fmt.Errorf("keys: read issuer: %w", err)
	}
	proposed, err := propose(ctx)
	if err != nil {
		return "", fmt.Errorf("keys: propose issuer: %w", err)
	}
	if proposed == "" {
		return "", fmt.Errorf("keys: propose issuer: empty")
	}
	if v, err = KeepSecret(ctx, st, issuerSecret, []byte(proposed)); err != nil {
		return "", err
	}
	return string(v), nil
}

// KeepSecret stores value under name in st unless the name is taken, and
// returns the value stored under it, whichever that is: instances that
// start at the same moment agree on the one stored first. Errors are the
// store's, wrapped.
func KeepSecret(ctx context.Context, st store.Store, name string, value []byte) ([]byte, error) {
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, name, value) }); err != nil {
		return nil, fmt.Errorf("keys: store %s: %w", name, err)
	}
	v, err := st.Secret(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("keys: read %s: %w", name, err)
	}
	return v, nil
}

// NewIssuerName returns a fresh issuer for a store created without a public
// URL: a random UUID URN, unique to the store and owing nothing to the
// address it happened to be served on.
func NewIssuerName() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("keys: issuer name: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// Origin is the checkpoint origin of the audit log of a store with the
// given issuer: the issuer without its scheme, followed by "/audit", such
// as "portal.example.cn/audit" or "uuid:0f6c…/audit". It is stable as long
// as the issuer is, which is for the life of the store. Characters a note
// key name may not hold (spaces, '+') are percent-encoded.
func Origin(issuer string) string {
	o := issuer
	for _, scheme := range []string{"https://", "http://", "urn:"} {
		if strings.HasPrefix(strings.ToLower(o), scheme) {
			o = o[len(scheme):]
			break
		}
	}
	o = strings.TrimRight(o, "/")
	var b strings.Builder
	for _, r := range o {
		if r != '+' && !unicode.IsSpace(r) && !unicode.IsControl(r) {
			b.WriteRune(r)
			continue
		}
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String() + "/audit"
}

package app

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ethicsportal/auth"
	"ethicsportal/store"
)

// Verification is the answer to a qualification check. When Match is false
// only CheckedAt and Receipt are meaningful: a miss says nothing about why.
type Verification struct {
	Match      bool
	Status     string // effective status on the day of the check
	Eligible   bool   // active and no ban in force
	Credential *store.Credential
	Bans       []store.Ban // bans in force or yet to start
	CheckedAt  time.Time
	Receipt    string // compact JWS over ReceiptClaims
}

// ReceiptClaims are the claims of a verification receipt. Anyone can check
// the signature offline with the JWKS; Name and CertificateNo are what was
// asked, so the same check can be made again later.
type ReceiptClaims struct {
	jwt.RegisteredClaims
	Check         string  `json:"check"`                    // "qualification" or "eligibility"
	CertificateNo string  `json:"certificate_no,omitempty"` // for a qualification check
	IDHash        string  `json:"id_hash,omitempty"`        // for an eligibility check: the keyed hash, never the ID number
	Name          string  `json:"name"`
	Match         bool    `json:"match"`
	Status        *string `json:"status"` // null when nothing matched
	Eligible      bool    `json:"eligible"`
	CheckedAt     string  `json:"checked_at"`
}

// status is the receipt's status, "" for a miss.
func (c *ReceiptClaims) status() string {
	if c.Status == nil {
		return ""
	}
	return *c.Status
}

const checkQualification = "qualification"

// Verify checks a teacher qualification by certificate number and name. The
// number is normalised; the name must equal the registered one after
// folding. A miss, whether the number is unknown or belongs to someone else,
// does the same work and gives the same shape. EInvalid/EMissing for input
// that is not a certificate number or a name.
func (a *App) Verify(ctx context.Context, certificateNo, name string) (*Verification, error) {
	no, err := NormaliseCertificateNo(certificateNo)
	if err != nil {
		return nil, err
	}
	folded, err := a.foldName("name", name)
	if err != nil {
		return nil, err
	}
	return a.verify(ctx, no, folded)
}

func (a *App) verify(ctx context.Context, no, folded string) (*Verification, error) {
	now := a.now().UTC().Truncate(time.Second)
	today := store.Today(now)
	c, err := a.store.CredentialByNumber(ctx, no)
	if err != nil && !errNotFound(err) {
		return nil, internal("verify", err)
	}
	match := err == nil && subtle.ConstantTimeCompare([]byte(c.HolderNameFolded), []byte(folded)) == 1
	personID := int64(-1) // a miss still asks for bans, so hits and misses cost alike
	if match && c.PersonID != 0 {
		personID = c.PersonID
	}
	bans, err := a.store.BansForPerson(ctx, personID)
	if err != nil {
		return nil, internal("verify bans", err)
	}
	v := &Verification{Match: match, CheckedAt: now}
	if match {
		v.Credential = c
		v.Status = c.EffectiveStatus(today)
		inForce := false
		for _, b := range bans {
			if b.Current(today) {
				v.Bans = append(v.Bans, b)
			}
			inForce = inForce || b.InForce(today)
		}
		v.Eligible = v.Status == store.StatusActive && !inForce
	}
	claims := ReceiptClaims{
		Check: checkQualification, CertificateNo: no, Name: folded,
		Match: v.Match, Eligible: v.Eligible, CheckedAt: now.Format(time.RFC3339),
	}
	if v.Match {
		claims.Status = &v.Status
	}
	if v.Receipt, err = a.signReceipt(&claims, now); err != nil {
		return nil, err
	}
	return v, nil
}

func (a *App) signReceipt(claims *ReceiptClaims, now time.Time) (string, error) {
	jti, err := auth.RandomID()
	if err != nil {
		return "", err
	}
	claims.Issuer = a.issuer
	claims.IssuedAt = jwt.NewNumericDate(now)
	claims.ID = jti
	kid, key := a.receiptKeys.Signer()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = "receipt+jwt"
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("app: sign receipt: %w", err)
	}
	return s, nil
}

// ReceiptCheck is the answer to checking a receipt: whether its signature
// is ours and intact, what it says, and the same check made now.
type ReceiptCheck struct {
	Valid              bool
	Reason             string // why it is not valid
	Claims             *ReceiptClaims
	Current            *Verification // the same qualification check now
	CurrentEligibility *Eligibility  // or the same eligibility check now
	Changed            bool          // the answer now differs from the receipt's in match, status or eligibility
}

// maxReceiptLen bounds the work spent on a receipt; real ones are ~700 bytes.
const maxReceiptLen = 8 << 10

// Why a receipt is not valid, as CheckReceipt tells it.
const (
	ReasonNotAReceipt   = "not a receipt: it cannot be read as a signed receipt"
	ReasonOtherPortal   = "issued by another portal: it is not signed with a key of this portal"
	ReasonAltered       = "altered: it names a key of this portal, but the signature does not match its contents"
	ReasonFromTheFuture = "not valid: it claims to have been issued later than now"
)

// CheckReceipt verifies a receipt's signature and repeats its check. A
// receipt that is not valid is Valid false with a Reason, not an error, and
// the reason says which: unreadable (ReasonNotAReceipt), signed by a key
// this portal does not hold or for another issuer (ReasonOtherPortal), or
// signed with our key but changed since (ReasonAltered). EMissing for an
// empty receipt.
func (a *App) CheckReceipt(ctx context.Context, receipt string) (*ReceiptCheck, error) {
	if receipt == "" {
		return nil, store.FieldError(store.EMissing, "receipt", "a receipt is required")
	}
	if len(receipt) > maxReceiptLen {
		return &ReceiptCheck{Valid: false, Reason: ReasonNotAReceipt}, nil
	}
	// Read unverified first, only to find the key: the answer must tell a
	// receipt of another portal from one of ours that was changed.
	var unverified ReceiptClaims
	tok, _, err := jwt.NewParser().ParseUnverified(receipt, &unverified)
	if err != nil {
		return &ReceiptCheck{Valid: false, Reason: ReasonNotAReceipt}, nil
	}
	kid, _ := tok.Header["kid"].(string)
	pub, ok := a.receiptKeys.Public(ctx, kid)
	if !ok {
		if unverified.Check == "" { // every receipt names its check; an admin token or another JWT does not
			return &ReceiptCheck{Valid: false, Reason: ReasonNotAReceipt}, nil
		}
		return &ReceiptCheck{Valid: false, Reason: ReasonOtherPortal}, nil
	}
	var claims ReceiptClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(a.now),
	)
	_, err = parser.ParseWithClaims(receipt, &claims, func(*jwt.Token) (any, error) { return pub, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return &ReceiptCheck{Valid: false, Reason: ReasonFromTheFuture}, nil
	case err != nil: // a bad signature, or a header changed to another algorithm
		return &ReceiptCheck{Valid: false, Reason: ReasonAltered}, nil
	case claims.Issuer != a.issuer:
		return &ReceiptCheck{Valid: false, Reason: ReasonOtherPortal}, nil
	}
	malformed := &ReceiptCheck{Valid: false, Reason: "the receipt's contents are malformed"}
	folded, err := a.foldName("name", claims.Name)
	if err != nil {
		return malformed, nil
	}
	switch claims.Check {
	case checkQualification:
		no, err := NormaliseCertificateNo(claims.CertificateNo)
		if err != nil {
			return malformed, nil
		}
		current, err := a.verify(ctx, no, folded)
		if err != nil {
			return nil, err
		}
		changed := current.Match != claims.Match || current.Status != claims.status() || current.Eligible != claims.Eligible
		return &ReceiptCheck{Valid: true, Claims: &claims, Current: current, Changed: changed}, nil
	case checkEligibility:
		hash, err := base64.RawURLEncoding.DecodeString(claims.IDHash)
		if err != nil || len(hash) != 32 {
			return malformed, nil
		}
		current, err := a.eligibility(ctx, hash, folded)
		if err != nil {
			return nil, err
		}
		changed := current.Match != claims.Match || current.Eligible != claims.Eligible
		return &ReceiptCheck{Valid: true, Claims: &claims, CurrentEligibility: current, Changed: changed}, nil
	}
	return &ReceiptCheck{Valid: false, Reason: "not a receipt of a check this portal makes"}, nil
}

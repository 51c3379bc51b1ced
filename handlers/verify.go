package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

type verifyRequest struct {
	CertificateNo string `json:"certificate_no"`
	Name          string `json:"name"`
}

// missJSON is the answer to a check that found nothing: the same three
// fields whatever missed, so a miss reveals nothing.
type missJSON struct {
	Match     bool      `json:"match"`
	CheckedAt time.Time `json:"checked_at"`
	Receipt   string    `json:"receipt"`
}

// matchJSON is the answer to a check that found the credential.
type matchJSON struct {
	Match      bool                 `json:"match"`
	Status     string               `json:"status"`
	Eligible   bool                 `json:"eligible"`
	Credential publicCredentialJSON `json:"credential"`
	Bans       []banJSON            `json:"bans"`
	CheckedAt  time.Time            `json:"checked_at"`
	Receipt    string               `json:"receipt"`
}

type publicCredentialJSON struct {
	CertificateNo   string     `json:"certificate_no"`
	HolderName      string     `json:"holder_name"`
	Kind            string     `json:"kind"`
	Subject         string     `json:"subject"`
	Issuer          string     `json:"issuer"`
	IssuedOn        store.Date `json:"issued_on"`
	RegisteredUntil store.Date `json:"registered_until"`
}

func toPublicCredentialJSON(c *store.Credential) publicCredentialJSON {
	return publicCredentialJSON{
		CertificateNo: c.CertificateNo, HolderName: c.HolderName, Kind: c.Kind, Subject: c.Subject,
		Issuer: c.Issuer, IssuedOn: c.IssuedOn, RegisteredUntil: c.RegisteredUntil,
	}
}

// toVerificationJSON returns a missJSON or a matchJSON.
func toVerificationJSON(v *app.Verification) any {
	if !v.Match {
		return missJSON{Match: false, CheckedAt: v.CheckedAt, Receipt: v.Receipt}
	}
	c := v.Credential
	out := matchJSON{
		Match: true, Status: v.Status, Eligible: v.Eligible, CheckedAt: v.CheckedAt, Receipt: v.Receipt,
		Credential: toPublicCredentialJSON(c),
		Bans:       []banJSON{},
	}
	for _, b := range v.Bans { // ban ids and reasons are internal
		out.Bans = append(out.Bans, banJSON{Scope: b.Scope, StartsOn: b.StartsOn, EndsOn: b.EndsOn, Permanent: b.Permanent()})
	}
	return out
}

func (s *Server) verify(c *fiber.Ctx) error {
	var req verifyRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	v, err := s.app.Verify(c.UserContext(), req.CertificateNo, req.Name)
	if err != nil {
		return err
	}
	return c.JSON(toVerificationJSON(v))
}

type receiptRequest struct {
	Receipt string `json:"receipt"`
}

type receiptCheckJSON struct {
	Valid   bool               `json:"valid"`
	Reason  string             `json:"reason,omitempty"`
	Claims  *app.ReceiptClaims `json:"claims,omitempty"`
	Current any                `json:"current,omitempty"`
	Changed bool               `json:"changed"`
}

func (s *Server) checkReceipt(c *fiber.Ctx) error {
	var req receiptRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	rc, err := s.app.CheckReceipt(c.UserContext(), req.Receipt)
	if err != nil {
		return err
	}
	out := receiptCheckJSON{Valid: rc.Valid, Reason: rc.Reason, Claims: rc.Claims, Changed: rc.Changed}
	switch {
	case rc.Current != nil:
		out.Current = toVerificationJSON(rc.Current)
	case rc.CurrentEligibility != nil:
		out.Current = toEligibilityJSON(rc.CurrentEligibility)
	}
	return c.JSON(out)
}

func (s *Server) jwks(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.JSON(fiber.Map{"keys": s.app.JWKS()})
}

package handlers

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	if !parseVerifyRequest(c.Get(fiber.HeaderContentType), c.Body(), &req) {
		if err := decodeJSON(c, &req, false); err != nil {
			return err
		}
	}
	v, err := s.app.Verify(c.UserContext(), req.CertificateNo, req.Name)
	if err != nil {
		return err
	}
	// The answer is appended by hand: reflection over the answer, and the
	// re-validation encoding/json gives every MarshalJSON result, were a
	// twentieth of the CPU of a verification under load.
	c.Response().SetBodyRaw(appendVerificationJSON(make([]byte, 0, 1536), v))
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return nil
}

// appendVerificationJSON appends what json.Marshal(toVerificationJSON(v))
// gives, byte for byte (a test holds the two together).
func appendVerificationJSON(dst []byte, v *app.Verification) []byte {
	if !v.Match {
		dst = append(dst, `{"match":false,"checked_at":`...)
		dst = appendTimeJSON(dst, v.CheckedAt)
		dst = append(dst, `,"receipt":`...)
		dst = appendStringJSON(dst, v.Receipt)
		return append(dst, '}')
	}
	c := v.Credential
	dst = append(dst, `{"match":true,"status":`...)
	dst = appendStringJSON(dst, v.Status)
	dst = append(dst, `,"eligible":`...)
	dst = strconv.AppendBool(dst, v.Eligible)
	dst = append(dst, `,"credential":{"certificate_no":`...)
	dst = appendStringJSON(dst, c.CertificateNo)
	dst = append(dst, `,"holder_name":`...)
	dst = appendStringJSON(dst, c.HolderName)
	dst = append(dst, `,"kind":`...)
	dst = appendStringJSON(dst, c.Kind)
	dst = append(dst, `,"subject":`...)
	dst = appendStringJSON(dst, c.Subject)
	dst = append(dst, `,"issuer":`...)
	dst = appendStringJSON(dst, c.Issuer)
	dst = append(dst, `,"issued_on":`...)
	dst = appendDateJSON(dst, c.IssuedOn)
	dst = append(dst, `,"registered_until":`...)
	dst = appendDateJSON(dst, c.RegisteredUntil)
	dst = append(dst, `},"bans":[`...)
	for i, b := range v.Bans { // ban ids and reasons are internal
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"scope":`...)
		dst = appendStringJSON(dst, b.Scope)
		dst = append(dst, `,"starts_on":`...)
		dst = appendDateJSON(dst, b.StartsOn)
		dst = append(dst, `,"ends_on":`...)
		dst = appendDateJSON(dst, b.EndsOn)
		dst = append(dst, `,"permanent":`...)
		dst = strconv.AppendBool(dst, b.Permanent())
		dst = append(dst, '}')
	}
	dst = append(dst, `],"checked_at":`...)
	dst = appendTimeJSON(dst, v.CheckedAt)
	dst = append(dst, `,"receipt":`...)
	dst = appendStringJSON(dst, v.Receipt)
	return append(dst, '}')
}

// appendStringJSON appends s as encoding/json writes it. Strings that need
// no escaping (valid UTF-8 without control, HTML or quoting characters, or
// U+2028/U+2029), which is nearly all of them, are copied; the rest go
// through encoding/json itself.
func appendStringJSON(dst []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x20, b == '"', b == '\\', b == '<', b == '>', b == '&':
			return appendMarshalledString(dst, s)
		case b >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && (!utf8.ValidString(s) || strings.ContainsRune(s, '\u2028') || strings.ContainsRune(s, '\u2029')) {
		return appendMarshalledString(dst, s)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendMarshalledString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

// appendTimeJSON appends t as time.Time's MarshalJSON does, for the years
// it accepts (a check's time is now).
func appendTimeJSON(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendDateJSON appends d as store.Date's MarshalJSON does: null for no
// date, else "YYYY-MM-DD".
func appendDateJSON(dst []byte, d store.Date) []byte {
	if d.IsZero() {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = append(dst, d.String()...)
	return append(dst, '"')
}

// parseVerifyRequest is the fast path of decoding a verification request,
// the one request the portal serves at volume: it accepts only the plain
// form, Content-Type application/json and a body of valid UTF-8 holding one
// object whose members are "certificate_no" and "name" with strings free of
// escapes and control characters, and fills req as decodeJSON would. For
// anything else it reports false and leaves the request to decodeJSON,
// which decides it and words the problem. encoding/json's decoder, with
// its buffer and its second pass for trailing data, cost more than the
// rest of the request's parsing.
func parseVerifyRequest(contentType string, body []byte, req *verifyRequest) bool {
	if !strings.EqualFold(contentType, fiber.MIMEApplicationJSON) || !utf8.Valid(body) {
		return false
	}
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipJSONSpace(body, i+1)
	var no, name []byte
	var haveNo, haveName bool
	if i < len(body) && body[i] == '}' {
		i++
	} else {
		for {
			key, next, ok := plainJSONString(body, i)
			if !ok {
				return false
			}
			i = skipJSONSpace(body, next)
			if i >= len(body) || body[i] != ':' {
				return false
			}
			val, next, ok := plainJSONString(body, skipJSONSpace(body, i+1))
			if !ok {
				return false
			}
			switch string(key) {
			case "certificate_no":
				if haveNo {
					return false
				}
				no, haveNo = val, true
			case "name":
				if haveName {
					return false
				}
				name, haveName = val, true
			default: // unknown or differently cased: decodeJSON's rules apply
				return false
			}
			i = skipJSONSpace(body, next)
			if i < len(body) && body[i] == ',' {
				i = skipJSONSpace(body, i+1)
				continue
			}
			if i < len(body) && body[i] == '}' {
				i++
				break
			}
			return false
		}
	}
	if skipJSONSpace(body, i) != len(body) {
		return false
	}
	// Fresh copies: the body's buffer is reused after the handler.
	req.CertificateNo, req.Name = string(no), string(name)
	return true
}

// skipJSONSpace returns the index of the first byte from i on that is not
// JSON white space.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainJSONString reads a JSON string starting at b[i] that holds no
// escape and no control character, and returns its contents and the index
// after its closing quote; ok is false for anything else.
func plainJSONString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
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

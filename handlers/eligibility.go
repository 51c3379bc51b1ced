package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
)

type eligibilityRequest struct {
	IDNumber string `json:"id_number"`
	Name     string `json:"name"`
}

type eligibilityJSON struct {
	Match     bool      `json:"match"`
	Eligible  bool      `json:"eligible"`
	Bans      []banJSON `json:"bans"`
	CheckedAt time.Time `json:"checked_at"`
	Receipt   string    `json:"receipt"`
}

func toEligibilityJSON(e *app.Eligibility) eligibilityJSON {
	out := eligibilityJSON{Match: e.Match, Eligible: e.Eligible, Bans: []banJSON{}, CheckedAt: e.CheckedAt, Receipt: e.Receipt}
	for _, b := range e.Bans {
		out.Bans = append(out.Bans, banJSON{Scope: b.Scope, StartsOn: b.StartsOn, EndsOn: b.EndsOn, Permanent: b.Permanent()})
	}
	return out
}

// eligibility answers an admin (token) or a school client (API key with
// the eligibility scope); a client's check is recorded as its use. Its
// body is read strictly, as every admin request's and the other School API
// bodies are: a misspelt field is a 400, not a silent miss.
func (s *Server) eligibility(c *fiber.Ctx) error {
	var req eligibilityRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	var (
		e   *app.Eligibility
		err error
	)
	if cl := clientFrom(c); cl != nil {
		e, err = s.app.ClientEligibility(c.UserContext(), cl, req.IDNumber, req.Name)
	} else {
		e, err = s.app.CheckEligibility(c.UserContext(), req.IDNumber, req.Name)
	}
	if err != nil {
		return err
	}
	return c.JSON(toEligibilityJSON(e))
}

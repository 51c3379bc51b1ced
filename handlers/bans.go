package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// holderBanJSON is a ban as the bans list shows it: every field present,
// null where there is no value.
type holderBanJSON struct {
	ID        int64      `json:"id"`
	Scope     string     `json:"scope"`
	StartsOn  store.Date `json:"starts_on"`
	EndsOn    store.Date `json:"ends_on"` // null: permanent
	Permanent bool       `json:"permanent"`
	Reason    string     `json:"reason"`
	CaseID    *string    `json:"case_id"`   // null when the ban follows from no case
	LiftedAt  *time.Time `json:"lifted_at"` // null while not lifted
}

type holderBansJSON struct {
	Bans []holderBanJSON `json:"bans"`
}

// holderBans answers GET /admin/bans?certificate_no=... or ?id_number=...:
// the holder's bans, lifted ones included. Each parameter may be given
// once; the ID number sits in the query string because the contract says
// so, which is why nothing here logs or echoes a URL.
func (s *Server) holderBans(c *fiber.Ctx) error {
	var q app.BanQuery
	var err error
	if q.CertificateNo, err = singleQuery(c, "certificate_no"); err != nil {
		return err
	}
	if q.IDNumber, err = singleQuery(c, "id_number"); err != nil {
		return err
	}
	bans, err := s.app.HolderBans(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := holderBansJSON{Bans: make([]holderBanJSON, 0, len(bans))}
	for _, b := range bans {
		bj := holderBanJSON{ID: b.ID, Scope: b.Scope, StartsOn: b.StartsOn, EndsOn: b.EndsOn,
			Permanent: b.Permanent(), Reason: b.Reason}
		if b.CaseID != "" {
			bj.CaseID = &b.CaseID
		}
		if !b.LiftedAt.IsZero() {
			lifted := b.LiftedAt.UTC()
			bj.LiftedAt = &lifted
		}
		out.Bans = append(out.Bans, bj)
	}
	return c.JSON(out)
}

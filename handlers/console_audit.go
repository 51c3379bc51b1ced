package handlers

import (
	"encoding/hex"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's audit page: the log paged as the API pages it, the chain's
// verification, and the current signed checkpoint with its verifier key.

const auditPageSize = 50

// auditRow is one event as the page shows it.
type auditRow struct {
	store.AuditEvent
	HashHex, PrevHex string
}

// Short is the start of the hash, enough to tell events apart by eye.
func (r auditRow) Short() string {
	if len(r.HashHex) > 12 {
		return r.HashHex[:12]
	}
	return r.HashHex
}

type auditView struct {
	registerLabels
	Events     []auditRow
	After      int64
	Limit      int
	NextAfter  int64 // 0 when this is the last page
	Verify     *app.AuditReport
	Checkpoint string
	Key        string
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	v := auditView{Limit: auditPageSize}
	if q := c.Query("after"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 0 {
			return store.FieldError(store.EInvalid, "after", "after must be a whole number, 0 or more")
		}
		v.After = n
	}
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return store.FieldError(store.EInvalid, "limit", "limit must be a whole number")
		}
		v.Limit = n
	}
	ctx := c.UserContext()
	evs, err := s.app.AuditEvents(ctx, v.After, v.Limit)
	if err != nil {
		return err
	}
	for _, e := range evs {
		v.Events = append(v.Events, auditRow{AuditEvent: e, HashHex: hex.EncodeToString(e.Hash), PrevHex: hex.EncodeToString(e.PrevHash)})
	}
	if len(evs) == v.Limit {
		v.NextAfter = evs[len(evs)-1].Seq
	}
	if v.Verify, err = s.app.VerifyAudit(ctx); err != nil {
		return err
	}
	cp, err := s.app.AuditCheckpoint(ctx)
	if err != nil {
		return err
	}
	v.Checkpoint = string(cp)
	if v.Key, err = s.app.AuditCheckpointKey(); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "audit", "register.audit.title", v)
}

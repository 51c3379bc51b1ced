package handlers

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/store"
)

type auditEventJSON struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Details  json.RawMessage `json:"details"`
	Digest   string          `json:"digest"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

type auditPageJSON struct {
	Events    []auditEventJSON `json:"events"`
	NextAfter int64            `json:"next_after"` // pass as after= for the next page
}

func (s *Server) auditEvents(c *fiber.Ctx) error {
	after, limit := int64(0), 100
	v, err := singleQuery(c, "after")
	if err != nil {
		return err
	}
	if v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return store.FieldError(store.EInvalid, "after", "after must be a whole number")
		}
		after = n
	}
	if v, err = singleQuery(c, "limit"); err != nil {
		return err
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return store.FieldError(store.EInvalid, "limit", "limit must be a whole number")
		}
		limit = n
	}
	evs, err := s.app.AuditEvents(c.UserContext(), after, limit)
	if err != nil {
		return err
	}
	out := auditPageJSON{Events: make([]auditEventJSON, 0, len(evs)), NextAfter: after}
	for _, e := range evs {
		out.Events = append(out.Events, auditEventJSON{Seq: e.Seq, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Object: e.Object,
			Details: e.Details, Digest: hex.EncodeToString(e.Digest), PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)})
		out.NextAfter = e.Seq
	}
	return c.JSON(out)
}

type auditVerifyJSON struct {
	OK         bool   `json:"ok"`
	Events     int64  `json:"events"`
	Head       string `json:"head"`
	BadSeq     int64  `json:"first_bad_seq,omitempty"`
	Problem    string `json:"problem,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"` // signed checkpoint of events and head, when ok
}

func (s *Server) verifyAudit(c *fiber.Ctx) error {
	rep, err := s.app.VerifyAudit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(auditVerifyJSON{OK: rep.OK, Events: rep.Events, Head: rep.Head, BadSeq: rep.BadSeq, Problem: rep.Problem,
		Checkpoint: string(rep.Checkpoint)})
}

// auditCheckpoint serves the audit log's newest checkpoint, a signed note
// in the C2SP checkpoint format. It changes with every event, so caches
// must ask again.
func (s *Server) auditCheckpoint(c *fiber.Ctx) error {
	cp, err := s.app.AuditCheckpoint(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Send(cp)
}

// auditCheckpointKey serves the note verifier key of the checkpoints, with
// no trailing newline, so that the body is the key exactly.
func (s *Server) auditCheckpointKey(c *fiber.Ctx) error {
	k, err := s.app.AuditCheckpointKey()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString(k)
}

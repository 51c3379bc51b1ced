package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"ethicsportal/store"
)

// Actors that are not administrators.
const (
	ActorCLI       = "cli"       // an operator at the command line
	ActorAnonymous = "anonymous" // a failed sign-in names who it claimed to be in the details
)

// record appends an audit event inside tx, so it commits with the change it
// describes or not at all. details must never hold a secret or an ID number.
func (a *App) record(ctx context.Context, tx store.Tx, actor, action, object string, details any) error {
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("app: audit details: %w", err)
	}
	e := &store.AuditEvent{At: a.now(), Actor: actor, Action: action, Object: object, Details: raw}
	if err := tx.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("app: audit: %w", err)
	}
	return nil
}

// MaxAuditPage is the most events one AuditEvents call returns.
const MaxAuditPage = 1000

// AuditEvents returns up to limit events after sequence number after.
// EInvalid for a negative after or a limit outside 1..MaxAuditPage.
func (a *App) AuditEvents(ctx context.Context, after int64, limit int) ([]store.AuditEvent, error) {
	if after < 0 {
		return nil, store.FieldError(store.EInvalid, "after", "after is a sequence number, 0 or more")
	}
	if limit < 1 || limit > MaxAuditPage {
		return nil, store.FieldError(store.EInvalid, "limit", "limit is from 1 to %d", MaxAuditPage)
	}
	evs, err := a.store.AuditEvents(ctx, after, limit)
	return evs, internal("audit events", err)
}

// AuditReport is the outcome of checking the whole chain.
type AuditReport struct {
	OK      bool
	Events  int64  // events checked
	Head    string // hex hash of the last intact event
	BadSeq  int64  // the first event that does not check, 0 when OK
	Problem string // what is wrong with it
}

// VerifyAudit recomputes the hash chain from the first event to the last,
// page by page, and reports the first event whose sequence number, link,
// digest or hash is wrong.
func (a *App) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{OK: true, Head: hex.EncodeToString(store.GenesisHash)}
	var prev *store.AuditEvent
	for {
		after := int64(0)
		if prev != nil {
			after = prev.Seq
		}
		page, err := a.store.AuditEvents(ctx, after, MaxAuditPage)
		if err != nil {
			return nil, internal("audit verify", err)
		}
		for i := range page {
			e := &page[i]
			if !e.Check(prev) {
				rep.OK, rep.BadSeq, rep.Problem = false, e.Seq, auditProblem(e, prev)
				if e.Seq != expectedSeq(prev) {
					rep.BadSeq = expectedSeq(prev) // a gap: the missing event is the bad one
				}
				return rep, nil
			}
			prev = e
			rep.Events++
			rep.Head = hex.EncodeToString(e.Hash)
		}
		if len(page) < MaxAuditPage {
			break
		}
	}
	// Events cut from the end leave an intact, shorter chain: only a head
	// kept elsewhere shows that, which is why the report gives the head.
	return rep, nil
}

func expectedSeq(prev *store.AuditEvent) int64 {
	if prev == nil {
		return 1
	}
	return prev.Seq + 1
}

func auditProblem(e, prev *store.AuditEvent) string {
	want := expectedSeq(prev)
	switch {
	case e.Seq != want:
		return fmt.Sprintf("event %d is missing (found %d next)", want, e.Seq)
	case prev != nil && !bytes.Equal(e.PrevHash, prev.Hash):
		return "it does not link to the event before it"
	}
	e2 := *e
	e2.Seal(prev)
	if !bytes.Equal(e2.Digest, e.Digest) {
		return "its details were changed"
	}
	return "its contents do not match its hash"
}

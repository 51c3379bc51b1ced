package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"ethicsportal/keys"
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
	OK      bool   // the chain is intact
	Events  int64  // events checked
	Head    string // hex hash of the last intact event
	BadSeq  int64  // the first event that does not check, 0 when OK
	Problem string // what is wrong with it

	// Checkpoint is a signed checkpoint of Events and Head when the chain
	// is intact: what an auditor keeps to pin the log as it was verified.
	Checkpoint []byte

	// Kept is the outcome of checking a kept checkpoint; nil when none
	// was given.
	Kept *KeptCheckpoint
}

// Holds reports whether the chain is intact and still holds the kept
// checkpoint, if one was given.
func (r *AuditReport) Holds() bool { return r.OK && (r.Kept == nil || r.Kept.Holds) }

// KeptCheckpoint is the outcome of checking the log against a checkpoint
// kept outside it.
type KeptCheckpoint struct {
	Holds   bool
	Size    int64  // events it covers; 0 when it could not be read
	Hash    string // hex hash it pins at Size
	Problem string // why it does not hold
}

// VerifyAudit recomputes the hash chain from the first event to the last,
// page by page, and reports the first event whose sequence number, link,
// digest or hash is wrong. When the chain is intact the report carries a
// signed checkpoint of it.
func (a *App) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep, _, err := a.walkAudit(ctx, -1)
	return rep, err
}

// VerifyAuditCheckpoint checks the chain as VerifyAudit does and whether it
// still holds a checkpoint kept outside the portal (signed, as
// AuditCheckpoint gives it): the checkpoint must verify with this store's
// checkpoint key and name this store's log, the log must have at least as
// many events as it covers, and the event at that count must have the hash
// it pins. A chain cut at its end, or rewritten and resealed up to there,
// fails the last two. A checkpoint that does not hold is reported, not an
// error; errors are the store's.
func (a *App) VerifyAuditCheckpoint(ctx context.Context, kept []byte) (*AuditReport, error) {
	cp, err := a.checkpointKeys.OpenCheckpoint(kept, a.auditOrigin)
	if err != nil {
		rep, err2 := a.VerifyAudit(ctx)
		if err2 != nil {
			return nil, err2
		}
		rep.Kept = &KeptCheckpoint{Problem: keptProblem(err)}
		return rep, nil
	}
	rep, pinned, err := a.walkAudit(ctx, cp.Size)
	if err != nil {
		return nil, err
	}
	k := &KeptCheckpoint{Size: cp.Size, Hash: hex.EncodeToString(cp.Hash)}
	rep.Kept = k
	switch {
	case pinned != nil && bytes.Equal(pinned, cp.Hash):
		k.Holds = true
	case pinned != nil:
		k.Problem = fmt.Sprintf("event %d has hash %s, the checkpoint pins %s: the log was rewritten up to there", cp.Size, hex.EncodeToString(pinned), k.Hash)
	case !rep.OK:
		k.Problem = fmt.Sprintf("the chain breaks at event %d, before the %d events the checkpoint covers", rep.BadSeq, cp.Size)
	default:
		k.Problem = fmt.Sprintf("the log has %d events, the checkpoint covers %d: events were removed from its end", rep.Events, cp.Size)
	}
	return rep, nil
}

func keptProblem(err error) string {
	switch {
	case errors.Is(err, keys.ErrCheckpointSignature):
		return "its signature does not verify with this store's checkpoint key: it was altered, made by another portal, or this store's key was replaced"
	case errors.Is(err, keys.ErrOtherLog):
		return "it is a checkpoint of another log"
	}
	return "it is not a signed checkpoint"
}

// walkAudit recomputes the chain from the first event. It returns the
// report, with a signed checkpoint of the chain when it is intact, and,
// when pin is 0 or more and the chain is intact up to event pin, the hash
// at pin (the genesis hash for 0).
func (a *App) walkAudit(ctx context.Context, pin int64) (*AuditReport, []byte, error) {
	rep := &AuditReport{OK: true}
	head := store.GenesisHash
	var pinned []byte
	if pin == 0 {
		pinned = store.GenesisHash
	}
	var prev *store.AuditEvent
	for {
		after := int64(0)
		if prev != nil {
			after = prev.Seq
		}
		page, err := a.store.AuditEvents(ctx, after, MaxAuditPage)
		if err != nil {
			return nil, nil, internal("audit verify", err)
		}
		for i := range page {
			e := &page[i]
			if !e.Check(prev) {
				rep.OK, rep.BadSeq, rep.Problem = false, e.Seq, auditProblem(e, prev)
				rep.Head = hex.EncodeToString(head)
				if e.Seq != expectedSeq(prev) {
					rep.BadSeq = expectedSeq(prev) // a gap: the missing event is the bad one
				}
				return rep, pinned, nil
			}
			prev = e
			rep.Events++
			head = e.Hash
			if e.Seq == pin {
				pinned = e.Hash
			}
		}
		if len(page) < MaxAuditPage {
			break
		}
	}
	// Events cut from the end leave an intact, shorter chain: only a head
	// kept elsewhere (a checkpoint) shows that.
	rep.Head = hex.EncodeToString(head)
	var err error
	if rep.Checkpoint, err = a.signCheckpoint(rep.Events, head); err != nil {
		return nil, nil, err
	}
	return rep, pinned, nil
}

// AuditCheckpoint returns a signed checkpoint of the audit log as it is
// now: its number of events and the hash of the newest, in the C2SP
// checkpoint format, verifiable with AuditCheckpointKey. It does not check
// the chain: VerifyAudit does, and a checkpoint kept by anyone later shows
// whether the log was cut or rewritten since.
func (a *App) AuditCheckpoint(ctx context.Context) ([]byte, error) {
	size, head := int64(0), store.GenesisHash
	last, err := a.store.LastAuditEvent(ctx)
	switch {
	case err == nil:
		size, head = last.Seq, last.Hash
	case !errNotFound(err):
		return nil, internal("audit checkpoint", err)
	}
	return a.signCheckpoint(size, head)
}

// AuditCheckpointKey returns the note verifier key (name+hash+key) that
// checks the checkpoints this portal signs.
func (a *App) AuditCheckpointKey() (string, error) {
	k, err := a.checkpointKeys.VerifierKey(a.auditOrigin)
	return k, internal("audit checkpoint key", err)
}

func (a *App) signCheckpoint(size int64, head []byte) ([]byte, error) {
	msg, err := a.checkpointKeys.SignCheckpoint(keys.Checkpoint{Origin: a.auditOrigin, Size: size, Hash: head})
	return msg, internal("audit checkpoint", err)
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

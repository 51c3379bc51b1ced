package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	"ethicsportal/store"
)

// CaseRecord is a case as the admin API shows it: everything on record,
// and the findings of the redaction check on its public text as it is now.
type CaseRecord struct {
	store.Case
	Findings []Finding
	// PendingActions are the ids of the pending actions on the case,
	// newest first: approving one of them changes it.
	PendingActions []int64
}

// caseIDEncoding writes case ids: lower-case base32 without padding.
var caseIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newCaseID returns a fresh case id: 80 random bits as 16 lower-case base32
// characters, so that nothing about drafts or volume can be learned from
// an id.
func newCaseID() string {
	var b [10]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return caseIDEncoding.EncodeToString(b[:])
}

// caseIDPattern accepts what may be a case id in a path or a parameter:
// the ids this package makes, and others a store may hold (demo data).
var caseIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// createAttempts bounds the retries of a creation whose random id was
// taken; with 80 bits a second attempt is already beyond belief.
const createAttempts = 3

// CreateCase records a new draft written by actor, audited as case.create.
// Every field is validated (see CaseInput and mergeCaseInput): EMissing,
// EInvalid naming the field; EUnknownRef when certificate_no is not in the
// register.
func (a *App) CreateCase(ctx context.Context, actor string, in CaseInput) (*CaseRecord, error) {
	c := &store.Case{Status: store.CaseDraft, CreatedBy: actor}
	if _, err := mergeCaseInput(c, in, a.today()); err != nil {
		return nil, err
	}
	var err error
	for range createAttempts {
		c.ID = newCaseID()
		err = a.store.Update(ctx, func(tx store.Tx) error {
			if _, err := linkedCredential(ctx, tx, c.CertificateNo); err != nil {
				return err
			}
			now := a.now()
			c.CreatedAt, c.UpdatedAt = now, now
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
			return a.record(ctx, tx, actor, "case.create", "case:"+c.ID, caseDetails(c, caseFieldNames))
		})
		if !store.IsCode(err, store.EConflict) {
			break
		}
	}
	if err != nil {
		return nil, internal("create case", err)
	}
	return a.AdminCase(ctx, c.ID)
}

// UpdateCase changes the given fields of a draft on behalf of actor and
// audits the change as case.update. The whole draft is validated as it
// would be after the change (as CreateCase does). The write is
// conditional on the version read, and on ifVersion too when it is not
// 0 (the version the editor saw): EConflict when the case changed
// meanwhile, and when it is no longer a draft (a published case changes
// by an amend_case action). ENotFound for an unknown id. A change that
// changes nothing writes nothing.
func (a *App) UpdateCase(ctx context.Context, actor, id string, in CaseInput, ifVersion int64) (*CaseRecord, error) {
	err := a.store.Update(ctx, func(tx store.Tx) error {
		c, err := a.caseIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status != store.CaseDraft {
			return store.Errorf(store.EConflict, "case %s is %s: only a draft is edited; a published case is changed by an amend_case action", id, c.Status)
		}
		if ifVersion != 0 && c.Version != ifVersion {
			return store.Errorf(store.EConflict, "case %s is at version %d, not %d: someone changed it since you read it", id, c.Version, ifVersion)
		}
		from := c.Version
		changed, err := mergeCaseInput(c, in, a.today())
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := linkedCredential(ctx, tx, c.CertificateNo); err != nil {
			return err
		}
		c.UpdatedAt = a.now()
		if err := tx.WriteCase(ctx, c, from); err != nil {
			if store.IsCode(err, store.EConflict) {
				return store.Errorf(store.EConflict, "case %s was changed by someone else a moment ago; read it again", id)
			}
			return err
		}
		return a.record(ctx, tx, actor, "case.update", "case:"+id, caseDetails(c, changed))
	})
	if err != nil {
		return nil, internal("update case", err)
	}
	return a.AdminCase(ctx, id)
}

// caseDetails is what the audit log keeps of a change to a case: the
// fields changed, the version written, the linked certificate, and a
// digest of the content, never the text itself. A draft's text may hold
// the very ID numbers and phone numbers the redaction check is there to
// catch, and the audit log keeps what it holds for ever; the digest ties
// the event to the content on record (the case, or one of its revisions).
func caseDetails(c *store.Case, fields []string) map[string]any {
	return map[string]any{"status": c.Status, "version": c.Version, "fields": fields,
		"certificate_no": c.CertificateNo, "content_sha256": contentDigest(&c.CaseContent)}
}

// contentDigest is the SHA-256 of the content as JSON, in hex.
func contentDigest(c *store.CaseContent) string {
	raw, _ := json.Marshal(c) // plain strings, ints and dates: cannot fail
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// caseIn reads a case; ENotFound naming it when there is none, or when id
// cannot be one.
func (a *App) caseIn(ctx context.Context, r store.Reader, id string) (*store.Case, error) {
	if !caseIDPattern.MatchString(id) {
		return nil, store.Errorf(store.ENotFound, "no case %q", clip(id, 64))
	}
	c, err := r.CaseByID(ctx, id)
	if errNotFound(err) {
		return nil, store.Errorf(store.ENotFound, "no case %s", id)
	}
	return c, err
}

// AdminCase returns a case with everything on record and its findings.
// ENotFound if there is none.
func (a *App) AdminCase(ctx context.Context, id string) (*CaseRecord, error) {
	c, err := a.caseIn(ctx, a.store, id)
	if err != nil {
		return nil, internal("case", err)
	}
	fs, err := a.caseFindings(ctx, a.store, c)
	if err != nil {
		return nil, internal("case findings", err)
	}
	pend, err := a.pendingActionsOn(ctx, "case:"+c.ID)
	if err != nil {
		return nil, internal("case actions", err)
	}
	return &CaseRecord{Case: *c, Findings: fs, PendingActions: pend}, nil
}

// pendingActionsOn returns the ids of the pending actions whose object is
// object, newest first. It reads every pending action: the queue of
// actions waiting for a second person is short by nature, and the store
// has no index by object.
func (a *App) pendingActionsOn(ctx context.Context, object string) ([]int64, error) {
	acts, _, err := a.store.Actions(ctx, store.ActionFilter{Status: store.ActionPending})
	if err != nil {
		return nil, err
	}
	out := []int64{}
	for _, act := range acts {
		if act.Object == object {
			out = append(out, act.ID)
		}
	}
	return out, nil
}

// caseFindings runs the redaction check on c's public text and on extra
// texts published beside it (an amendment's note), with the name of the
// holder it links to.
func (a *App) caseFindings(ctx context.Context, r store.Reader, c *store.Case, extra ...textField) ([]Finding, error) {
	return a.textFindings(ctx, r, c, &c.CaseContent, extra...)
}

// textFindings runs the redaction check on content (none when nil) and
// extra, with the name and certificate number of the holder c links to.
func (a *App) textFindings(ctx context.Context, r store.Reader, c *store.Case, content *store.CaseContent, extra ...textField) ([]Finding, error) {
	in := redactionInput{content: content, extra: extra, certificateNo: c.CertificateNo}
	if c.CertificateNo != "" {
		cred, err := r.CredentialByNumber(ctx, c.CertificateNo)
		switch {
		case err == nil:
			in.holderName = cred.HolderName
		case !errNotFound(err):
			return nil, fmt.Errorf("app: case holder: %w", err)
		}
	}
	return a.findings(in), nil
}

// Case statuses an admin list may ask for: the stored ones, and pending
// (cases an action waits on, whatever their status).
const CasePending = "pending"

// AdminCases lists cases with the given status ("" for all, or pending),
// most recently changed first, one page at a time, with the total.
// EInvalid for another status.
func (a *App) AdminCases(ctx context.Context, status string, page Page) ([]store.Case, int, error) {
	f := store.CaseFilter{Limit: page.PerPage, Offset: page.offset()}
	switch status {
	case "", store.CaseDraft, store.CasePublished, store.CaseWithdrawn:
		f.Status = status
	case CasePending:
		f.Pending = true
	default:
		return nil, 0, store.FieldError(store.EInvalid, "status", "status is draft, pending, published or withdrawn")
	}
	cs, total, err := a.store.Cases(ctx, f)
	return cs, total, internal("cases", err)
}

package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"ethicsportal/store"
	"ethicsportal/webhook"
)

// Watches: a school client asks to be told, by a signed webhook, when the
// holder of a credential it checked changes (status, identity, bans). A
// client sees and ends only its own watches; another client's watch is
// ENotFound, exactly like one that does not exist.

// WatchInput is a request to watch a credential.
type WatchInput struct {
	CertificateNo string
	Name          string
	CallbackURL   string
}

// watchCreateAttempts bounds the retries of a creation whose random id
// was taken; with 80 bits a second attempt is already beyond belief.
const watchCreateAttempts = 3

// errWatchNoMatch is the message of a watch request whose certificate
// number and name do not match the register: the same whatever missed.
const errWatchNoMatch = "no credential in the register matches this certificate number and name"

// CreateWatch records a watch of the credential for client c. The
// certificate number and the name must match the register as a
// verification matches them, else EUnknownRef with one message whatever
// missed (the number unknown, or the name another's), after the same store
// work; the callback URL must pass webhook.ValidateURL under
// PORTAL_WEBHOOK_ALLOW_LOOPBACK (EInvalid on field callback_url, checked
// before the register is read). EConflict when the client already watches
// the credential.
//
// A creation is a check of number and name, and every one that reaches
// the register is the client's use (watch_create) with what it found:
// match true with the watch (in the watch's own transaction), true with a
// 409 (the client learnt that number and name belong together), false
// with a 422, which stores nothing else. A request refused before the
// register is read (a bad field) checked nothing and records nothing.
func (a *App) CreateWatch(ctx context.Context, cl *store.Client, in WatchInput) (*store.Watch, error) {
	no, err := NormaliseCertificateNo(in.CertificateNo)
	if err != nil {
		return nil, err
	}
	folded, err := a.foldName("name", in.Name)
	if err != nil {
		return nil, err
	}
	cb := strings.TrimSpace(in.CallbackURL)
	if cb == "" {
		return nil, store.FieldError(store.EMissing, "callback_url", "callback_url is required")
	}
	u, err := webhook.ValidateURL(cb, a.cfg.WebhookAllowLoopback)
	if err != nil {
		var ue *webhook.URLError
		if errors.As(err, &ue) {
			return nil, store.FieldError(store.EInvalid, "callback_url", "%s", ue.Error())
		}
		return nil, err
	}
	// The read of a verification: a decoy row for an unknown number, and
	// the name compared in constant time, so a miss costs what a hit does
	// (each then writes its usage row in one transaction).
	c, _, err := a.store.CredentialWithBans(ctx, no)
	if err != nil && !errNotFound(err) {
		return nil, internal("watch", err)
	}
	if err != nil || subtle.ConstantTimeCompare([]byte(c.HolderNameFolded), []byte(folded)) != 1 {
		if err := a.RecordUsage(ctx, cl, watchUsage(store.UsageWatchCreate, no, false)); err != nil {
			return nil, err
		}
		return nil, store.FieldError(store.EUnknownRef, "certificate_no", errWatchNoMatch)
	}
	w := &store.Watch{ClientID: cl.ID, CertificateNo: no, CallbackURL: u.String(), CreatedAt: a.now()}
	for attempt := 1; ; attempt++ {
		w.ID = "wa_" + newCaseID()
		err = a.store.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreateWatch(ctx, w); err != nil {
				return err
			}
			return a.recordUsageIn(ctx, tx, cl, []store.ClientUsage{watchUsage(store.UsageWatchCreate, no, true)})
		})
		if err == nil {
			return w, nil
		}
		if !store.IsCode(err, store.EConflict) {
			return nil, internal("create watch", err)
		}
		// The id was taken (beyond belief) or the client watches it already.
		if _, taken := a.store.WatchByID(ctx, w.ID); taken != nil || attempt == watchCreateAttempts {
			if err := a.RecordUsage(ctx, cl, watchUsage(store.UsageWatchCreate, no, true)); err != nil {
				return nil, err
			}
			return nil, store.FieldError(store.EConflict, "certificate_no", "this client already watches certificate %s; delete that watch first to change its callback", no)
		}
	}
}

// Watches lists the client's standing watches, newest first, one page at a
// time, with the total.
func (a *App) Watches(ctx context.Context, cl *store.Client, page Page) ([]store.Watch, int, error) {
	ws, total, err := a.store.Watches(ctx, store.WatchFilter{ClientID: cl.ID, Limit: page.PerPage, Offset: page.offset()})
	return ws, total, internal("watches", err)
}

// Watch returns one of the client's standing watches. ENotFound for an
// unknown or deleted watch and for another client's.
func (a *App) Watch(ctx context.Context, cl *store.Client, id string) (*store.Watch, error) {
	return a.ownWatch(ctx, a.store, cl.ID, id)
}

func (a *App) ownWatch(ctx context.Context, r store.Reader, clientID, id string) (*store.Watch, error) {
	w, err := r.WatchByID(ctx, id)
	if err != nil && !errNotFound(err) {
		return nil, internal("watch", err)
	}
	if err != nil || w.ClientID != clientID || !w.DeletedAt.IsZero() {
		return nil, store.Errorf(store.ENotFound, "no watch %s", id)
	}
	return w, nil
}

// DeleteWatch ends one of the client's watches, with its usage record
// (watch_delete); its pending deliveries are not sent. ENotFound as for
// Watch, recording nothing. The record's match is true: a deletion checks
// nothing against the register, and a recorded one always found and ended
// a standing watch of the client's, made from a matching check of that
// number (false would read as a miss that never happened).
func (a *App) DeleteWatch(ctx context.Context, cl *store.Client, id string) error {
	err := a.store.Update(ctx, func(tx store.Tx) error {
		w, err := a.ownWatch(ctx, tx, cl.ID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWatch(ctx, id, a.now()); err != nil {
			return err
		}
		return a.recordUsageIn(ctx, tx, cl, []store.ClientUsage{watchUsage(store.UsageWatchDelete, w.CertificateNo, true)})
	})
	return internal("delete watch", err)
}

// WatchDeliveries returns the delivery history of one of the client's
// watches, newest first, with the total. ENotFound as for Watch.
func (a *App) WatchDeliveries(ctx context.Context, cl *store.Client, id string, page Page) ([]store.WebhookDelivery, int, error) {
	if _, err := a.Watch(ctx, cl, id); err != nil {
		return nil, 0, err
	}
	ds, total, err := a.store.WebhookDeliveries(ctx, id, page.PerPage, page.offset())
	return ds, total, internal("webhook deliveries", err)
}

// errClientDisabled is clientWebhookSecret's error for a disabled client;
// its text is shown to the client as the delivery's last error.
var errClientDisabled = errors.New("the client is disabled")

// clientWebhookSecret is the key a client's deliveries are signed with:
// its webhook secret (webhookSecret), as the client was shown it. ENotFound
// when the client no longer exists (its deliveries fail at once); a
// disabled client's deliveries are retried, so that enabling it again
// within the retry window lets them through.
func (a *App) clientWebhookSecret(ctx context.Context, clientID string) ([]byte, error) {
	c, err := a.store.ClientByID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if c.Disabled {
		return nil, errClientDisabled
	}
	return a.webhookSecret(c), nil
}

// watchUsage is WatchUsage with what the request found: for watch_create
// whether number and name matched the register, for watch_delete true
// (see DeleteWatch).
func watchUsage(kind, no string, match bool) store.ClientUsage {
	u := WatchUsage(kind, no)
	u.Match = match
	return u
}

package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"ethicsportal/store"
	"ethicsportal/webhook"
)

// Webhooks. An applied action that changes a holder's credential status,
// identity or bans enqueues one TopicHolderChanged message in its own
// transaction (holderChanged). The outbox consumer "webhooks" expands it
// into one delivery per standing watch of each certificate it concerns,
// each with the exact body to send; a delivery loop on every instance
// claims due deliveries under a lease and sends them, signed, retrying
// with back-off for at least webhook.RetryWindow before giving up and
// pausing the watch.

// TopicHolderChanged is the outbox topic of a change a watch is told of.
const TopicHolderChanged = "holder.changed"

// Event types, the "type" of a webhook event.
const (
	EventStatusChanged = "credential.status_changed"
	EventCorrected     = "credential.corrected"
	EventBanImposed    = "ban.imposed"
	EventBanLifted     = "ban.lifted"
)

// Kinds of holder change, as the outbox payload names them.
const (
	changeStatus   = "status"
	changeIdentity = "identity"
	changeBan      = "ban"
)

// holderChanged is the payload of a TopicHolderChanged message: one change
// and, for each certificate it concerns, the event a watch of that
// certificate is sent.
type holderChanged struct {
	Type           string              `json:"type"`
	Kind           string              `json:"kind"` // status, identity or ban
	CertificateNos []string            `json:"certificate_nos"`
	PersonID       int64               `json:"person_id,omitempty"`
	Reason         string              `json:"reason"` // the action's reason, public
	ActionID       int64               `json:"action_id"`
	OccurredAt     time.Time           `json:"occurred_at"`
	Credentials    []changedCredential `json:"credentials"`
}

// changedCredential is one certificate's part of a change, decided inside
// the applying transaction.
type changedCredential struct {
	EventID       string `json:"event_id"` // X-Portal-Event-Id of its deliveries, the same on every retry
	CertificateNo string `json:"certificate_no"`
	OldStatus     string `json:"old_status"`
	NewStatus     string `json:"new_status"`
	Eligible      bool   `json:"eligible"` // after the change, as a verification would say
}

// Event is the body of a webhook delivery (docs/architecture.md,
// "Webhooks"). Its fields are in the order API.md lists them.
type Event struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	OccurredAt    string `json:"occurred_at"` // RFC 3339, UTC
	CertificateNo string `json:"certificate_no"`
	OldStatus     string `json:"old_status"`
	NewStatus     string `json:"new_status"`
	Reason        string `json:"reason"`
	Eligible      bool   `json:"eligible"`
}

// holderChange is what an action tells enqueueHolderChanged.
type holderChange struct {
	typ, kind string
	nos       []string          // the certificates concerned
	old       map[string]string // effective status before, by number; missing: unchanged
	personID  int64
	act       *store.Action
}

// enqueueHolderChanged writes the TopicHolderChanged message of a change
// inside the applying transaction tx, after the change: each certificate's
// new status and eligibility are read there, so they are the ones the
// change committed. A change that concerns no certificate (a ban on a
// person holding none) enqueues nothing: no watch can be told of it.
func (a *App) enqueueHolderChanged(ctx context.Context, tx store.Tx, ch holderChange) error {
	if len(ch.nos) == 0 {
		return nil
	}
	now := a.now()
	today := store.Today(now)
	creds, err := tx.CredentialsByNumbers(ctx, ch.nos)
	if err != nil {
		return err
	}
	msg := holderChanged{Type: ch.typ, Kind: ch.kind, CertificateNos: ch.nos, PersonID: ch.personID,
		Reason: ch.act.Reason, ActionID: ch.act.ID, OccurredAt: now.UTC()}
	bans := map[int64][]store.Ban{}
	for _, no := range ch.nos {
		c, ok := creds[no]
		if !ok {
			continue
		}
		if _, ok := bans[c.PersonID]; !ok {
			if bans[c.PersonID], err = tx.BansForPerson(ctx, c.PersonID); err != nil {
				return err
			}
		}
		status := c.EffectiveStatus(today)
		old, ok := ch.old[no]
		if !ok {
			old = status
		}
		eligible := status == store.StatusActive
		for _, b := range bans[c.PersonID] {
			eligible = eligible && !b.InForce(today)
		}
		msg.Credentials = append(msg.Credentials, changedCredential{EventID: "ev_" + newCaseID(), CertificateNo: no,
			OldStatus: old, NewStatus: status, Eligible: eligible})
	}
	key := "credential:" + ch.nos[0]
	if ch.kind == changeBan {
		key = fmt.Sprintf("person:%d", ch.personID)
	}
	return a.enqueue(ctx, tx, TopicHolderChanged, key, msg)
}

// enqueueBanChanged enqueues the TopicHolderChanged message of a ban
// imposed on or lifted from a person: it concerns every credential linked
// to them.
func (a *App) enqueueBanChanged(ctx context.Context, tx store.Tx, typ string, personID int64, act *store.Action) error {
	nos, err := tx.CertificateNumbersOfPerson(ctx, personID)
	if err != nil {
		return err
	}
	return a.enqueueHolderChanged(ctx, tx, holderChange{typ: typ, kind: changeBan, nos: nos, personID: personID, act: act})
}

// webhookConsumerName is the name under which webhooks take
// TopicHolderChanged messages.
const webhookConsumerName = "webhooks"

// webhookConsumer expands a TopicHolderChanged message into deliveries:
// one per standing, unpaused watch of each certificate, made before the
// change occurred. Deliveries are unique per event and watch, so a message
// expanded twice records each once.
type webhookConsumer struct{ a *App }

func (c webhookConsumer) Name() string { return webhookConsumerName }

// Consume implements outbox.Consumer. Other topics are ignored; a payload
// that cannot be read is logged and dropped rather than retried for ever.
func (c webhookConsumer) Consume(ctx context.Context, m store.OutboxMessage) error {
	if m.Topic != TopicHolderChanged {
		return nil
	}
	var ev holderChanged
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		c.a.log.Error("webhooks: dropped an unreadable holder.changed message", "message", m.ID, "err", err)
		return nil
	}
	n, err := c.a.expandHolderChanged(ctx, &ev)
	if err != nil {
		return err
	}
	if n > 0 {
		c.a.wakeWebhooks()
	}
	return nil
}

func (a *App) expandHolderChanged(ctx context.Context, ev *holderChanged) (int, error) {
	nos := make([]string, 0, len(ev.Credentials))
	for _, c := range ev.Credentials {
		nos = append(nos, c.CertificateNo)
	}
	watches, err := a.store.WatchesForCertificates(ctx, nos)
	if err != nil || len(watches) == 0 {
		return 0, err
	}
	bodies := map[string][]byte{}
	var ds []*store.WebhookDelivery
	now := a.now()
	for _, c := range ev.Credentials {
		for _, w := range watches {
			if w.CertificateNo != c.CertificateNo || w.Paused || w.CreatedAt.After(ev.OccurredAt) {
				continue
			}
			body, ok := bodies[c.EventID]
			if !ok {
				if body, err = json.Marshal(Event{ID: c.EventID, Type: ev.Type, OccurredAt: ev.OccurredAt.UTC().Format(time.RFC3339),
					CertificateNo: c.CertificateNo, OldStatus: c.OldStatus, NewStatus: c.NewStatus, Reason: ev.Reason, Eligible: c.Eligible}); err != nil {
					return 0, fmt.Errorf("app: webhook event: %w", err)
				}
				bodies[c.EventID] = body
			}
			ds = append(ds, &store.WebhookDelivery{EventID: c.EventID, WatchID: w.ID, Payload: body, CreatedAt: now, NextAttemptAt: now})
		}
	}
	if len(ds) == 0 {
		return 0, nil
	}
	var n int
	err = a.store.Update(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.AddWebhookDeliveries(ctx, ds)
		return err
	})
	return n, internal("record webhook deliveries", err)
}

// WebhookTiming is the delivery loop's timing. The zero value of a field
// means its default.
type WebhookTiming struct {
	Lease time.Duration // how long a claimed delivery stays this instance's; default 2m
	Poll  time.Duration // how often an idle loop looks for due deliveries; default 2s
	// Concurrency bounds the attempts in flight at once on this instance,
	// each to a different watch; default 8.
	Concurrency int
	Timeout     time.Duration // bounds one attempt; default 10s
}

func (t WebhookTiming) withDefaults() WebhookTiming {
	if t.Lease <= 0 {
		t.Lease = 2 * time.Minute
	}
	if t.Poll <= 0 {
		t.Poll = 2 * time.Second
	}
	if t.Concurrency <= 0 {
		t.Concurrency = 8
	}
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Second
	}
	// Every attempt ends well inside its lease: a delivery is claimed only
	// when a slot is free to send it at once.
	t.Timeout = min(t.Timeout, t.Lease/3)
	return t
}

// webhooks is the App's webhook machinery.
type webhooks struct {
	timing WebhookTiming
	sender *webhook.Sender
	wake   chan struct{}
}

// WithWebhookTiming sets the delivery loop's timing, for tests.
func WithWebhookTiming(t WebhookTiming) Option { return func(a *App) { a.hooks.timing = t } }

// setUpWebhooks makes the sender and adds the outbox consumer; New calls
// it before it builds the outbox worker.
func (a *App) setUpWebhooks() {
	a.hooks.timing = a.hooks.timing.withDefaults()
	a.hooks.sender = webhook.NewSender(webhook.Options{AllowLoopback: a.cfg.WebhookAllowLoopback, Timeout: a.hooks.timing.Timeout})
	a.hooks.wake = make(chan struct{}, 1)
	a.consumers = append(a.consumers, webhookConsumer{a})
}

func (a *App) wakeWebhooks() {
	select {
	case a.hooks.wake <- struct{}{}:
	default:
	}
}

// RunWebhooks sends due webhook deliveries until ctx ends, then waits for
// the attempts in flight (ended by ctx) to record their outcome. Every
// instance runs one; leases keep two from sending one delivery at the same
// moment.
//
// Attempts do not wait for one another: up to Concurrency are in flight,
// and whenever one ends, or new deliveries are recorded, the loop claims
// as many more as it has free slots. A receiver that hangs for the whole
// attempt timeout holds one slot, not every other watch's events. A
// watch's own events still go out one at a time, in order: a delivery is
// not due while an older one of its watch is pending, in flight included.
func (a *App) RunWebhooks(ctx context.Context) {
	owner := "webhooks-" + randomHex(6)
	slots := a.hooks.timing.Concurrency
	done := make(chan struct{}, slots) // an attempt ended; never blocks: at most slots in flight
	inFlight := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.hooks.wake:
		case <-timer.C:
		case <-done:
			inFlight--
		}
		for ended := true; ended; {
			select {
			case <-done:
				inFlight--
			default:
				ended = false
			}
		}
		if free := slots - inFlight; free > 0 {
			ds, err := a.claimWebhooks(ctx, owner, free)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("webhooks", "err", err)
			}
			for i := range ds {
				inFlight++
				wg.Go(func() {
					defer func() { done <- struct{}{} }()
					if err := a.attemptDelivery(ctx, owner, &ds[i]); err != nil && ctx.Err() == nil {
						a.log.Warn("webhooks", "err", err)
					}
				})
			}
		}
		timer.Reset(a.hooks.timing.Poll)
	}
}

// DrainWebhooks claims up to Concurrency due deliveries for owner,
// attempts them concurrently, waits for every attempt and records each
// outcome; it returns how many it claimed. Tests call it to step; the
// running loop is RunWebhooks, which does not wait for a batch.
func (a *App) DrainWebhooks(ctx context.Context, owner string) (int, error) {
	ds, err := a.claimWebhooks(ctx, owner, a.hooks.timing.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ds))
	for i := range ds {
		wg.Go(func() { errs[i] = a.attemptDelivery(ctx, owner, &ds[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return len(ds), err
		}
	}
	return len(ds), nil
}

// claimWebhooks leases up to limit due deliveries to owner.
func (a *App) claimWebhooks(ctx context.Context, owner string, limit int) ([]store.WebhookDelivery, error) {
	now := a.now()
	// An idle table is the usual case: look on the read side first.
	if n, err := a.store.DueWebhookDeliveries(ctx, now); err != nil || n == 0 {
		return nil, internal("due webhook deliveries", err)
	}
	var ds []store.WebhookDelivery
	err := a.store.Update(ctx, func(tx store.Tx) error {
		var err error
		ds, err = tx.ClaimWebhookDeliveries(ctx, store.WebhookClaim{Owner: owner, Now: now, Lease: a.hooks.timing.Lease, Limit: limit})
		return err
	})
	return ds, internal("claim webhook deliveries", err)
}

// maxDeliveryError bounds the error text kept with a delivery.
const maxDeliveryError = 500

// attemptDelivery sends one claimed delivery and records the outcome: done;
// due again after webhook.Backoff while the delivery is younger than
// webhook.RetryWindow; otherwise failed, and the watch paused, since its
// receiver has failed every attempt for a day (or answered 410 Gone).
func (a *App) attemptDelivery(ctx context.Context, owner string, d *store.WebhookDelivery) error {
	w, err := a.store.WatchByID(ctx, d.WatchID)
	if err != nil {
		return internal("webhook watch", err)
	}
	// reason is what the client is shown of a failure (last_error): a
	// fixed class, never the raw error, which names addresses and the
	// resolver; that goes to the log.
	var res webhook.Result
	var reason string
	var secret []byte
	standing := w.DeletedAt.IsZero() && !w.Paused
	if standing { // the client is read only for a delivery that may go out
		secret, err = a.clientWebhookSecret(ctx, w.ClientID)
	}
	switch {
	case !standing:
		reason = "the watch was deleted or paused"
		res = webhook.Result{Err: errors.New(reason)}
	case errNotFound(err):
		reason = "the watch's client no longer exists"
		res = webhook.Result{Err: errors.New(reason)}
	case errors.Is(err, errClientDisabled):
		reason = err.Error() + "; the delivery will be retried"
		res = webhook.Result{Err: err, Retry: true}
	case err != nil:
		reason = "the portal could not prepare the delivery; it will be retried"
		res = webhook.Result{Err: err, Retry: true}
	default:
		actx, cancel := context.WithTimeout(ctx, a.hooks.timing.Timeout)
		res = a.hooks.sender.Deliver(actx, webhook.Delivery{URL: w.CallbackURL, EventID: d.EventID, Secret: secret, Body: d.Payload, At: a.now()})
		cancel()
		reason = res.Reason()
	}
	at := a.now()
	r := store.WebhookResult{Status: store.DeliveryDelivered, At: at, StatusCode: res.StatusCode}
	pause := ""
	if !res.Delivered() {
		a.log.Info("webhooks: an attempt failed", "watch", w.ID, "client", w.ClientID, "event", d.EventID,
			"attempt", d.Attempts, "status", res.StatusCode, "err", res.Err)
		r.Error = reason
		if len(r.Error) > maxDeliveryError {
			r.Error = r.Error[:maxDeliveryError]
		}
		switch {
		case res.Retry && at.Sub(d.CreatedAt) < webhook.RetryWindow:
			r.Status, r.NextAttemptAt = store.DeliveryPending, at.Add(webhook.Backoff(d.Attempts))
		case res.StatusCode == 0 && !res.Retry:
			r.Status = store.DeliveryFailed // refused on our side: nothing the receiver did
		default:
			r.Status = store.DeliveryFailed
			pause = fmt.Sprintf("paused: the receiver failed every attempt at event %s from %s to %s",
				d.EventID, d.CreatedAt.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
			if res.StatusCode == 410 {
				pause = "paused: the receiver answered 410 Gone"
			}
		}
	}
	// Recorded even when ctx ended (shutdown), so that a delivery made is
	// not made again.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = a.store.Update(sctx, func(tx store.Tx) error {
		if err := tx.FinishWebhookDelivery(sctx, d.ID, owner, r); err != nil {
			return err
		}
		if !w.DeletedAt.IsZero() {
			return nil
		}
		since := at
		if r.Status == store.DeliveryDelivered {
			since = time.Time{}
		}
		if err := tx.SetWatchFailing(sctx, w.ID, since); err != nil {
			return err
		}
		if pause != "" {
			return tx.PauseWatch(sctx, w.ID, at, pause)
		}
		return nil
	})
	if store.IsCode(err, store.EConflict) {
		return nil // the lease ran out and another instance took the delivery: its outcome stands
	}
	if err != nil {
		return internal("record webhook delivery", err)
	}
	if pause != "" {
		a.log.Warn("webhooks: a watch was paused", "watch", w.ID, "client", w.ClientID, "reason", pause)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

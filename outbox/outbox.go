// Package outbox delivers the side effects of committed changes: a change
// writes an outbox message in its own transaction (Enqueue), and a Worker on
// every instance hands each message to every Consumer (the search index,
// the cache, webhooks) until each has taken it. Delivery is at least once.
//
// The package depends on store only; app wires the consumers and runs the
// worker.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"ethicsportal/store"
)

// Consumer takes outbox messages: it updates the search index, the cache,
// or calls webhooks. Consume may see a message more than once (delivery is
// at least once) and must be idempotent. A message is retried, with
// back-off, until every consumer has taken it. Consume must return when
// ctx ends: its deadline keeps the delivery inside the worker's lease.
type Consumer interface {
	Name() string
	Consume(ctx context.Context, m store.OutboxMessage) error
}

// Store is what the worker needs of the system of record.
type Store interface {
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
	ClaimOutbox(ctx context.Context, c store.OutboxClaim) ([]store.OutboxMessage, error)
	FinishOutbox(ctx context.Context, id int64, owner string, r store.OutboxResult) error
}

// Timing of a worker. The zero value of a field means its default.
type Timing struct {
	// Lease is how long a claimed message stays this worker's; after it,
	// another worker may claim it. Default 30s.
	Lease time.Duration
	// Poll is how often an idle worker looks for work committed by other
	// instances. Default 1s.
	Poll time.Duration
	// Consume bounds one Consume call. Default a third of Lease; it is
	// never more than the time left of the batch's delivery budget.
	Consume time.Duration
	// Store bounds each claim and finish call. Default 5s, at most a sixth
	// of Lease.
	Store time.Duration
	// Batch is the most messages claimed at once. Default 50.
	Batch int
	// MaxBackoff caps the wait between failed attempts. Default 5m.
	MaxBackoff time.Duration
}

func (t Timing) withDefaults() Timing {
	if t.Lease <= 0 {
		t.Lease = 30 * time.Second
	}
	if t.Poll <= 0 {
		t.Poll = time.Second
	}
	if t.Consume <= 0 || t.Consume > t.Lease/2 {
		t.Consume = t.Lease / 3
	}
	if t.Store <= 0 {
		t.Store = 5 * time.Second
	}
	t.Store = min(t.Store, t.Lease/6)
	if t.Batch <= 0 {
		t.Batch = 50
	}
	if t.MaxBackoff <= 0 {
		t.MaxBackoff = 5 * time.Minute
	}
	return t
}

// budget is how long after claiming a batch the worker may still start or
// run a delivery: the lease less the time a finish call may take and a
// margin for clock drift between instances, so that every finish lands
// while the lease still holds.
func (t Timing) budget() time.Duration { return t.Lease - t.Store - t.Lease/10 }

// Stats count what one worker did, for metrics.
type Stats struct {
	Delivered atomic.Int64 // messages every consumer took
	Failed    atomic.Int64 // consumer attempts that failed
}

// Worker drains the outbox. Its methods are safe for concurrent use.
type Worker struct {
	store     Store
	consumers []Consumer
	log       *slog.Logger
	now       func() time.Time // the store's notion of time: leases and back-off
	timing    Timing
	wake      chan struct{}
	stats     Stats
}

// NewWorker returns a worker that hands messages from st to consumers.
// now is the clock written into the store (tests control it); the
// deadlines of Consume and store calls follow the real clock.
func NewWorker(st Store, consumers []Consumer, log *slog.Logger, now func() time.Time, t Timing) *Worker {
	return &Worker{store: st, consumers: slices.Clone(consumers), log: log, now: now,
		timing: t.withDefaults(), wake: make(chan struct{}, 1)}
}

// Enqueue writes a message inside tx, due at now. The caller commits tx and
// then calls Wake. Errors: the payload does not marshal, or the store's.
func Enqueue(ctx context.Context, tx store.Tx, now time.Time, topic, key string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("outbox: payload: %w", err)
	}
	return tx.EnqueueOutbox(ctx, &store.OutboxMessage{Topic: topic, ObjectKey: key, Payload: raw, CreatedAt: now, NextAttemptAt: now})
}

// Wake tells the worker that a message was just committed.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Stats returns the worker's counters.
func (w *Worker) Stats() *Stats { return &w.stats }

// Run drains the outbox until ctx ends: it claims due messages, hands each
// to every consumer that has not yet taken it, and records the outcome. A
// failure is retried with exponential back-off. Every instance runs one;
// the store's leases keep them from delivering one message twice at the
// same moment, and a worker that dies mid-delivery loses only its lease.
func (w *Worker) Run(ctx context.Context) {
	owner := workerName()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		n, err := w.Drain(ctx, owner)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("outbox", "err", err)
		}
		if n == w.timing.Batch { // more may be waiting: go again at once
			w.Wake()
		}
		timer.Reset(w.timing.Poll)
	}
}

// Drain claims one batch of due messages for owner and delivers them; it
// returns how many it claimed. Run calls it in a loop; tests call it to step
// the worker.
//
// The batch never outlives its lease: deliveries start only within the
// batch's budget, each Consume gets a deadline inside it, and messages left
// when the budget is spent are released as not delivered, due at once,
// without counting as a failed attempt by any consumer. Claim and finish
// each have their own deadline.
func (w *Worker) Drain(ctx context.Context, owner string) (int, error) {
	// An idle outbox is the usual case: look on the read side first rather
	// than take the store's write lock on every poll.
	sctx, cancel := context.WithTimeout(ctx, w.timing.Store)
	st, err := w.store.OutboxStats(sctx)
	cancel()
	if err == nil && st.Pending == 0 {
		return 0, nil
	}
	claimed := time.Now()
	sctx, cancel = context.WithTimeout(ctx, w.timing.Store)
	msgs, err := w.store.ClaimOutbox(sctx, store.OutboxClaim{Owner: owner, Now: w.now(), Lease: w.timing.Lease, Limit: w.timing.Batch})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	deadline := claimed.Add(w.timing.budget())
	for _, m := range msgs {
		res := w.deliver(ctx, m, deadline)
		// Recorded even when ctx has ended (shutdown), so that what was
		// delivered is not delivered again and the rest is due at once.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.timing.Store)
		err := w.store.FinishOutbox(sctx, m.ID, owner, res)
		cancel()
		if err != nil && !store.IsCode(err, store.EConflict) {
			return len(msgs), fmt.Errorf("outbox: finish %d: %w", m.ID, err)
		}
	}
	return len(msgs), nil
}

// deliver hands m to every consumer that has not taken it, each call ending
// by the earlier of its own timeout and deadline.
func (w *Worker) deliver(ctx context.Context, m store.OutboxMessage, deadline time.Time) store.OutboxResult {
	res := store.OutboxResult{Done: slices.Clone(m.Done)}
	var lastErr error
	for _, c := range w.consumers {
		if slices.Contains(res.Done, c.Name()) {
			continue
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			// Out of lease (or shutting down): leave the rest for the next
			// claim, due at once. Not the consumer's failure: no back-off.
			lastErr = fmt.Errorf("%s: not attempted: the batch ran out of its lease", c.Name())
			res.At = w.now()
			res.LastError = lastErr.Error()
			res.NextAttemptAt = res.At
			return res
		}
		end := time.Now().Add(w.timing.Consume)
		if deadline.Before(end) {
			end = deadline
		}
		cctx, cancel := context.WithDeadline(ctx, end)
		err := c.Consume(cctx, m)
		cancel()
		if err != nil {
			w.stats.Failed.Add(1)
			lastErr = fmt.Errorf("%s: %w", c.Name(), err)
			continue
		}
		res.Done = append(res.Done, c.Name())
	}
	res.At = w.now()
	if lastErr == nil {
		res.Delivered = true
		w.stats.Delivered.Add(1)
		return res
	}
	res.LastError = lastErr.Error()
	res.NextAttemptAt = res.At.Add(w.backoff(m.Attempts))
	return res
}

// backoff is the wait after the attempts-th failed attempt: one second,
// doubling up to MaxBackoff, with jitter so that instances do not retry in
// step.
func (w *Worker) backoff(attempts int) time.Duration {
	d := time.Second << min(max(attempts-1, 0), 10)
	if d > w.timing.MaxBackoff {
		d = w.timing.MaxBackoff
	}
	return d - d/8 + mrand.N(d/4+1)
}

func workerName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "worker-" + hex.EncodeToString(b)
}

package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sync/atomic"
	"time"

	"ethicsportal/store"
)

// Consumer takes outbox messages: it updates the search index, the cache,
// or calls webhooks. Consume may see a message more than once (delivery is
// at least once) and must be idempotent. A message is retried, with
// back-off, until every consumer has taken it.
type Consumer interface {
	Name() string
	Consume(ctx context.Context, m store.OutboxMessage) error
}

// WithConsumer adds a consumer of outbox messages.
func WithConsumer(c Consumer) Option { return func(a *App) { a.consumers = append(a.consumers, c) } }

// Outbox worker timing.
const (
	outboxLease      = 30 * time.Second // a claimed message is another worker's after this
	outboxPoll       = time.Second      // how often an idle worker looks for work from other instances
	outboxBatch      = 50
	outboxMaxBackoff = 5 * time.Minute
)

// enqueue writes an outbox message inside tx, due at once.
func (a *App) enqueue(ctx context.Context, tx store.Tx, topic, key string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("app: outbox payload: %w", err)
	}
	now := a.now()
	return tx.EnqueueOutbox(ctx, &store.OutboxMessage{Topic: topic, ObjectKey: key, Payload: raw, CreatedAt: now, NextAttemptAt: now})
}

// wakeWorker tells this instance's worker that a message was just committed.
func (a *App) wakeWorker() {
	select {
	case a.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// WorkerStats count what this instance's worker did, for metrics.
type WorkerStats struct {
	Delivered atomic.Int64 // messages every consumer took
	Failed    atomic.Int64 // consumer attempts that failed
}

// WorkerStats returns this instance's worker counters.
func (a *App) WorkerStats() *WorkerStats { return &a.workerStats }

// OutboxStats describes the backlog shared by every instance.
func (a *App) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	s, err := a.store.OutboxStats(ctx)
	return s, internal("outbox stats", err)
}

// RunWorker drains the outbox until ctx ends: it claims due messages,
// hands each to every consumer that has not yet taken it, and records the
// outcome. A failure is retried with exponential back-off. Every instance
// runs one; the store's leases keep them from delivering one message twice
// at the same moment, and a worker that dies mid-delivery loses only its
// lease.
func (a *App) RunWorker(ctx context.Context) {
	owner := workerName()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-timer.C:
		}
		n, err := a.DrainOutbox(ctx, owner)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("outbox", "err", err)
		}
		if n == outboxBatch { // more may be waiting: go again at once
			a.wakeWorker()
		}
		timer.Reset(outboxPoll)
	}
}

// DrainOutbox claims one batch of due messages for owner and delivers them;
// it returns how many it claimed. RunWorker calls it in a loop; tests call
// it directly to step the worker.
func (a *App) DrainOutbox(ctx context.Context, owner string) (int, error) {
	// An idle outbox is the usual case: look on the read side first rather
	// than take the store's write lock on every poll.
	if st, err := a.store.OutboxStats(ctx); err == nil && st.Pending == 0 {
		return 0, nil
	}
	msgs, err := a.store.ClaimOutbox(ctx, store.OutboxClaim{Owner: owner, Now: a.now(), Lease: outboxLease, Limit: outboxBatch})
	if err != nil {
		return 0, fmt.Errorf("app: claim outbox: %w", err)
	}
	for _, m := range msgs {
		res := a.deliver(ctx, m)
		if err := a.store.FinishOutbox(ctx, m.ID, owner, res); err != nil && !store.IsCode(err, store.EConflict) {
			return len(msgs), fmt.Errorf("app: finish outbox %d: %w", m.ID, err)
		}
	}
	return len(msgs), nil
}

func (a *App) deliver(ctx context.Context, m store.OutboxMessage) store.OutboxResult {
	res := store.OutboxResult{Done: slices.Clone(m.Done)}
	var lastErr error
	for _, c := range a.consumers {
		if slices.Contains(res.Done, c.Name()) {
			continue
		}
		if err := c.Consume(ctx, m); err != nil {
			a.workerStats.Failed.Add(1)
			lastErr = fmt.Errorf("%s: %w", c.Name(), err)
			continue
		}
		res.Done = append(res.Done, c.Name())
	}
	res.At = a.now()
	if lastErr == nil {
		res.Delivered = true
		a.workerStats.Delivered.Add(1)
		return res
	}
	res.LastError = lastErr.Error()
	res.NextAttemptAt = res.At.Add(backoff(m.Attempts))
	return res
}

// backoff is the wait after the attempts-th failed attempt: one second,
// doubling up to outboxMaxBackoff, with jitter so that instances do not
// retry in step.
func backoff(attempts int) time.Duration {
	d := time.Second << min(max(attempts-1, 0), 10)
	if d > outboxMaxBackoff {
		d = outboxMaxBackoff
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(d/4)+1))
	if err != nil {
		return d
	}
	return d - d/8 + time.Duration(j.Int64())
}

func workerName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "worker-" + hex.EncodeToString(b)
}

package app

import (
	"context"
	"time"

	"ethicsportal/outbox"
	"ethicsportal/store"
)

// WithConsumer adds a consumer of outbox messages.
func WithConsumer(c outbox.Consumer) Option {
	return func(a *App) { a.consumers = append(a.consumers, c) }
}

// WithOutboxTiming sets the outbox worker's lease and deadlines, for tests.
func WithOutboxTiming(t outbox.Timing) Option { return func(a *App) { a.outboxTiming = t } }

// enqueue writes an outbox message inside tx, due at once.
func (a *App) enqueue(ctx context.Context, tx store.Tx, topic, key string, payload any) error {
	return outbox.Enqueue(ctx, tx, a.now(), topic, key, payload)
}

// wakeWorker tells this instance's worker that a message was just committed.
func (a *App) wakeWorker() { a.worker.Wake() }

// WorkerStats returns this instance's worker counters.
func (a *App) WorkerStats() *outbox.Stats { return a.worker.Stats() }

// OutboxStats describes the backlog shared by every instance.
func (a *App) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	s, err := a.store.OutboxStats(ctx)
	return s, internal("outbox stats", err)
}

// RunWorker runs this instance's outbox worker until ctx ends (see
// outbox.Worker.Run).
func (a *App) RunWorker(ctx context.Context) { a.worker.Run(ctx) }

// DrainOutbox claims one batch of due messages for owner and delivers them
// (see outbox.Worker.Drain); tests call it to step the worker.
func (a *App) DrainOutbox(ctx context.Context, owner string) (int, error) {
	return a.worker.Drain(ctx, owner)
}

// newWorker builds the outbox worker once the store and the consumers are
// known.
func (a *App) newWorker() *outbox.Worker {
	return outbox.NewWorker(a.store, a.consumers, a.log, func() time.Time { return a.now() }, a.outboxTiming)
}

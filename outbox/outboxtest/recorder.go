// Package outboxtest holds what tests of the outbox's users share: a
// consumer that records what it is given.
package outboxtest

import (
	"context"
	"errors"
	"sync"

	"ethicsportal/store"
)

// Recorder is a test consumer: it keeps the messages it is given, in order,
// and refuses the next Fail ones (each refusal counts one down), as a
// consumer whose backend is down would. Safe for concurrent use.
type Recorder struct {
	ConsumerName string
	Fail         int

	mu  sync.Mutex
	got []store.OutboxMessage
}

// ErrDown is what a Recorder answers while it fails.
var ErrDown = errors.New("outboxtest: consumer down")

// Name returns ConsumerName.
func (r *Recorder) Name() string { return r.ConsumerName }

// Consume records m, or fails with ErrDown while Fail is above zero.
func (r *Recorder) Consume(_ context.Context, m store.OutboxMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail > 0 {
		r.Fail--
		return ErrDown
	}
	r.got = append(r.got, m)
	return nil
}

// Messages returns a copy of what was recorded so far.
func (r *Recorder) Messages() []store.OutboxMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.OutboxMessage(nil), r.got...)
}

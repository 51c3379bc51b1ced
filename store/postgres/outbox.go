package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// The outbox: messages written in the transaction of the change they
// announce, then leased to workers on any instance and delivered at least
// once, in id order per object key.

// lockObjectKeySQL serialises, per object key and per schema, the
// transactions that enqueue messages for that object, until they end. It
// is what makes id order the commit order within one object: the id of a
// message is drawn after the lock is taken, so a message is never inserted
// with a lower id than one already committed for its object, and a claim
// never sees a younger message of an object without the older ones. (A
// hash collision only makes two objects wait for each other.)
const lockObjectKeySQL = `SELECT pg_advisory_xact_lock(hashtextextended(
	'ethicsportal.outbox:' || coalesce(current_schema(), '') || ':' || $1::text, 0))`

// EnqueueOutbox inserts m and sets m.ID. Only Topic, ObjectKey, Payload
// (byte for byte), CreatedAt and NextAttemptAt are stored: a new message
// has no attempts, lease, delivery, consumers or error, whatever m says. A
// zero NextAttemptAt makes it due at once.
//
// The transaction holds a lock on m.ObjectKey until it ends (see
// lockObjectKeySQL): a transaction enqueuing for several objects should
// take them in a consistent order, as for any row locks, or risk being
// chosen as a deadlock victim (EUnavailable).
func (t *tx) EnqueueOutbox(ctx context.Context, m *store.OutboxMessage) error {
	if _, err := t.tx.Exec(ctx, lockObjectKeySQL, m.ObjectKey); err != nil {
		return wrap("enqueue outbox: lock", err)
	}
	err := t.tx.QueryRow(ctx, `INSERT INTO outbox (topic, object_key, payload, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		m.Topic, m.ObjectKey, []byte(m.Payload), timeArg(m.CreatedAt), timeArg(m.NextAttemptAt)).Scan(&m.ID)
	return wrap("enqueue outbox", err)
}

const outboxCols = `id, topic, object_key, payload, created_at, attempts, next_attempt_at,
	coalesce(claimed_by, ''), claimed_until, delivered_at, done, last_error`

func scanOutbox(row pgx.Row, m *store.OutboxMessage) error {
	var payload []byte
	err := row.Scan(&m.ID, &m.Topic, &m.ObjectKey, &payload, timeCol{&m.CreatedAt}, &m.Attempts,
		timeCol{&m.NextAttemptAt}, &m.ClaimedBy, timeCol{&m.ClaimedUntil}, timeCol{&m.DeliveredAt},
		&m.Done, &m.LastError)
	m.Payload = payload
	return err
}

// ClaimOutbox leases due messages to c.Owner in one statement, which is a
// transaction of its own. The candidates are read FOR UPDATE SKIP LOCKED:
// a message another worker is claiming at this moment is passed over, and
// one whose claim committed since this statement began is re-checked
// against its new lease and dropped, so workers on any number of
// instances never hold a lease on one message at once. A message is held
// back while an older one of its object is undelivered, leased or not.
// The candidates are a CTE so that they are chosen once.
//
// An empty Owner (what no lease reads as) or a Lease of zero or less (over
// as soon as taken) is EInvalid: either would make the lease no lease. A
// Limit of zero or less claims nothing. The messages come back in id
// order.
func (db *DB) ClaimOutbox(ctx context.Context, c store.OutboxClaim) ([]store.OutboxMessage, error) {
	switch {
	case c.Owner == "":
		return nil, store.FieldError(store.EInvalid, "owner", "a claim needs an owner")
	case c.Lease <= 0:
		return nil, store.FieldError(store.EInvalid, "lease", "a lease lasts for some time")
	case c.Limit <= 0:
		return []store.OutboxMessage{}, nil
	}
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT o.id FROM outbox o
			WHERE o.delivered_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $1)
				AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
				AND NOT EXISTS (SELECT 1 FROM outbox p
					WHERE p.object_key = o.object_key AND p.id < o.id AND p.delivered_at IS NULL)
			ORDER BY o.id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE outbox SET claimed_by = $2, claimed_until = $3, attempts = attempts + 1
			FROM due WHERE outbox.id = due.id
			RETURNING outbox.*
		)
		SELECT `+outboxCols+` FROM claimed ORDER BY id`,
		timeArg(c.Now), c.Owner, timeArg(c.Now.Add(c.Lease)), c.Limit)
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OutboxMessage, error) {
		var m store.OutboxMessage
		err := scanOutbox(row, &m)
		return m, err
	})
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	if ms == nil {
		ms = []store.OutboxMessage{}
	}
	return ms, nil
}

// FinishOutbox records r for message id and clears the lease, in one
// conditional UPDATE that changes the message only while owner holds it
// (a lease that ran out but was not taken by another worker is still
// owner's). Done is always stored. When r.Delivered the message is
// finished at r.At (the database's now if that is zero, so that a
// delivered message can never look undelivered) and keeps the error of
// its last failed attempt; otherwise it is due again at r.NextAttemptAt
// (at once if that is zero) with r.LastError. EConflict when owner holds
// no lease on it: another worker took it, it was finished already, or
// there is no such message.
func (db *DB) FinishOutbox(ctx context.Context, id int64, owner string, r store.OutboxResult) error {
	if owner == "" { // what no lease reads as; stored as NULL, it would match nothing anyway
		return store.Errorf(store.EConflict, "the message is not leased to this worker")
	}
	done := r.Done
	if done == nil {
		done = []string{}
	}
	tag, err := db.pool.Exec(ctx, `UPDATE outbox SET done = $3, claimed_by = NULL, claimed_until = NULL,
			delivered_at = CASE WHEN $4::boolean THEN coalesce($5::timestamptz, now()) END,
			next_attempt_at = CASE WHEN $4::boolean THEN next_attempt_at ELSE $6::timestamptz END,
			last_error = CASE WHEN $4::boolean THEN last_error ELSE $7::text END
		WHERE id = $1 AND claimed_by = $2 AND delivered_at IS NULL`,
		id, owner, done, r.Delivered, timeArg(r.At), timeArg(r.NextAttemptAt), r.LastError)
	if err != nil {
		return wrap("finish outbox", err)
	}
	if tag.RowsAffected() == 0 {
		return store.Errorf(store.EConflict, "the message is not leased to this worker")
	}
	return nil
}

// OutboxStats counts the undelivered messages and finds the oldest one's
// creation time (zero when there are none).
func (db *DB) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	var s store.OutboxStats
	err := db.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE delivered_at IS NULL`).
		Scan(&s.Pending, timeCol{&s.OldestPending})
	return s, wrap("outbox stats", err)
}

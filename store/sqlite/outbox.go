package sqlite

import (
	"cmp"
	"context"
	"slices"
	"time"

	"ethicsportal/store"
)

// claimOutboxSQL leases the due messages in one statement: ?1 owner, ?2 end
// of the lease, ?3 now, ?4 limit. A message is due when it is undelivered,
// its next attempt is not after now (NULL: at once), no lease on it runs
// past now, and no older message of the same object is undelivered, leased
// or not: that one goes first, so each object's messages arrive in order.
// RETURNING gives the rows as updated, Attempts included, in no set order.
const claimOutboxSQL = `UPDATE outbox SET claimed_by = ?1, claimed_until = ?2, attempts = attempts + 1
	WHERE id IN (
		SELECT o.id FROM outbox AS o
		WHERE o.delivered_at IS NULL
			AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?3)
			AND (o.claimed_until IS NULL OR o.claimed_until <= ?3)
			AND NOT EXISTS (SELECT 1 FROM outbox AS p
				WHERE p.delivered_at IS NULL AND p.object_key = o.object_key AND p.id < o.id)
		ORDER BY o.id LIMIT ?4)
	RETURNING ` + outboxCols

// finishOutboxSQL records an outcome and releases the lease, if the lease
// is still owner's: ?1 id, ?2 owner, ?3 done, ?4 delivered, ?5 at,
// ?6 next attempt, ?7 last error. A delivered message keeps the error of
// its last failed attempt, for whoever wonders why it took long.
const finishOutboxSQL = `UPDATE outbox SET done = ?3, claimed_by = '', claimed_until = NULL,
		delivered_at = CASE WHEN ?4 THEN ?5 END,
		next_attempt_at = CASE WHEN ?4 THEN next_attempt_at ELSE ?6 END,
		last_error = CASE WHEN ?4 THEN last_error ELSE ?7 END
	WHERE id = ?1 AND claimed_by = ?2 AND delivered_at IS NULL`

func scanOutbox(sc rowScanner, m *store.OutboxMessage) error {
	var done string
	if err := sc.Scan(&m.ID, &m.Topic, &m.ObjectKey, jsonCol{&m.Payload}, timeCol{&m.CreatedAt}, &m.Attempts,
		timeCol{&m.NextAttemptAt}, &m.ClaimedBy, timeCol{&m.ClaimedUntil}, timeCol{&m.DeliveredAt},
		&done, &m.LastError); err != nil {
		return err
	}
	var err error
	m.Done, err = decodeStrings("done", done)
	return err
}

// EnqueueOutbox inserts m and sets its ID. Only Topic, ObjectKey, Payload
// (byte for byte), CreatedAt and NextAttemptAt are stored: a new message
// has no attempts, lease, delivery, consumers or error, whatever m says. A
// zero NextAttemptAt makes it due at once.
func (t *txn) EnqueueOutbox(ctx context.Context, m *store.OutboxMessage) error {
	res, err := t.stmt(ctx, sEnqueueOutbox).ExecContext(ctx, m.Topic, m.ObjectKey, jsonArg(m.Payload),
		timeArg(m.CreatedAt), timeArg(m.NextAttemptAt))
	if err != nil {
		return wrap("enqueue outbox", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return wrap("enqueue outbox", err)
	}
	m.ID = id
	return nil
}

// ClaimOutbox leases up to c.Limit due messages to c.Owner, as store.Store
// documents, in a write transaction of its own: it holds SQLite's one write
// lock, so claims from any number of workers and processes take turns and
// no message is leased twice. A Limit of 0 or less claims nothing; an empty
// Owner or a Lease of 0 or less is EInvalid, since either would make the
// lease no lease. It must not be called inside Update (see Update).
func (db *DB) ClaimOutbox(ctx context.Context, c store.OutboxClaim) ([]store.OutboxMessage, error) {
	msgs := []store.OutboxMessage{}
	switch {
	case c.Owner == "":
		return nil, store.FieldError(store.EInvalid, "owner", "a claim needs an owner")
	case c.Lease <= 0:
		return nil, store.FieldError(store.EInvalid, "lease", "a lease must last")
	case c.Limit <= 0:
		return msgs, nil
	}
	err := db.write(ctx, func(tx *txn) error {
		rows, err := tx.stmt(ctx, sClaimOutbox).QueryContext(ctx,
			c.Owner, timeArg(c.Now.Add(c.Lease)), c.Now.UnixMicro(), c.Limit)
		if err != nil {
			return wrap("claim outbox", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m store.OutboxMessage
			if err := scanOutbox(rows, &m); err != nil {
				return wrap("claim outbox", err)
			}
			msgs = append(msgs, m)
		}
		return wrap("claim outbox", rows.Err())
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(msgs, func(a, b store.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return msgs, nil
}

// FinishOutbox records r for message id and releases the lease, provided
// owner still holds it (a lease that ran out but was not taken by another
// worker is still owner's). EConflict otherwise: the message is leased to
// another worker, was finished already, or does not exist. Done is always
// stored. When Delivered, DeliveredAt becomes r.At (a zero At is taken as
// now, so that a delivered message can never look undelivered and be sent
// again); when not, NextAttemptAt and LastError take r's values.
func (db *DB) FinishOutbox(ctx context.Context, id int64, owner string, r store.OutboxResult) error {
	if owner == "" { // '' is what no lease is stored as
		return store.Errorf(store.EConflict, "the message is not leased to this worker")
	}
	done, err := encodeStrings("done", r.Done)
	if err != nil {
		return err
	}
	at := r.At
	if r.Delivered && at.IsZero() {
		at = time.Now()
	}
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.stmt(ctx, sFinishOutbox).ExecContext(ctx, id, owner, done, r.Delivered,
			timeArg(at), timeArg(r.NextAttemptAt), r.LastError)
		if err != nil {
			return wrap("finish outbox", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap("finish outbox", err)
		}
		if n == 0 {
			return store.Errorf(store.EConflict, "the message is not leased to this worker")
		}
		return nil
	})
}

// OutboxStats counts the undelivered messages, leased or not, and finds
// the creation time of the oldest, on the reader pool.
func (db *DB) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	var s store.OutboxStats
	err := db.rstmts[sOutboxStats].QueryRowContext(ctx).Scan(&s.Pending, timeCol{&s.OldestPending})
	if err != nil {
		return store.OutboxStats{}, wrap("outbox stats", err)
	}
	return s, nil
}

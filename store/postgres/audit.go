package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// The audit log. Details are bytea so that they come back as the exact
// bytes their digest was taken over.

const auditCols = `seq, at, actor, action, object, details, digest, prev_hash, hash`

func scanAudit(row pgx.Row, e *store.AuditEvent) error {
	var details []byte
	err := row.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Action, &e.Object, &details,
		&e.Digest, &e.PrevHash, &e.Hash)
	e.Details = details
	return err
}

// AuditEvents returns up to limit events with Seq greater than after, in
// Seq order; a limit of 0 or less returns none.
func (r reader) AuditEvents(ctx context.Context, after int64, limit int) ([]store.AuditEvent, error) {
	if limit <= 0 {
		return []store.AuditEvent{}, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
		after, limit)
	if err != nil {
		return nil, wrap("audit events", err)
	}
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEvent, error) {
		var e store.AuditEvent
		err := scanAudit(row, &e)
		return e, err
	})
	if err != nil {
		return nil, wrap("audit events", err)
	}
	if es == nil {
		es = []store.AuditEvent{}
	}
	return es, nil
}

// LastAuditEvent returns the event with the highest Seq, or ENotFound when
// the log is empty.
func (r reader) LastAuditEvent(ctx context.Context) (*store.AuditEvent, error) {
	var e store.AuditEvent
	err := scanAudit(r.q.QueryRow(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq DESC LIMIT 1`), &e)
	if err != nil {
		return nil, lookupErr("last audit event", err, "the audit log is empty")
	}
	return &e, nil
}

// AppendAudit seals e as the successor of the last event and inserts it.
//
// Appends are serialised by a lock on the single audit_head row, held until
// the transaction ends, on every instance alike. The last event is read in
// a statement after the one that took the lock: under READ COMMITTED that
// statement's snapshot is taken once the lock is held, so it sees the event
// of the previous holder, which committed before releasing it. (Read in the
// locking statement itself it could be stale: that snapshot predates the
// wait.) Seq is thus the last one plus one, with no gap and no fork.
//
// Because the lock is held to the end of the transaction, appending should
// be the last thing a transaction does, so that concurrent writers wait on
// each other for as short a time as possible and always take their locks
// in the same order (rows of the change first, the audit head last).
func (t *tx) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	tag, err := t.tx.Exec(ctx, `SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE`)
	if err != nil {
		return wrap("append audit: lock", err)
	}
	if tag.RowsAffected() != 1 { // the migration made it; without it nothing is serialised
		return fmt.Errorf("postgres: append audit: the audit_head row is missing")
	}
	prev, err := t.LastAuditEvent(ctx)
	if store.IsCode(err, store.ENotFound) {
		prev, err = nil, nil
	}
	if err != nil {
		return err
	}
	sealed := *e
	sealed.Seal(prev)
	_, err = t.tx.Exec(ctx, `INSERT INTO audit_events (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		sealed.Seq, timeArg(sealed.At), sealed.Actor, sealed.Action, sealed.Object, []byte(sealed.Details),
		sealed.Digest, sealed.PrevHash, sealed.Hash)
	if err != nil {
		return wrap("append audit", err)
	}
	*e = sealed
	return nil
}

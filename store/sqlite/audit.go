package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"ethicsportal/store"
)

func scanAuditEvent(sc rowScanner, e *store.AuditEvent) error {
	return sc.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Action, &e.Object, jsonCol{&e.Details},
		bytesCol{&e.Digest}, bytesCol{&e.PrevHash}, bytesCol{&e.Hash})
}

// AuditEvents returns up to limit events with Seq greater than after, in
// Seq order; a limit of 0 or less returns none.
func (r reader) AuditEvents(ctx context.Context, after int64, limit int) ([]store.AuditEvent, error) {
	events := []store.AuditEvent{}
	if limit <= 0 {
		return events, nil
	}
	rows, err := r.src.stmt(ctx, sAuditEvents).QueryContext(ctx, after, limit)
	if err != nil {
		return nil, wrap("audit events", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e store.AuditEvent
		if err := scanAuditEvent(rows, &e); err != nil {
			return nil, wrap("audit events", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("audit events", err)
	}
	return events, nil
}

// LastAuditEvent returns the event with the highest Seq, or ENotFound when
// the log is empty.
func (r reader) LastAuditEvent(ctx context.Context) (*store.AuditEvent, error) {
	e := new(store.AuditEvent)
	err := scanAuditEvent(r.src.stmt(ctx, sLastAuditEvent).QueryRowContext(ctx), e)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "the audit log is empty")
	}
	if err != nil {
		return nil, wrap("last audit event", err)
	}
	return e, nil
}

// AppendAudit seals e as the successor of the last event and inserts it.
// The last event is read inside this write transaction, which holds
// SQLite's one write lock from its BEGIN IMMEDIATE to its end: no other
// append, in this process or another, can come between the read and the
// insert, so the chain never forks and Seq has no gaps (a rolled-back
// append takes its Seq with it). e is changed only once the event is in.
func (t *txn) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	prev, err := t.LastAuditEvent(ctx)
	switch {
	case store.IsCode(err, store.ENotFound):
		prev = nil // e is the first
	case err != nil:
		return err
	}
	sealed := *e
	sealed.Seal(prev)
	_, err = t.stmt(ctx, sAppendAudit).ExecContext(ctx, sealed.Seq, sealed.At.UnixMicro(), sealed.Actor,
		sealed.Action, sealed.Object, jsonArg(sealed.Details), sealed.Digest, sealed.PrevHash, sealed.Hash)
	if err != nil {
		return wrap("append audit", err)
	}
	*e = sealed
	return nil
}

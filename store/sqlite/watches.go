package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"ethicsportal/store"
)

// Watches and webhook deliveries. Their statements are not in the table of
// prepared statements: none of them is on a hot path, so each is prepared
// when run, on the reader pool outside a transaction and on the
// transaction inside one.

// sqlQuerier is what *sql.DB and *sql.Tx share.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// q gives the reader's connection: the transaction's inside Update, the
// reader pool's outside.
func (r reader) q() sqlQuerier {
	switch s := r.src.(type) {
	case *txn:
		return s.tx
	case poolStmts:
		return s.db.readers
	}
	panic("sqlite: unknown statement source")
}

const watchCols = `id, client_id, certificate_no, callback_url, created_at, deleted_at, paused_at, failing_since`

func scanWatch(sc rowScanner, w *store.Watch) error {
	err := sc.Scan(&w.ID, &w.ClientID, &w.CertificateNo, &w.CallbackURL, timeCol{&w.CreatedAt},
		timeCol{&w.DeletedAt}, timeCol{&w.PausedAt}, timeCol{&w.FailingSince})
	w.Paused = !w.PausedAt.IsZero()
	return err
}

const deliveryCols = `id, event_id, watch_id, payload, created_at, attempts, next_attempt_at, lease_owner,
	lease_until, status, last_attempt_at, last_status_code, last_error, delivered_at`

func scanDelivery(sc rowScanner, d *store.WebhookDelivery) error {
	return sc.Scan(&d.ID, &d.EventID, &d.WatchID, jsonCol{&d.Payload}, timeCol{&d.CreatedAt}, &d.Attempts,
		timeCol{&d.NextAttemptAt}, &d.LeaseOwner, timeCol{&d.LeaseUntil}, &d.Status, timeCol{&d.LastAttemptAt},
		&d.LastStatusCode, &d.LastError, timeCol{&d.DeliveredAt})
}

func collectWatches(rows *sql.Rows, err error) ([]store.Watch, error) {
	if err != nil {
		return nil, wrap("watches", err)
	}
	defer rows.Close()
	out := []store.Watch{}
	for rows.Next() {
		var w store.Watch
		if err := scanWatch(rows, &w); err != nil {
			return nil, wrap("watches", err)
		}
		out = append(out, w)
	}
	return out, wrap("watches", rows.Err())
}

func collectDeliveries(rows *sql.Rows, err error) ([]store.WebhookDelivery, error) {
	if err != nil {
		return nil, wrap("webhook deliveries", err)
	}
	defer rows.Close()
	out := []store.WebhookDelivery{}
	for rows.Next() {
		var d store.WebhookDelivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, wrap("webhook deliveries", err)
		}
		out = append(out, d)
	}
	return out, wrap("webhook deliveries", rows.Err())
}

// WatchByID returns the watch, deleted or not, or ENotFound.
func (r reader) WatchByID(ctx context.Context, id string) (*store.Watch, error) {
	var w store.Watch
	err := scanWatch(r.q().QueryRowContext(ctx, `SELECT `+watchCols+` FROM watches WHERE id = ?`, id), &w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such watch")
	}
	if err != nil {
		return nil, wrap("watch", err)
	}
	return &w, nil
}

// Watches lists a client's standing watches, newest first.
func (r reader) Watches(ctx context.Context, f store.WatchFilter) ([]store.Watch, int, error) {
	var total int
	if err := r.q().QueryRowContext(ctx, `SELECT count(*) FROM watches WHERE client_id = ? AND deleted_at IS NULL`,
		f.ClientID).Scan(&total); err != nil {
		return nil, 0, wrap("count watches", err)
	}
	ws, err := collectWatches(r.q().QueryContext(ctx, `SELECT `+watchCols+` FROM watches
		WHERE client_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
		f.ClientID, f.Limit, f.Offset))
	return ws, total, err
}

// WatchesForCertificates returns the standing watches on the numbers.
func (r reader) WatchesForCertificates(ctx context.Context, numbers []string) ([]store.Watch, error) {
	if len(numbers) == 0 {
		return []store.Watch{}, nil
	}
	list, err := encodeStrings("certificate numbers", numbers)
	if err != nil {
		return nil, err
	}
	return collectWatches(r.q().QueryContext(ctx, `SELECT `+watchCols+` FROM watches
		WHERE certificate_no IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL ORDER BY id`, list))
}

// WebhookDeliveries returns a watch's deliveries, newest first.
func (r reader) WebhookDeliveries(ctx context.Context, watchID string, limit, offset int) ([]store.WebhookDelivery, int, error) {
	var total int
	if err := r.q().QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE watch_id = ?`,
		watchID).Scan(&total); err != nil {
		return nil, 0, wrap("count webhook deliveries", err)
	}
	ds, err := collectDeliveries(r.q().QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
		WHERE watch_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, watchID, limit, offset))
	return ds, total, err
}

// DueWebhookDeliveries counts the deliveries a claim at now would take.
func (r reader) DueWebhookDeliveries(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := r.q().QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries AS d
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until <= ?1)
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS p
				WHERE p.watch_id = d.watch_id AND p.status = 'pending' AND p.id < d.id)`,
		now.UnixMicro()).Scan(&n)
	return n, wrap("due webhook deliveries", err)
}

// CertificateNumbersOfPerson lists the numbers linked to the person.
func (r reader) CertificateNumbersOfPerson(ctx context.Context, personID int64) ([]string, error) {
	out := []string{}
	if personID == 0 {
		return out, nil
	}
	rows, err := r.q().QueryContext(ctx, `SELECT certificate_no FROM credentials WHERE person_id = ? ORDER BY certificate_no`, personID)
	if err != nil {
		return nil, wrap("certificates of person", err)
	}
	defer rows.Close()
	for rows.Next() {
		var no string
		if err := rows.Scan(&no); err != nil {
			return nil, wrap("certificates of person", err)
		}
		out = append(out, no)
	}
	return out, wrap("certificates of person", rows.Err())
}

// CreateWatch inserts w; EConflict when the client already watches the
// certificate (the partial unique index) or the id is taken.
func (t *txn) CreateWatch(ctx context.Context, w *store.Watch) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO watches (`+watchCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.ClientID, w.CertificateNo, w.CallbackURL, timeArg(w.CreatedAt), timeArg(w.DeletedAt),
		timeArg(w.PausedAt), timeArg(w.FailingSince))
	if isUnique(err) {
		return store.FieldError(store.EConflict, "certificate_no", "this client already watches the certificate")
	}
	return wrap("create watch", err)
}

// failPending fails the watch's pending deliveries with reason.
func (t *txn) failPending(ctx context.Context, id string, at time.Time, reason string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_error = ?,
			lease_owner = '', lease_until = NULL, last_attempt_at = coalesce(last_attempt_at, ?)
		WHERE watch_id = ? AND status = 'pending'`, reason, timeArg(at), id)
	return wrap("fail pending deliveries", err)
}

// DeleteWatch ends a standing watch and fails its pending deliveries.
func (t *txn) DeleteWatch(ctx context.Context, id string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE watches SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, timeArg(at), id)
	if err != nil {
		return wrap("delete watch", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(wrap("delete watch", err), store.Errorf(store.ENotFound, "no such watch"))
	}
	return t.failPending(ctx, id, at, "the watch was deleted")
}

// SetWatchFailing sets or clears the start of a run of failures, keeping
// the first failure of a run.
func (t *txn) SetWatchFailing(ctx context.Context, id string, since time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE watches SET failing_since = CASE WHEN ?1 IS NULL THEN NULL
			ELSE coalesce(failing_since, ?1) END WHERE id = ?2`, timeArg(since), id)
	return wrap("set watch failing", err)
}

// PauseWatch pauses a standing watch and fails its pending deliveries.
func (t *txn) PauseWatch(ctx context.Context, id string, at time.Time, reason string) error {
	var pausedAt sql.NullInt64
	err := t.tx.QueryRowContext(ctx, `SELECT paused_at FROM watches WHERE id = ? AND deleted_at IS NULL`, id).Scan(&pausedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Errorf(store.ENotFound, "no such watch")
	}
	if err != nil || pausedAt.Valid {
		return wrap("pause watch", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE watches SET paused_at = ? WHERE id = ?`, timeArg(at), id); err != nil {
		return wrap("pause watch", err)
	}
	return t.failPending(ctx, id, at, reason)
}

// AddWebhookDeliveries inserts the deliveries not recorded yet.
func (t *txn) AddWebhookDeliveries(ctx context.Context, ds []*store.WebhookDelivery) (int, error) {
	n := 0
	for _, d := range ds {
		var id int64
		err := t.tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries
				(event_id, watch_id, payload, created_at, next_attempt_at, status)
			VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT (event_id, watch_id) DO NOTHING RETURNING id`,
			d.EventID, d.WatchID, string(d.Payload), timeArg(d.CreatedAt), d.Due().UnixMicro()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // recorded already
		}
		if isForeignKey(err) {
			return n, store.FieldError(store.ENotFound, "watch_id", "no such watch")
		}
		if err != nil {
			return n, wrap("add webhook deliveries", err)
		}
		d.ID, d.Status = id, store.DeliveryPending
		n++
	}
	return n, nil
}

// ClaimWebhookDeliveries leases due deliveries; the transaction holds
// SQLite's one write lock, so no two claims overlap.
func (t *txn) ClaimWebhookDeliveries(ctx context.Context, c store.WebhookClaim) ([]store.WebhookDelivery, error) {
	switch {
	case c.Owner == "":
		return nil, store.FieldError(store.EInvalid, "owner", "a claim needs an owner")
	case c.Lease <= 0:
		return nil, store.FieldError(store.EInvalid, "lease", "a lease must last")
	case c.Limit <= 0:
		return []store.WebhookDelivery{}, nil
	}
	now := c.Now.UnixMicro()
	ds, err := collectDeliveries(t.tx.QueryContext(ctx, `UPDATE webhook_deliveries
		SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1
		WHERE id IN (
			SELECT d.id FROM webhook_deliveries AS d
			WHERE d.status = 'pending' AND d.next_attempt_at <= ?3
				AND (d.lease_until IS NULL OR d.lease_until <= ?3)
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS p
					WHERE p.watch_id = d.watch_id AND p.status = 'pending' AND p.id < d.id)
			ORDER BY d.next_attempt_at, d.id LIMIT ?4)
		RETURNING `+deliveryCols, c.Owner, c.Now.Add(c.Lease).UnixMicro(), now, c.Limit))
	// RETURNING gives the rows in no set order.
	slices.SortFunc(ds, func(a, b store.WebhookDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return ds, err
}

// FinishWebhookDelivery records an attempt's outcome while owner holds
// the lease.
func (t *txn) FinishWebhookDelivery(ctx context.Context, id int64, owner string, r store.WebhookResult) error {
	if owner == "" {
		return store.Errorf(store.EConflict, "the delivery is not leased to this worker")
	}
	if err := r.Check(); err != nil {
		return err
	}
	next := r.NextAttemptAt
	if r.Status != store.DeliveryPending || next.IsZero() {
		next = r.At
	}
	var delivered any
	if r.Status == store.DeliveryDelivered {
		delivered = timeArg(r.At)
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, lease_owner = '', lease_until = NULL,
			last_attempt_at = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
		r.Status, timeArg(r.At), r.StatusCode, r.Error, next.UnixMicro(), delivered, id, owner)
	if err != nil {
		return wrap("finish webhook delivery", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(wrap("finish webhook delivery", err), store.Errorf(store.EConflict, "the delivery is not leased to this worker"))
	}
	return nil
}

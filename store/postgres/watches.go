package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
)

// Watches and webhook deliveries.

const watchCols = `id, client_id, certificate_no, callback_url, created_at, deleted_at, paused_at, failing_since`

func scanWatch(row pgx.Row, w *store.Watch) error {
	err := row.Scan(&w.ID, &w.ClientID, &w.CertificateNo, &w.CallbackURL, timeCol{&w.CreatedAt},
		timeCol{&w.DeletedAt}, timeCol{&w.PausedAt}, timeCol{&w.FailingSince})
	w.Paused = !w.PausedAt.IsZero()
	return err
}

const deliveryCols = `id, event_id, watch_id, payload, created_at, attempts, next_attempt_at, lease_owner,
	lease_until, status, last_attempt_at, last_status_code, last_error, delivered_at`

func scanDelivery(row pgx.Row, d *store.WebhookDelivery) error {
	var payload []byte
	err := row.Scan(&d.ID, &d.EventID, &d.WatchID, &payload, timeCol{&d.CreatedAt}, &d.Attempts,
		timeCol{&d.NextAttemptAt}, &d.LeaseOwner, timeCol{&d.LeaseUntil}, &d.Status, timeCol{&d.LastAttemptAt},
		&d.LastStatusCode, &d.LastError, timeCol{&d.DeliveredAt})
	d.Payload = payload
	return err
}

func collectWatches(rows pgx.Rows, err error) ([]store.Watch, error) {
	if err != nil {
		return nil, wrap("watches", err)
	}
	ws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Watch, error) {
		var w store.Watch
		err := scanWatch(row, &w)
		return w, err
	})
	if ws == nil {
		ws = []store.Watch{}
	}
	return ws, wrap("watches", err)
}

func collectDeliveries(rows pgx.Rows, err error) ([]store.WebhookDelivery, error) {
	if err != nil {
		return nil, wrap("webhook deliveries", err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.WebhookDelivery, error) {
		var d store.WebhookDelivery
		err := scanDelivery(row, &d)
		return d, err
	})
	if ds == nil {
		ds = []store.WebhookDelivery{}
	}
	return ds, wrap("webhook deliveries", err)
}

// WatchByID returns the watch, deleted or not, or ENotFound.
func (r reader) WatchByID(ctx context.Context, id string) (*store.Watch, error) {
	var w store.Watch
	if err := scanWatch(r.q.QueryRow(ctx, `SELECT `+watchCols+` FROM watches WHERE id = $1`, id), &w); err != nil {
		return nil, lookupErr("watch", err, "no such watch")
	}
	return &w, nil
}

// Watches lists a client's standing watches, newest first.
func (r reader) Watches(ctx context.Context, f store.WatchFilter) ([]store.Watch, int, error) {
	var total int
	if err := r.q.QueryRow(ctx, `SELECT count(*) FROM watches WHERE client_id = $1 AND deleted_at IS NULL`,
		f.ClientID).Scan(&total); err != nil {
		return nil, 0, wrap("count watches", err)
	}
	ws, err := collectWatches(r.q.Query(ctx, `SELECT `+watchCols+` FROM watches
		WHERE client_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
		f.ClientID, f.Limit, f.Offset))
	return ws, total, err
}

// WatchesForCertificates returns the standing watches on the numbers.
func (r reader) WatchesForCertificates(ctx context.Context, numbers []string) ([]store.Watch, error) {
	if len(numbers) == 0 {
		return []store.Watch{}, nil
	}
	return collectWatches(r.q.Query(ctx, `SELECT `+watchCols+` FROM watches
		WHERE certificate_no = ANY($1::text[]) AND deleted_at IS NULL ORDER BY id`, numbers))
}

// WebhookDeliveries returns a watch's deliveries, newest first.
func (r reader) WebhookDeliveries(ctx context.Context, watchID string, limit, offset int) ([]store.WebhookDelivery, int, error) {
	var total int
	if err := r.q.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE watch_id = $1`, watchID).Scan(&total); err != nil {
		return nil, 0, wrap("count webhook deliveries", err)
	}
	ds, err := collectDeliveries(r.q.Query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
		WHERE watch_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, watchID, limit, offset))
	return ds, total, err
}

// DueWebhookDeliveries counts the deliveries a claim at now would take.
func (r reader) DueWebhookDeliveries(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := r.q.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries d
		WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
				WHERE p.watch_id = d.watch_id AND p.status = 'pending' AND p.id < d.id)`,
		timeArg(now)).Scan(&n)
	return n, wrap("due webhook deliveries", err)
}

// CertificateNumbersOfPerson lists the numbers linked to the person.
func (r reader) CertificateNumbersOfPerson(ctx context.Context, personID int64) ([]string, error) {
	if personID == 0 {
		return []string{}, nil
	}
	rows, err := r.q.Query(ctx, `SELECT certificate_no FROM credentials WHERE person_id = $1 ORDER BY certificate_no`, personID)
	if err != nil {
		return nil, wrap("certificates of person", err)
	}
	nos, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if nos == nil {
		nos = []string{}
	}
	return nos, wrap("certificates of person", err)
}

// CreateWatch inserts w; EConflict when the client already watches the
// certificate (the partial unique index) or the id is taken. The insert
// skips a conflicting row rather than fail on it, so that the transaction
// stays usable after the refusal.
func (t *tx) CreateWatch(ctx context.Context, w *store.Watch) error {
	tag, err := t.tx.Exec(ctx, `INSERT INTO watches (`+watchCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT DO NOTHING`,
		w.ID, w.ClientID, w.CertificateNo, w.CallbackURL, timeArg(w.CreatedAt), timeArg(w.DeletedAt),
		timeArg(w.PausedAt), timeArg(w.FailingSince))
	if err != nil {
		return wrap("create watch", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.EConflict, "certificate_no", "this client already watches the certificate")
	}
	return nil
}

// failPending fails the watch's pending deliveries with reason.
func (t *tx) failPending(ctx context.Context, id string, at time.Time, reason string) error {
	_, err := t.tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_error = $1,
			lease_owner = '', lease_until = NULL, last_attempt_at = coalesce(last_attempt_at, $2)
		WHERE watch_id = $3 AND status = 'pending'`, reason, timeArg(at), id)
	return wrap("fail pending deliveries", err)
}

// DeleteWatch ends a standing watch and fails its pending deliveries.
func (t *tx) DeleteWatch(ctx context.Context, id string, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE watches SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL`, timeArg(at), id)
	if err != nil {
		return wrap("delete watch", err)
	}
	if tag.RowsAffected() == 0 {
		return store.Errorf(store.ENotFound, "no such watch")
	}
	return t.failPending(ctx, id, at, "the watch was deleted")
}

// SetWatchFailing sets or clears the start of a run of failures, keeping
// the first failure of a run.
func (t *tx) SetWatchFailing(ctx context.Context, id string, since time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE watches SET failing_since = CASE WHEN $1::timestamptz IS NULL THEN NULL
			ELSE coalesce(failing_since, $1::timestamptz) END WHERE id = $2`, timeArg(since), id)
	return wrap("set watch failing", err)
}

// PauseWatch pauses a standing watch and fails its pending deliveries. The
// update is conditional on the watch not being paused, so of two pauses
// at once one does the work and the other changes nothing.
func (t *tx) PauseWatch(ctx context.Context, id string, at time.Time, reason string) error {
	var paused bool
	err := t.tx.QueryRow(ctx, `WITH w AS (SELECT id, paused_at IS NOT NULL AS paused FROM watches
			WHERE id = $1 AND deleted_at IS NULL FOR UPDATE)
		SELECT paused FROM w`, id).Scan(&paused)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Errorf(store.ENotFound, "no such watch")
	}
	if err != nil || paused {
		return wrap("pause watch", err)
	}
	if _, err := t.tx.Exec(ctx, `UPDATE watches SET paused_at = $1 WHERE id = $2`, timeArg(at), id); err != nil {
		return wrap("pause watch", err)
	}
	return t.failPending(ctx, id, at, reason)
}

// AddWebhookDeliveries inserts the deliveries not recorded yet.
func (t *tx) AddWebhookDeliveries(ctx context.Context, ds []*store.WebhookDelivery) (int, error) {
	n := 0
	for _, d := range ds {
		var id int64
		err := t.tx.QueryRow(ctx, `INSERT INTO webhook_deliveries
				(event_id, watch_id, payload, created_at, next_attempt_at, status)
			SELECT $1::text, $2::text, $3::bytea, $4::timestamptz, $5::timestamptz, 'pending'
			WHERE EXISTS (SELECT 1 FROM watches WHERE id = $2::text)
			ON CONFLICT (event_id, watch_id) DO NOTHING RETURNING id`,
			d.EventID, d.WatchID, []byte(d.Payload), timeArg(d.CreatedAt), timeArg(d.Due())).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// Recorded already, or no such watch: tell them apart.
			if _, werr := t.WatchByID(ctx, d.WatchID); werr != nil {
				return n, werr
			}
			continue
		}
		if err != nil {
			return n, wrap("add webhook deliveries", err)
		}
		d.ID, d.Status = id, store.DeliveryPending
		n++
	}
	return n, nil
}

// ClaimWebhookDeliveries leases due deliveries. The candidates are read
// FOR UPDATE SKIP LOCKED: a delivery another worker is claiming at this
// moment is passed over, and one whose claim committed since this
// statement began is re-checked against its new lease and dropped, so no
// delivery is leased to two workers at once.
func (t *tx) ClaimWebhookDeliveries(ctx context.Context, c store.WebhookClaim) ([]store.WebhookDelivery, error) {
	switch {
	case c.Owner == "":
		return nil, store.FieldError(store.EInvalid, "owner", "a claim needs an owner")
	case c.Lease <= 0:
		return nil, store.FieldError(store.EInvalid, "lease", "a lease must last")
	case c.Limit <= 0:
		return []store.WebhookDelivery{}, nil
	}
	return collectDeliveries(t.tx.Query(ctx, `WITH due AS MATERIALIZED (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1
				AND (d.lease_until IS NULL OR d.lease_until <= $1)
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
					WHERE p.watch_id = d.watch_id AND p.status = 'pending' AND p.id < d.id)
			ORDER BY d.next_attempt_at, d.id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $3, attempts = attempts + 1
			FROM due WHERE webhook_deliveries.id = due.id
			RETURNING webhook_deliveries.*
		)
		SELECT `+deliveryCols+` FROM claimed ORDER BY id`,
		timeArg(c.Now), c.Owner, timeArg(c.Now.Add(c.Lease)), c.Limit))
}

// FinishWebhookDelivery records an attempt's outcome while owner holds
// the lease, in one conditional UPDATE.
func (t *tx) FinishWebhookDelivery(ctx context.Context, id int64, owner string, r store.WebhookResult) error {
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
	var delivered time.Time
	if r.Status == store.DeliveryDelivered {
		delivered = r.At
	}
	tag, err := t.tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, lease_owner = '', lease_until = NULL,
			last_attempt_at = $2, last_status_code = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6
		WHERE id = $7 AND lease_owner = $8 AND status = 'pending'`,
		r.Status, timeArg(r.At), r.StatusCode, r.Error, timeArg(next), timeArg(delivered), id, owner)
	if err != nil {
		return wrap("finish webhook delivery", err)
	}
	if tag.RowsAffected() == 0 {
		return store.Errorf(store.EConflict, "the delivery is not leased to this worker")
	}
	return nil
}

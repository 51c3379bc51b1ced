package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"ethicsportal/store"
)

// School clients and their usage. Writes that may find the id taken say ON
// CONFLICT DO NOTHING (a unique violation would abort the transaction);
// changes are conditional UPDATEs, whose condition the server re-checks on
// the newest row after waiting for a concurrent writer.

const clientCols = `id, name, scopes, key_hash, prev_key_hash, prev_key_until, secret_version,
	secret_hash, disabled, created_at, created_by`

const clientUsageCols = `id, client_id, at, kind, certificate_no, match, receipt_id`

func scanClient(row pgx.Row) (*store.Client, error) {
	var c store.Client
	if err := row.Scan(&c.ID, &c.Name, &c.Scopes, &c.KeyHash, &c.PrevKeyHash, timeCol{&c.PrevKeyUntil},
		&c.SecretVersion, &c.SecretHash, &c.Disabled, timeCol{&c.CreatedAt}, &c.CreatedBy); err != nil {
		return nil, err
	}
	return &c, nil
}

// ClientByID returns the client with that id, or ENotFound.
func (r reader) ClientByID(ctx context.Context, id string) (*store.Client, error) {
	c, err := scanClient(r.q.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return nil, lookupErr("client", err, "no such client")
	}
	return c, nil
}

// Clients returns every client, oldest first.
func (r reader) Clients(ctx context.Context) ([]store.Client, error) {
	rows, err := r.q.Query(ctx, `SELECT `+clientCols+` FROM clients ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("clients", err)
	}
	defer rows.Close()
	out := []store.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, wrap("clients", err)
		}
		out = append(out, *c)
	}
	return out, wrap("clients", rows.Err())
}

// ClientUsage returns a page of one client's usage, newest first, with the
// count taken in the same statement (as Actions does); only a page past the
// end needs a statement of its own for the count.
func (r reader) ClientUsage(ctx context.Context, f store.ClientUsageFilter) ([]store.ClientUsage, int, error) {
	var limit *int // NULL: LIMIT ALL
	if f.Limit > 0 {
		limit = &f.Limit
	}
	offset := max(f.Offset, 0)
	rows, err := r.q.Query(ctx, `SELECT count(*) OVER (), `+clientUsageCols+` FROM client_usage
		WHERE client_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, f.ClientID, limit, offset)
	if err != nil {
		return nil, 0, wrap("client usage", err)
	}
	defer rows.Close()
	total := 0
	out := []store.ClientUsage{}
	for rows.Next() {
		var u store.ClientUsage
		if err := rows.Scan(&total, &u.ID, &u.ClientID, timeCol{&u.At}, &u.Kind, &u.CertificateNo, &u.Match, &u.ReceiptID); err != nil {
			return nil, 0, wrap("client usage", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("client usage", err)
	}
	if len(out) == 0 && offset > 0 {
		if err := r.q.QueryRow(ctx, `SELECT count(*) FROM client_usage WHERE client_id = $1`, f.ClientID).Scan(&total); err != nil {
			return nil, 0, wrap("count client usage", err)
		}
	}
	return out, total, nil
}

// CreateClient inserts c; EConflict, leaving the transaction usable, if the
// id is taken.
func (t *tx) CreateClient(ctx context.Context, c *store.Client) error {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Name, scopes, c.KeyHash, c.PrevKeyHash, timeArg(c.PrevKeyUntil), c.SecretVersion, c.SecretHash,
		c.Disabled, timeArg(c.CreatedAt), c.CreatedBy)
	if err != nil {
		return wrap("create client", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.EConflict, "client_id", "the client id is taken")
	}
	return nil
}

// SetClientDisabled is one conditional UPDATE.
func (t *tx) SetClientDisabled(ctx context.Context, id string, from, to bool) error {
	tag, err := t.tx.Exec(ctx, `UPDATE clients SET disabled = $3 WHERE id = $1 AND disabled = $2`, id, from, to)
	return t.clientWritten(ctx, "set client disabled", id, tag, err, "the client's state changed since it was read")
}

// RotateClientKey is one UPDATE conditional on the key read before: of
// two rotations at once, the second waits for the first's row lock, finds
// another key and changes nothing.
func (t *tx) RotateClientKey(ctx context.Context, id string, fromHash, newHash []byte, prevUntil time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE clients SET key_hash = $3, prev_key_hash = key_hash, prev_key_until = $4
		WHERE id = $1 AND key_hash = $2`, id, fromHash, newHash, timeArg(prevUntil))
	return t.clientWritten(ctx, "rotate client key", id, tag, err, "the client's key was rotated since it was read")
}

// SetClientSecret replaces the secret's version and hash, conditional on
// the version it was decided from.
func (t *tx) SetClientSecret(ctx context.Context, id string, from, version int, hash []byte) error {
	tag, err := t.tx.Exec(ctx, `UPDATE clients SET secret_version = $3, secret_hash = $4
		WHERE id = $1 AND secret_version = $2`, id, from, version, hash)
	return t.clientWritten(ctx, "set client secret", id, tag, err, "the client's secret was replaced since it was read")
}

// clientWritten turns the outcome of a conditional UPDATE of client id
// into nil, ENotFound (no such client) or EConflict with msg.
func (t *tx) clientWritten(ctx context.Context, op, id string, tag pgconn.CommandTag, err error, msg string) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, id)
	if err != nil {
		return wrap(op, err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such client")
	}
	return store.Errorf(store.EConflict, "%s", msg)
}

// AddClientUsage inserts every row in one statement from arrays, so a
// batch of 500 checks is one round trip.
func (t *tx) AddClientUsage(ctx context.Context, rows []store.ClientUsage) error {
	if len(rows) == 0 {
		return nil
	}
	var (
		ids, kinds, nos, receipts = make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
		ats                       = make([]pgtype.Timestamptz, len(rows))
		matches                   = make([]bool, len(rows))
	)
	for i, u := range rows {
		ids[i], kinds[i], nos[i], receipts[i] = u.ClientID, u.Kind, u.CertificateNo, u.ReceiptID
		ats[i], matches[i] = timeArg(u.At), u.Match
	}
	// Clients are never deleted, so a check first is as good as the
	// foreign key, and a missing client then aborts nothing.
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	var found int
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM clients WHERE id = ANY ($1)`, ids).Scan(&found); err != nil {
		return wrap("add client usage", err)
	}
	if found != len(distinct) {
		return store.Errorf(store.ENotFound, "no such client")
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO client_usage (client_id, at, kind, certificate_no, match, receipt_id)
		SELECT c, a, k, n, m, r FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::boolean[], $6::text[])
			WITH ORDINALITY AS u(c, a, k, n, m, r, o)
		ORDER BY o`, ids, ats, kinds, nos, matches, receipts)
	return wrap("add client usage", err)
}

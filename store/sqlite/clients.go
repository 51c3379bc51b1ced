package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ethicsportal/store"
)

// School clients and their usage. Scopes are a JSON array in TEXT, as roles
// are; key and secret hashes are BLOBs.

const clientCols = `id, name, scopes, key_hash, prev_key_hash, prev_key_until, secret_version,
	secret_hash, disabled, created_at, created_by`

// clientColCount is the number of columns in clientCols.
const clientColCount = 11

const clientUsageCols = `id, client_id, at, kind, certificate_no, match, receipt_id`

func scanClient(sc rowScanner) (*store.Client, error) {
	var (
		c      store.Client
		scopes string
	)
	if err := sc.Scan(&c.ID, &c.Name, &scopes, bytesCol{&c.KeyHash}, bytesCol{&c.PrevKeyHash}, timeCol{&c.PrevKeyUntil},
		&c.SecretVersion, bytesCol{&c.SecretHash}, &c.Disabled, timeCol{&c.CreatedAt}, &c.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	if c.Scopes, err = decodeStrings("scopes", scopes); err != nil {
		return nil, err
	}
	return &c, nil
}

// ClientByID returns the client with that id, or ENotFound.
func (r reader) ClientByID(ctx context.Context, id string) (*store.Client, error) {
	c, err := scanClient(r.src.stmt(ctx, sClientByID).QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such client")
	}
	if err != nil {
		return nil, wrap("client by id", err)
	}
	return c, nil
}

// Clients returns every client, oldest first.
func (r reader) Clients(ctx context.Context) ([]store.Client, error) {
	rows, err := r.src.stmt(ctx, sClients).QueryContext(ctx)
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

// ClientUsage returns a page of one client's usage, newest first, and the
// number of its rows. As for Actions, the count and the page are two
// statements.
func (r reader) ClientUsage(ctx context.Context, f store.ClientUsageFilter) ([]store.ClientUsage, int, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	offset := max(0, int64(f.Offset))
	var total int
	if err := r.src.stmt(ctx, sCountClientUsage).QueryRowContext(ctx, f.ClientID).Scan(&total); err != nil {
		return nil, 0, wrap("count client usage", err)
	}
	rows, err := r.src.stmt(ctx, sClientUsage).QueryContext(ctx, f.ClientID, limit, offset)
	if err != nil {
		return nil, 0, wrap("client usage", err)
	}
	defer rows.Close()
	out := []store.ClientUsage{}
	for rows.Next() {
		var u store.ClientUsage
		if err := rows.Scan(&u.ID, &u.ClientID, timeCol{&u.At}, &u.Kind, &u.CertificateNo, &u.Match, &u.ReceiptID); err != nil {
			return nil, 0, wrap("client usage", err)
		}
		out = append(out, u)
	}
	return out, total, wrap("client usage", rows.Err())
}

// CreateClient inserts c; EConflict if the id is taken.
func (t *txn) CreateClient(ctx context.Context, c *store.Client) error {
	scopes, err := encodeStrings("scopes", c.Scopes)
	if err != nil {
		return err
	}
	res, err := t.stmt(ctx, sCreateClient).ExecContext(ctx, c.ID, c.Name, scopes, blobArg(c.KeyHash), blobArg(c.PrevKeyHash),
		timeArg(c.PrevKeyUntil), c.SecretVersion, blobArg(c.SecretHash), c.Disabled, timeArg(c.CreatedAt), c.CreatedBy)
	if err != nil {
		return wrap("create client", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create client", err)
	} else if n == 0 {
		return store.FieldError(store.EConflict, "client_id", "the client id is taken")
	}
	return nil
}

// SetClientDisabled is one conditional UPDATE; the row count tells a
// change decided on a stale state from a missing client.
func (t *txn) SetClientDisabled(ctx context.Context, id string, from, to bool) error {
	res, err := t.stmt(ctx, sSetClientDisabled).ExecContext(ctx, id, from, to)
	return t.clientWritten(ctx, "set client disabled", id, res, err, "the client's state changed since it was read")
}

// RotateClientKey is one UPDATE conditional on the key read before.
func (t *txn) RotateClientKey(ctx context.Context, id string, fromHash, newHash []byte, prevUntil time.Time) error {
	res, err := t.stmt(ctx, sRotateClientKey).ExecContext(ctx, id, blobArg(fromHash), blobArg(newHash), timeArg(prevUntil))
	return t.clientWritten(ctx, "rotate client key", id, res, err, "the client's key was rotated since it was read")
}

// SetClientSecret replaces the secret's version and hash, conditional on
// the version it was decided from.
func (t *txn) SetClientSecret(ctx context.Context, id string, from, version int, hash []byte) error {
	res, err := t.stmt(ctx, sSetClientSecret).ExecContext(ctx, id, from, version, blobArg(hash))
	return t.clientWritten(ctx, "set client secret", id, res, err, "the client's secret was replaced since it was read")
}

// clientWritten turns the outcome of a conditional UPDATE of client id into
// nil, ENotFound (no such client) or EConflict with msg (the condition no
// longer held).
func (t *txn) clientWritten(ctx context.Context, op, id string, res sql.Result, err error, msg string) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 1 {
		return nil
	}
	var exists bool
	if err := t.stmt(ctx, sClientExists).QueryRowContext(ctx, id).Scan(&exists); err != nil {
		return wrap(op, err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such client")
	}
	return store.Errorf(store.EConflict, "%s", msg)
}

// AddClientUsage checks every client first, so that a missing one adds
// nothing, then inserts row by row with one prepared statement: a batch is
// at most a few hundred rows.
func (t *txn) AddClientUsage(ctx context.Context, rows []store.ClientUsage) error {
	seen := map[string]bool{}
	for _, u := range rows {
		if seen[u.ClientID] {
			continue
		}
		seen[u.ClientID] = true
		var exists bool
		if err := t.stmt(ctx, sClientExists).QueryRowContext(ctx, u.ClientID).Scan(&exists); err != nil {
			return wrap("add client usage", err)
		}
		if !exists {
			return store.Errorf(store.ENotFound, "no such client")
		}
	}
	if len(rows) == 0 {
		return nil
	}
	arg := make([][6]any, len(rows))
	for i, u := range rows {
		match := 0
		if u.Match {
			match = 1
		}
		arg[i] = [6]any{u.ClientID, timeArg(u.At), u.Kind, u.CertificateNo, match, u.ReceiptID}
	}
	b, err := json.Marshal(arg)
	if err != nil {
		return fmt.Errorf("sqlite: encode client usage: %w", err)
	}
	_, err = t.stmt(ctx, sAddClientUsage).ExecContext(ctx, string(b))
	return wrap("add client usage", err)
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"ethicsportal/store"
)

func scanPerson(row pgx.Row) (*store.Person, error) {
	var p store.Person
	if err := row.Scan(&p.ID, &p.Name, &p.IDHash, timeCol{&p.CreatedAt}); err != nil {
		return nil, err
	}
	return &p, nil
}

// PersonByID returns the person with that id, or ENotFound.
func (r reader) PersonByID(ctx context.Context, id int64) (*store.Person, error) {
	p, err := scanPerson(r.q.QueryRow(ctx, `SELECT id, name, id_hash, created_at FROM persons WHERE id = $1`, id))
	if err != nil {
		return nil, lookupErr("person", err, "no such person")
	}
	return p, nil
}

// PersonsByIDHashes returns those of the persons named that exist, keyed by
// string(IDHash), in one query. Nil hashes match nobody.
func (r reader) PersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx,
		`SELECT id, name, id_hash, created_at FROM persons WHERE id_hash = ANY($1::bytea[])`, hashes)
	if err != nil {
		return nil, wrap("persons", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Person, error) {
		return scanPerson(row)
	})
	if err != nil {
		return nil, wrap("persons", err)
	}
	for _, p := range ps {
		out[string(p.IDHash)] = p
	}
	return out, nil
}

// CreatePersons inserts ps and sets their IDs, or inserts none and returns
// EConflict if an IDHash is taken (by a stored person or by another in ps).
func (t *tx) CreatePersons(ctx context.Context, ps []*store.Person) error {
	if len(ps) == 0 {
		return nil
	}
	names := make([]string, len(ps))
	hashes := make([][]byte, len(ps))
	created := make([]pgtype.Timestamptz, len(ps))
	for i, p := range ps {
		names[i], hashes[i], created[i] = p.Name, p.IDHash, timeArg(p.CreatedAt)
	}
	// The ids are drawn before inserting so that each input row knows its
	// own: the order of RETURNING is not guaranteed to follow the input.
	// input is referenced twice and calls nextval, so it is evaluated once.
	rows, err := t.tx.Query(ctx, `WITH input AS MATERIALIZED (
			SELECT nextval(pg_get_serial_sequence('persons', 'id')) AS id, u.name, u.id_hash, u.created_at, u.ord
			FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) WITH ORDINALITY AS u(name, id_hash, created_at, ord)
		), ins AS (
			INSERT INTO persons (id, name, id_hash, created_at)
			SELECT id, name, id_hash, created_at FROM input ORDER BY ord
			ON CONFLICT (id_hash) DO NOTHING
			RETURNING id
		)
		SELECT input.id, ins.id IS NOT NULL FROM input LEFT JOIN ins ON ins.id = input.id ORDER BY input.ord`,
		names, hashes, created)
	if err != nil {
		return wrap("create persons", err)
	}
	ids := make([]int64, 0, len(ps))
	var inserted []int64
	var id int64
	var ok bool
	_, err = pgx.ForEachRow(rows, []any{&id, &ok}, func() error {
		ids = append(ids, id)
		if ok {
			inserted = append(inserted, id)
		}
		return nil
	})
	if err != nil {
		return wrap("create persons", err)
	}
	if len(inserted) < len(ps) {
		if err := t.undo(ctx, `DELETE FROM persons WHERE id = ANY($1::bigint[])`, inserted); err != nil {
			return err
		}
		return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
	}
	for i, p := range ps {
		p.ID = ids[i]
	}
	return nil
}

// RenamePerson renames the person, if their name is still from, and every
// credential linked to them, returning those numbers with their former
// holder names. The person's row is updated first: a concurrent rename
// waits for its lock and then finds the name changed (EConflict).
func (t *tx) RenamePerson(ctx context.Context, id int64, from, name, folded string, at time.Time) (map[string]string, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE persons SET name = $2 WHERE id = $1 AND name = $3`, id, name, from)
	if err := t.personUpdated(ctx, "rename person", id, tag, err); err != nil {
		return nil, err
	}
	// The old names come from a self-join: RETURNING sees only the new row.
	rows, err := t.tx.Query(ctx, `UPDATE credentials c SET holder_name = $2, holder_name_folded = $3, updated_at = $4
		FROM credentials o WHERE o.certificate_no = c.certificate_no AND c.person_id = $1
		RETURNING c.certificate_no, o.holder_name`, id, name, folded, timeArg(at))
	if err != nil {
		return nil, wrap("rename person credentials", err)
	}
	former := map[string]string{}
	var no, old string
	if _, err := pgx.ForEachRow(rows, []any{&no, &old}, func() error { former[no] = old; return nil }); err != nil {
		return nil, wrap("rename person credentials", err)
	}
	return former, nil
}

// SetPersonIDHash sets the ID hash of a person who has none. EConflict when
// the person has one or another person holds hash; ENotFound when there is
// no such person.
func (t *tx) SetPersonIDHash(ctx context.Context, id int64, hash []byte) error {
	if len(hash) == 0 {
		return store.FieldError(store.EInvalid, "id_hash", "an ID hash is required")
	}
	// The NOT EXISTS keeps the usual taken hash from aborting the
	// transaction; the unique index decides a race with a concurrent insert.
	tag, err := t.tx.Exec(ctx, `UPDATE persons SET id_hash = $2 WHERE id = $1 AND id_hash IS NULL
		AND NOT EXISTS (SELECT 1 FROM persons WHERE id_hash = $2)`, id, hash)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
	}
	return t.personUpdated(ctx, "set person id hash", id, tag, err)
}

// personUpdated turns the outcome of a conditional one-row UPDATE of persons
// into the contract's error: no row changed means no such person
// (ENotFound) or one no longer in the state the write was conditional on
// (EConflict).
func (t *tx) personUpdated(ctx context.Context, op string, id int64, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := t.PersonByID(ctx, id); err != nil {
		return err
	}
	return store.Errorf(store.EConflict, "the person was changed by someone else a moment ago")
}

// LockPersonsByIDHashes reads the persons among hashes with FOR SHARE, in
// hash order: a concurrent RenamePerson or SetPersonIDHash (an UPDATE,
// which needs a stronger lock) waits until this transaction ends, and one
// that committed first is read as it committed. FOR SHARE rather than FOR
// UPDATE: imports linking credentials to one person do not wait for each
// other, and a ban's foreign key check (KEY SHARE) is not held up.
func (t *tx) LockPersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT id, name, id_hash, created_at FROM persons
		WHERE id_hash = ANY($1::bytea[]) ORDER BY id_hash FOR SHARE`, hashes)
	if err != nil {
		return nil, wrap("lock persons", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Person, error) {
		return scanPerson(row)
	})
	if err != nil {
		return nil, wrap("lock persons", err)
	}
	for _, p := range ps {
		out[string(p.IDHash)] = p
	}
	return out, nil
}

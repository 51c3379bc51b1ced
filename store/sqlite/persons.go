package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"ethicsportal/store"
)

// PersonByID returns the person with that id, or ENotFound.
func (r reader) PersonByID(ctx context.Context, id int64) (*store.Person, error) {
	p := new(store.Person)
	err := r.src.stmt(ctx, sPersonByID).QueryRowContext(ctx, id).Scan(
		&p.ID, &p.Name, bytesCol{&p.IDHash}, timeCol{&p.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no such person")
	}
	if err != nil {
		return nil, wrap("person by id", err)
	}
	return p, nil
}

// PersonsByIDHashes returns the persons whose IDHash is among hashes, keyed
// by string(IDHash). A nil hash matches nobody, not the persons without one.
// All hashes go to SQLite as one JSON parameter, so any number of them takes
// one prepared statement and one round trip.
func (r reader) PersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(hashes))
	keys, n := jsonHex(hashes)
	if n == 0 {
		return out, nil
	}
	rows, err := r.src.stmt(ctx, sPersonsByIDHashes).QueryContext(ctx, keys)
	if err != nil {
		return nil, wrap("persons by id hashes", err)
	}
	defer rows.Close()
	for rows.Next() {
		p := new(store.Person)
		if err := rows.Scan(&p.ID, &p.Name, bytesCol{&p.IDHash}, timeCol{&p.CreatedAt}); err != nil {
			return nil, wrap("persons by id hashes", err)
		}
		out[string(p.IDHash)] = p
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("persons by id hashes", err)
	}
	return out, nil
}

// CreatePersons inserts ps and sets each one's ID; EConflict if an IDHash is
// taken, by an existing person or by another in ps. Either all are inserted
// or, on error, none.
func (t *txn) CreatePersons(ctx context.Context, ps []*store.Person) error {
	ids := make([]int64, len(ps))
	if err := t.personsConflict(ctx, ps); err != nil {
		return err
	}
	err := t.checked(func() error {
		st := t.stmt(ctx, sCreatePerson)
		for i, p := range ps {
			res, err := st.ExecContext(ctx, p.Name, blobArg(p.IDHash), timeArg(p.CreatedAt))
			if isUnique(err) {
				return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
			}
			if err != nil {
				return wrap("create person", err)
			}
			if ids[i], err = res.LastInsertId(); err != nil {
				return wrap("create person", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// IDs are set only once all rows are in, so that a failed call leaves
	// the caller's persons as they were.
	for i, p := range ps {
		p.ID = ids[i]
	}
	return nil
}

// personsConflict reports EConflict when an ID hash of ps is taken, or
// occurs twice in ps.
func (t *txn) personsConflict(ctx context.Context, ps []*store.Person) error {
	var hashes [][]byte
	seen := map[string]bool{}
	for _, p := range ps {
		if p.IDHash == nil {
			continue
		}
		if seen[string(p.IDHash)] {
			return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
		}
		seen[string(p.IDHash)] = true
		hashes = append(hashes, p.IDHash)
	}
	if len(hashes) == 0 {
		return nil
	}
	found, err := t.PersonsByIDHashes(ctx, hashes)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
	}
	return nil
}

// RenamePerson renames the person and every credential linked to them,
// returning those numbers with their former holder names. The rename is
// conditional on the person's name (EConflict when it is no longer from);
// ENotFound when there is no such person. These statements are prepared per
// call: a correction is rare, and nothing waits on it.
func (t *txn) RenamePerson(ctx context.Context, id int64, from, name, folded string, at time.Time) (map[string]string, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE persons SET name = ? WHERE id = ? AND name = ?`, name, id, from)
	if err := t.personUpdated(ctx, "rename person", id, res, err); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT certificate_no, holder_name FROM credentials WHERE person_id = ?`, id)
	if err != nil {
		return nil, wrap("rename person", err)
	}
	defer rows.Close()
	former := map[string]string{}
	for rows.Next() {
		var no, old string
		if err := rows.Scan(&no, &old); err != nil {
			return nil, wrap("rename person", err)
		}
		former[no] = old
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rename person", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE credentials SET holder_name = ?, holder_name_folded = ?, updated_at = ?
		WHERE person_id = ?`, name, folded, timeArg(at.Truncate(time.Microsecond)), id); err != nil {
		return nil, wrap("rename person credentials", err)
	}
	return former, nil
}

// SetPersonIDHash sets the ID hash of a person who has none. EConflict when
// the person has one or another person holds hash; ENotFound when there is
// no such person.
func (t *txn) SetPersonIDHash(ctx context.Context, id int64, hash []byte) error {
	if len(hash) == 0 {
		return store.FieldError(store.EInvalid, "id_hash", "an ID hash is required")
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE persons SET id_hash = ? WHERE id = ? AND id_hash IS NULL`, hash, id)
	if isUnique(err) {
		return store.FieldError(store.EConflict, "id_hash", "a person with this ID number exists")
	}
	return t.personUpdated(ctx, "set person id hash", id, res, err)
}

// personUpdated turns the outcome of a conditional one-row UPDATE of persons
// into the contract's error: no row changed means no such person
// (ENotFound) or one no longer in the state the write was conditional on
// (EConflict).
func (t *txn) personUpdated(ctx context.Context, op string, id int64, res sql.Result, err error) error {
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
	if _, err := t.PersonByID(ctx, id); err != nil {
		return err
	}
	return store.Errorf(store.EConflict, "the person was changed by someone else a moment ago")
}

// LockPersonsByIDHashes is PersonsByIDHashes: a write transaction holds
// SQLite's one write lock, so no other writer can change what it read.
func (t *txn) LockPersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*store.Person, error) {
	return t.PersonsByIDHashes(ctx, hashes)
}

// Package postgres is the PostgreSQL implementation of store.Store, on pgx
// and its connection pool. It is the backend for running several stateless
// application instances on one shared database.
//
// Every table lives in the first schema of the connection's search_path, so
// one database can hold several independent stores (one per test, say): put
// search_path=NAME in the URL.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"ethicsportal/store"
)

// querier is what the query code needs, satisfied by both *pgxpool.Pool and
// pgx.Tx, so that each query is written once and runs in or out of a
// transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DB is a store.Store on a PostgreSQL database. It is safe for concurrent
// use, and any number of DBs, in one process or many, may share a database.
type DB struct {
	reader
	pool *pgxpool.Pool
}

var (
	_ store.Store = (*DB)(nil)
	_ store.Tx    = (*tx)(nil)
	_ querier     = (*pgxpool.Pool)(nil)
	_ querier     = pgx.Tx(nil)
)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string) and brings its schema up to date before returning.
// Connection parameters pgx does not know itself, such as search_path or
// application_name, are sent to the server as run-time parameters; pool
// settings such as pool_max_conns are honoured too.
//
// Several instances may Open the same database at the same moment: the
// migrations are serialised on the server, so each is applied exactly once.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error text of a parse failure can repeat the URL and with it a
		// password, so only its kind is reported.
		return nil, errors.New("postgres: the database URL cannot be parsed")
	}
	return openConfig(ctx, cfg, migrationFS)
}

// openConfig connects with cfg and applies migrations, a migrations/ folder
// of goose SQL files: the embedded schema, or a test's own.
func openConfig(ctx context.Context, cfg *pgxpool.Config, migrations fs.FS) (*DB, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	// Pinging first so that an unreachable server is reported as such, not
	// as a failure of the first migration step.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool, migrations); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{reader: reader{q: pool}, pool: pool}, nil
}

// Update runs fn in one READ COMMITTED transaction. That level does not
// stop a lost update by itself: each statement sees what was committed when
// it began, so a value fn read may have been changed by another instance
// by the time fn writes. The store therefore offers only writes that say
// what they expect to find, and fn must use them so:
//
//   - conditional updates, whose condition the server re-checks on the
//     newest row version after waiting for a concurrent writer's lock, and
//     which report EConflict when it no longer holds: AdvanceTOTPStep,
//     DecideAction, LiftBan, SetPersonIDHash, and SetCredentialStatus,
//     LinkCredentialPerson, CorrectCredential and RenamePerson, which take
//     the state the caller decided from;
//   - inserts that yield to an existing key (AddSigningKey,
//     PutSecretIfAbsent, CreatePersons, InsertCredentials), after which the
//     caller reads the winner's row;
//   - locks held to the end of the transaction, taken before the read that
//     a decision rests on: CredentialForUpdate (a row lock, so that a
//     racing approval waits and decides again on the new state),
//     LockCredentials and LockPersonsByIDHashes, and the locks inside
//     UpdateUser, AppendAudit and EnqueueOutbox.
//
// UpdateCredentialRecords is the exception: it writes the register fields,
// person link included, as the caller passes them, whatever is stored, so
// the caller reads what it decides from with LockCredentials first.
//
// An error fn returns is returned unchanged after the rollback. The
// expected failures of Tx methods (EConflict, ENotFound) change nothing and
// leave the transaction usable, as they would on SQLite; any other failure
// aborts it, and Update then reports the commit as failed.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrap("begin", err)
	}
	defer func() {
		// Also runs when fn panics. After a commit it is a no-op.
		if rerr := ptx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) && err == nil {
			err = wrap("rollback", rerr)
		}
	}()
	if ferr := fn(&tx{reader: reader{q: ptx}, tx: ptx}); ferr != nil {
		return ferr
	}
	if cerr := ptx.Commit(ctx); cerr != nil {
		return wrap("commit", cerr)
	}
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return wrap("ping", db.pool.Ping(ctx))
}

// Close waits for connections in use to be returned and closes them all.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// tx is the store.Tx handed to an Update function.
type tx struct {
	reader
	tx pgx.Tx
}

// reader implements store.Reader over the pool (outside a transaction) or
// a pgx.Tx (inside one).
type reader struct {
	q querier
}

// undo deletes rows a bulk insert made before it found a conflict.
func (t *tx) undo(ctx context.Context, sql string, keys any) error {
	_, err := t.tx.Exec(ctx, sql, keys)
	return wrap("undo partial insert", err)
}

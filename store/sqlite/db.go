// Package sqlite is the Store on SQLite (modernc.org/sqlite, pure Go), the
// embedded default that needs no service to run.
//
// One file is shared by two connection pools: a single writer, which every
// Update goes through, so that transactions queue in Go rather than fail on
// SQLite's lock; and several readers, which in WAL mode read the last
// committed state without waiting for a writer. Several processes may open
// the same file (two application instances on one machine); their writers
// then take turns on SQLite's lock, each waiting up to busyTimeoutMillis.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"ethicsportal/store"
)

// busyTimeoutMillis is how long a statement waits for another connection's lock
// before failing with SQLITE_BUSY. Long enough to ride out another
// instance's import batch, short enough that a stuck lock surfaces.
const busyTimeoutMillis = 10000

// pragmas apply to every connection of both pools. synchronous=FULL because
// an applied decision must survive a power cut: in WAL mode NORMAL may lose
// the last commits. foreign_keys is off by default in SQLite and per
// connection, hence here. temp_store=MEMORY keeps statement and savepoint
// journals in memory: they only hold what an open batch may need to undo,
// and on disk they cost a write per page touched (measured: it halved the
// import rate). mmap_size lets every connection read pages straight from the
// OS page cache, shared by all of them, instead of copying them into its own
// 2 MB cache with a pread each: point lookups on 100,000 credentials went
// from 30 to 22 µs. The limit is on address space, not memory: the pages
// stay the kernel's to evict.
var pragmas = []string{
	fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis),
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
	"temp_store(MEMORY)",
	"mmap_size(268435456)",
}

// DB is a Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	reader // the Reader methods, on the reader pool

	writer  *sql.DB
	readers *sql.DB
	wstmts  [numStmts]*sql.Stmt     // prepared on the writer's one connection
	rstmts  [numReadStmts]*sql.Stmt // prepared on the reader pool

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*DB)(nil)

// Open opens the database at path, creating the file if it is absent, and
// brings its schema up to date (see migrations). The path is a file name,
// not a DSN; ":memory:" does not work, since the two pools must share a file.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := ownerOnly(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db := &DB{}
	db.reader = reader{src: poolStmts{db}}

	// The writer gets a large page cache and checkpoints the WAL less
	// often: an import batch touches pages all over the table's B-tree
	// (certificate numbers arrive in no order), and with the defaults
	// (2 MiB, every 1,000 pages) nearly every commit re-read pages and ran a
	// checkpoint.
	db.writer, err = sql.Open("sqlite", dsn(abs, "_txlock=immediate",
		"_pragma="+url.QueryEscape("cache_size(-131072)"), "_pragma="+url.QueryEscape("wal_autocheckpoint(10000)")))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	// One connection: SQLite allows one writer at a time anyway, and
	// statements prepared on it stay valid for every transaction.
	// BEGIN IMMEDIATE (_txlock) takes the write lock at the start, so a
	// transaction never fails half-way on upgrading a read lock.
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)

	// The writer's first connection switches the file to WAL before any
	// reader (query_only, so unable to) connects.
	if err := db.writer.PingContext(ctx); err != nil {
		db.writer.Close()
		return nil, wrap("open "+abs, err)
	}
	if err := migrate(ctx, db.writer, migrationFS, abs+"-migrate.lock"); err != nil {
		db.writer.Close()
		return nil, err
	}

	db.readers, err = sql.Open("sqlite", dsn(abs, "_pragma=query_only(1)"))
	if err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.readers.SetMaxOpenConns(n)
	db.readers.SetMaxIdleConns(n)
	db.readers.SetConnMaxLifetime(0)
	db.readers.SetConnMaxIdleTime(0)

	if err := prepare(ctx, db.writer, db.wstmts[:], numStmts); err != nil {
		db.writer.Close()
		db.readers.Close()
		return nil, err
	}
	if err := prepare(ctx, db.readers, db.rstmts[:], numReadStmts); err != nil {
		closeStmts(db.wstmts[:])
		db.writer.Close()
		db.readers.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds a file: URI, so that a path holding '?' or '#' stays a path.
// The pragmas go in the DSN rather than being run once after Open because
// database/sql opens connections whenever it likes: each must get them.
func dsn(path string, extra ...string) string {
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	q = append(q, extra...)
	u := url.URL{Scheme: "file", Path: path, RawQuery: strings.Join(q, "&")}
	return u.String()
}

// Update runs fn in one write transaction, as store.Store documents. The
// transaction begins IMMEDIATE, so it waits (up to the busy timeout) for any
// other writer on the file, including other processes, before fn runs.
// fn must not call Update on the same DB: the writer has one connection,
// and the inner call would wait for the outer forever. The same holds for
// the Store's other writes, ClaimOutbox and FinishOutbox.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return db.write(ctx, func(tx *txn) error { return fn(tx) })
}

// write runs fn in one write transaction on the writer: Update for the
// application, and the Store's own writes (the outbox leases), which need
// the same BEGIN IMMEDIATE. A single statement run outside a transaction
// would take the write lock only when it came to write, and in WAL mode
// fail at once, not after the busy timeout, if another process had
// committed since it began to read.
func (db *DB) write(ctx context.Context, fn func(tx *txn) error) error {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	tx := &txn{db: db, tx: sqlTx}
	tx.reader = reader{src: tx}
	finished := false
	defer func() {
		// fn panicked or called runtime.Goexit (t.Fatal in a test):
		// give the connection back rather than leave it in a transaction.
		if !finished {
			sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		finished = true
		sqlTx.Rollback() // fn's error is the one that matters
		return err
	}
	finished = true
	if err := sqlTx.Commit(); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// Ping reports whether the database answers a query on the reader pool. It
// does not use the writer, which may be busy with a long Update.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.readers.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// Close closes both pools. Calling it again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		closeStmts(db.rstmts[:])
		closeStmts(db.wstmts[:])
		db.closeErr = errors.Join(db.readers.Close(), db.writer.Close())
		if db.closeErr != nil {
			db.closeErr = fmt.Errorf("sqlite: close: %w", db.closeErr)
		}
	})
	return db.closeErr
}

// poolStmts hands the Reader methods the statements prepared on the reader
// pool, so reads outside a transaction never queue behind the writer.
type poolStmts struct{ db *DB }

func (p poolStmts) stmt(_ context.Context, id stmtID) *sql.Stmt { return p.db.rstmts[id] }

// txn is the store.Tx of one Update.
type txn struct {
	reader // the Reader methods, through the transaction

	db    *DB
	tx    *sql.Tx
	stmts [numStmts]*sql.Stmt // lazily bound to tx
}

// stmt binds a writer statement to the transaction. Because the writer has
// one connection, on which the statement was prepared at Open, database/sql
// reuses the prepared statement rather than preparing it again; the binding
// is kept for the rest of the transaction.
func (t *txn) stmt(ctx context.Context, id stmtID) *sql.Stmt {
	if s := t.stmts[id]; s != nil {
		return s
	}
	s := t.tx.StmtContext(ctx, t.db.wstmts[id])
	t.stmts[id] = s
	return s
}

// checked runs fn, the writes of a bulk Tx method whose every expected
// failure (a conflict, a missing row) the caller has already ruled out by a
// read inside this write transaction. No other writer can intervene (the
// transaction holds the write lock), so those failures cannot happen and fn
// runs with no savepoint, and its statements use OR FAIL, which needs no
// statement journal: copying every touched page aside for an undo that
// cannot be needed was most of the cost of an import. Should fn fail all
// the same (I/O, a full disk), the error goes back to the caller, whose
// Update then rolls the whole transaction back.
func (t *txn) checked(fn func() error) error { return fn() }

// ownerOnly creates the database file readable and writable by its owner
// alone, or narrows an existing one and its -wal and -shm files to that: the
// file holds signing keys and the ID-number pepper. SQLite gives the -wal
// and -shm files it creates later the database file's permissions.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("narrow the permissions of %s: %w", p, err)
			}
		}
	}
	return nil
}

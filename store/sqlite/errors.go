package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"ethicsportal/store"
)

// sqliteCode returns the extended SQLite result code carried by err, or 0.
// The driver turns extended result codes on, so constraint failures arrive
// as SQLITE_CONSTRAINT_UNIQUE and friends rather than bare SQLITE_CONSTRAINT.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isBusy reports whether err means the database stayed locked for longer
// than busy_timeout.
func isBusy(err error) bool {
	return sqliteCode(err)&0xff == sqlite3.SQLITE_BUSY
}

// wrap prefixes err with what was being done. A database that stayed locked
// past busy_timeout is reported as EUnavailable, so that the caller answers
// "try again" rather than "internal error", while the driver's error stays in
// the chain for the log.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if isBusy(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.Errorf(store.EUnavailable, "the database is busy"), err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

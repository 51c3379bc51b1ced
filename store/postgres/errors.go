package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"ethicsportal/store"
)

// SQLSTATE codes the store gives a meaning to.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// wrap turns a driver error into the store's vocabulary: a missing row is
// ENotFound, a taken key EConflict, a missing referenced row (the foreign
// keys are bans.person_id and credential_changes.certificate_no) ENotFound. A server that is unreachable,
// shutting down, out of connections, or that chose this transaction as a
// deadlock victim gives EUnavailable, so that the caller answers "try
// again" rather than "internal error". Anything else is wrapped with %w, the
// driver's error staying in the chain (context cancellation included) for
// errors.Is and the log; op names what was being done.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Errorf(store.ENotFound, "%s: not found", op)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return store.Errorf(store.EConflict, "%s: already exists", op)
		case codeForeignKeyViolation:
			return store.Errorf(store.ENotFound, "%s: the object referred to does not exist", op)
		}
	}
	if unavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.Errorf(store.EUnavailable, "the database is unavailable"), err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// lookupErr is wrap for a query of one object, whose absence is reported
// as ENotFound with msg.
func lookupErr(op string, err error, msg string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Errorf(store.ENotFound, "%s", msg)
	}
	return wrap(op, err)
}

// unavailable reports whether err is worth retrying later: no connection,
// or the server refusing work for the moment.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return true
		case pe.Code == "53300": // too many connections
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, cannot connect now
			return true
		}
	}
	return false
}

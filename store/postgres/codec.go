package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"ethicsportal/store"
)

// Conversions between Go values and column values, kept in one place so
// that every table agrees: the zero time and the zero Date are NULL, times
// are UTC microseconds.
//
// Dates are written through pgtype.Date rather than store.Date's
// driver.Valuer because the bulk statements need arrays of them, whose
// element type pgx must encode natively; reading goes through store.Date's
// sql.Scanner, which pgx hands a time.Time for a DATE and nil for NULL.

// dateArg is d as a DATE parameter, NULL for the zero Date.
func dateArg(d store.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	t, err := time.Parse(time.DateOnly, d.String())
	if err != nil { // cannot happen: String always gives YYYY-MM-DD
		return pgtype.Date{}
	}
	return pgtype.Date{Time: t, Valid: true}
}

// timeArg is t as a timestamptz parameter, NULL for the zero time.
func timeArg(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: dbTime(t), Valid: true}
}

// dbTime is t as the database will give it back: UTC, whole microseconds.
// Values the store sets on a caller's struct go through it so that the
// struct equals what a later read returns.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// timeCol scans a timestamptz into *t: NULL is the zero time, anything
// else is in UTC (pgx would give the local zone).
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("postgres: cannot scan %T into a time", src)
	}
	return nil
}

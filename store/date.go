package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Beijing is the zone in which dates of the register and of decisions are
// reckoned: a registration "until 2026-12-01" ends at midnight in Beijing.
// A fixed zone avoids depending on the tz database being installed.
var Beijing = time.FixedZone("CST", 8*60*60)

// Date is a calendar date with no time of day, written YYYY-MM-DD.
// The zero Date means "no date".
type Date struct {
	t time.Time // midnight UTC of the date; zero for no date
}

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date {
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// Today returns the current date in Beijing.
func Today(now time.Time) Date {
	y, m, d := now.In(Beijing).Date()
	return NewDate(y, m, d)
}

// ParseDate parses a YYYY-MM-DD date, rejecting impossible ones (2023-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not a valid YYYY-MM-DD date", s)
	}
	return Date{t: t}, nil
}

// IsZero reports whether d is the zero ("no date") value.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// Before reports whether d is strictly earlier than o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// After reports whether d is strictly later than o.
func (d Date) After(o Date) bool { return d.t.After(o.t) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{t: d.t.AddDate(0, 0, n)} }

// MarshalJSON writes the date as a string, or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a YYYY-MM-DD string or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a YYYY-MM-DD string")
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores a date as its YYYY-MM-DD text (NULL for the zero Date).
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date stored as text or as a database DATE.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		y, m, dd := v.Date()
		*d = NewDate(y, m, dd)
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into Date", src)
	}
	return nil
}

func (d *Date) scanText(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	if len(s) > 10 { // a driver may hand back "2024-01-02T00:00:00Z"
		s = s[:10]
	}
	v, err := ParseDate(s)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	*d = v
	return nil
}

package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"ethicsportal/store"
)

// t0 has nanoseconds and a zone other than UTC, so that a round trip shows
// both the truncation to microseconds and the conversion to UTC.
var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, store.Beijing)

// norm returns v, a struct, with every time.Time field as a store returns
// it: truncated to the microsecond, in UTC.
func norm[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if tm, ok := f.Interface().(time.Time); ok {
			f.Set(reflect.ValueOf(micro(tm)))
		}
	}
	return v
}

// micro returns t as a store returns it: truncated to the microsecond, in UTC.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// diff compares two structs of the same type field by field, by the rules
// of the contract: times equal as instants and in UTC (zero stays zero),
// byte slices and JSON values equal byte for byte and nil only where nil
// was written (JSON is never re-encoded: `{"b":1,  "a":[2]}` comes back as
// it went in), string lists equal (nil and empty alike), everything else
// equal.
func diff(want, got any) []string {
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	var out []string
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		if d := diffValue(wv.Field(i).Interface(), gv.Field(i).Interface()); d != "" {
			out = append(out, name+": "+d)
		}
	}
	return out
}

func diffValue(want, got any) string {
	switch w := want.(type) {
	case time.Time:
		g := got.(time.Time)
		switch {
		case w.IsZero() && !g.IsZero():
			return fmt.Sprintf("got %v, want the zero time", g)
		case w.IsZero():
			return ""
		case !g.Equal(w):
			return fmt.Sprintf("got %v, want %v", g, w)
		case g.Location() != time.UTC:
			return fmt.Sprintf("got %v in %v, want it in UTC", g, g.Location())
		}
	case []byte:
		g := got.([]byte)
		switch {
		case !bytes.Equal(w, g):
			return fmt.Sprintf("got %x, want %x", g, w)
		case w == nil && g != nil:
			return "got an empty slice, want nil"
		case w != nil && g == nil:
			return "got nil, want an empty non-nil slice"
		}
	case json.RawMessage:
		g := got.(json.RawMessage)
		switch {
		case !bytes.Equal(w, g):
			return fmt.Sprintf("got %q, want %q", g, w)
		case w == nil && g != nil:
			return "got an empty value, want nil"
		case w != nil && g == nil:
			return "got nil, want an empty non-nil value"
		}
	case []string:
		if g := got.([]string); !slices.Equal(w, g) {
			return fmt.Sprintf("got %q, want %q", g, w)
		}
	case []store.FieldChange:
		if g := got.([]store.FieldChange); !slices.Equal(w, g) {
			return fmt.Sprintf("got %+v, want %+v", g, w)
		}
	case store.Date:
		if g := got.(store.Date); g.String() != w.String() {
			return fmt.Sprintf("got %q, want %q", g, w)
		}
	default:
		if want != got {
			return fmt.Sprintf("got %#v, want %#v", got, want)
		}
	}
	return ""
}

// checkEqual reports every field in which got differs from want.
func checkEqual[T any](t *testing.T, what string, want T, got *T) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil, want %+v", what, want)
		return
	}
	for _, d := range diff(want, *got) {
		t.Errorf("%s: %s", what, d)
	}
}

// wantCode checks that err is a *store.Error carrying code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var se *store.Error
	switch {
	case err == nil:
		t.Errorf("%s: got no error, want %s", what, code)
	case !errors.As(err, &se):
		t.Errorf("%s: got %v (%T), want a *store.Error with code %s", what, err, err, code)
	case store.ErrorCode(err) != code:
		t.Errorf("%s: got code %s (%v), want %s", what, store.ErrorCode(err), err, code)
	}
}

// update runs fn in a transaction that must commit.
func update(t *testing.T, st store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// failUpdate runs fn, which must return the error of the one Tx call it
// expects to fail, and checks that Update returned that error unchanged.
// It returns the error for the caller to inspect.
func failUpdate(t *testing.T, st store.Store, fn func(tx store.Tx) error) error {
	t.Helper()
	var inner error
	err := st.Update(t.Context(), func(tx store.Tx) error {
		inner = fn(tx)
		return inner
	})
	if inner == nil {
		t.Fatalf("the Tx call succeeded, want an error (Update returned %v)", err)
	}
	if !errors.Is(err, inner) {
		t.Errorf("Update returned %v, want the error fn returned (%v)", err, inner)
	}
	return inner
}

// eachReader runs check on the store and on a transaction of it: Reader
// has two implementations, outside and inside Update, which must agree.
func eachReader(t *testing.T, st store.Store, check func(t *testing.T, r store.Reader)) {
	t.Helper()
	t.Run("store", func(t *testing.T) { check(t, st) })
	t.Run("tx", func(t *testing.T) {
		update(t, st, func(tx store.Tx) error {
			check(t, tx)
			return nil
		})
	})
}

// seq returns n bytes counting up from start, a recognisable test value.
func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// idHash stands in for the keyed hash of an ID number.
func idHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func createUser(t *testing.T, st store.Store, u *store.User) {
	t.Helper()
	update(t, st, func(tx store.Tx) error { return tx.CreateUser(t.Context(), u) })
}

func createPersons(t *testing.T, st store.Store, ps ...*store.Person) {
	t.Helper()
	update(t, st, func(tx store.Tx) error { return tx.CreatePersons(t.Context(), ps) })
	for _, p := range ps {
		if p.ID == 0 {
			t.Fatalf("CreatePersons left person %q without an ID", p.Name)
		}
	}
}

func insertCredentials(t *testing.T, st store.Store, now time.Time, cs ...*store.Credential) {
	t.Helper()
	update(t, st, func(tx store.Tx) error { return tx.InsertCredentials(t.Context(), cs, now) })
}

// sampleCredential is a credential with every field set to a value other
// than its zero; CreatedAt and UpdatedAt are InsertCredentials' to set.
func sampleCredential(no string, personID int64) *store.Credential {
	return &store.Credential{
		CertificateNo:    no,
		HolderName:       "張偉華",
		HolderNameFolded: "张伟华",
		PersonID:         personID,
		Kind:             "senior_secondary",
		Subject:          "数学",
		Issuer:           "北京市海淀区教育委员会",
		IssuedOn:         store.NewDate(2015, time.July, 1),
		RegisteredUntil:  store.NewDate(2026, time.June, 30),
		Status:           store.StatusSuspended,
		SuspendedUntil:   store.NewDate(2025, time.December, 31),
		StatusReason:     "立案调查期间暂停",
	}
}

// stored is what a read of c should return after InsertCredentials at now.
func stored(c *store.Credential, now time.Time) store.Credential {
	w := *c
	w.CreatedAt, w.UpdatedAt = now, now
	return norm(w)
}

// sameInstant reports whether a equals b to the microsecond, the precision
// a store keeps.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

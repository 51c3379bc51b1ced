package storetest

import (
	"testing"
	"time"

	"ethicsportal/store"
)

func testDenyToken(t *testing.T, s suite) {
	st := s.open(t)
	checkDenied := func(t *testing.T, r store.Reader, jti string, want bool) {
		t.Helper()
		got, err := r.TokenDenied(t.Context(), jti)
		if err != nil {
			t.Fatalf("TokenDenied(%q): %v", jti, err)
		}
		if got != want {
			t.Errorf("TokenDenied(%q) = %v, want %v", jti, got, want)
		}
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) { checkDenied(t, r, "jti-1", false) })

	exp := t0.Add(time.Hour)
	update(t, st, func(tx store.Tx) error { return tx.DenyToken(t.Context(), "jti-1", exp) })
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkDenied(t, r, "jti-1", true)
		checkDenied(t, r, "jti-2", false)
		checkDenied(t, r, "JTI-1", false)
	})

	// Denying again, with the same or another expiry, is not an error.
	update(t, st, func(tx store.Tx) error { return tx.DenyToken(t.Context(), "jti-1", exp) })
	update(t, st, func(tx store.Tx) error { return tx.DenyToken(t.Context(), "jti-1", exp.Add(time.Hour)) })
	update(t, st, func(tx store.Tx) error {
		if err := tx.DenyToken(t.Context(), "jti-3", exp); err != nil {
			return err
		}
		return tx.DenyToken(t.Context(), "jti-3", exp) // twice in one transaction
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		checkDenied(t, r, "jti-1", true)
		checkDenied(t, r, "jti-3", true)
	})
}

func testPurgeDeniedTokens(t *testing.T, s suite) {
	st := s.open(t)
	base := time.Date(2025, 1, 2, 3, 4, 5, 678000, time.UTC) // whole microseconds: no rounding at the boundary
	denials := []struct {
		jti string
		exp time.Time
	}{
		{"old", base.Add(-time.Hour)},
		{"older", base.Add(-2 * time.Hour)},
		{"older", base.Add(-2 * time.Hour)}, // denied twice: still one entry
		{"boundary", base},                  // expires at, not before, the purge time
		{"young", base.Add(time.Hour)},
	}
	for _, d := range denials {
		update(t, st, func(tx store.Tx) error { return tx.DenyToken(t.Context(), d.jti, d.exp) })
	}
	purge := func(before time.Time) int {
		t.Helper()
		var n int
		update(t, st, func(tx store.Tx) error {
			var err error
			n, err = tx.PurgeDeniedTokens(t.Context(), before)
			return err
		})
		return n
	}
	if n := purge(base); n != 2 {
		t.Errorf("PurgeDeniedTokens(base) = %d, want 2 (old, older)", n)
	}
	for jti, want := range map[string]bool{"old": false, "older": false, "boundary": true, "young": true} {
		if got, err := st.TokenDenied(t.Context(), jti); err != nil || got != want {
			t.Errorf("after the purge TokenDenied(%q) = %v, %v; want %v", jti, got, err, want)
		}
	}
	if n := purge(base); n != 0 {
		t.Errorf("PurgeDeniedTokens(base) again = %d, want 0", n)
	}
	if n := purge(base.Add(2 * time.Hour)); n != 2 {
		t.Errorf("PurgeDeniedTokens(base+2h) = %d, want 2 (boundary, young)", n)
	}
	for _, jti := range []string{"boundary", "young"} {
		if got, err := st.TokenDenied(t.Context(), jti); err != nil || got {
			t.Errorf("after the second purge TokenDenied(%q) = %v, %v; want false", jti, got, err)
		}
	}
}

func testDeniedTokens(t *testing.T, s suite) {
	st := s.open(t)
	base := time.Date(2025, 1, 2, 3, 4, 5, 678000, time.UTC)
	update(t, st, func(tx store.Tx) error {
		for jti, exp := range map[string]time.Time{"gone": base.Add(-time.Second), "edge": base,
			"later": base.Add(time.Hour), "never": {}} {
			if err := tx.DenyToken(t.Context(), jti, exp); err != nil {
				return err
			}
		}
		return nil
	})
	want := map[string]time.Time{"edge": base, "later": base.Add(time.Hour), "never": {}}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.DeniedTokens(t.Context(), base)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("DeniedTokens = %v, want %v", got, want)
		}
		for jti, exp := range want {
			if g, ok := got[jti]; !ok || !g.Equal(exp) {
				t.Errorf("DeniedTokens[%q] = %v, %v; want %v", jti, g, ok, exp)
			}
		}
	})
}

package storetest

import (
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

func testUserRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	users := []*store.User{{
		Username:     "alice",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		Roles:        []string{store.RoleEditor, store.RoleReviewer},
		TOTPSecret:   seq(20, 1),
		TOTPLastStep: 57_000_123,
		CreatedAt:    t0,
	}, {
		Username:     "bob",
		PasswordHash: "$argon2id$v=19$bob",
		Roles:        []string{store.RoleAdmin},
		TOTPSecret:   nil, // no second factor
		CreatedAt:    t0.Add(time.Hour + 987*time.Nanosecond),
	}, {
		Username:     "carol",
		PasswordHash: "$argon2id$v=19$carol",
		Roles:        nil,
		TOTPSecret:   []byte{}, // empty, not nil: must stay distinguishable
		CreatedAt:    t0.Add(-48 * time.Hour),
	}, {
		Username:     "张老师",
		PasswordHash: "$argon2id$v=19$zhang",
		Roles:        []string{store.RoleRegistrar, store.RoleAuditor, store.RoleEditor},
		TOTPSecret:   seq(32, 200),
		CreatedAt:    t0.Add(time.Minute),
	}}
	update(t, st, func(tx store.Tx) error {
		for _, u := range users {
			if err := tx.CreateUser(t.Context(), u); err != nil {
				return err
			}
		}
		return nil
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, u := range users {
			got, err := r.UserByName(t.Context(), u.Username)
			if err != nil {
				t.Errorf("UserByName(%q): %v", u.Username, err)
				continue
			}
			checkEqual(t, "user "+u.Username, norm(*u), got)
		}
	})
}

func testUserNotFound(t *testing.T, s suite) {
	st := s.open(t)
	createUser(t, st, &store.User{Username: "alice", PasswordHash: "h", CreatedAt: t0})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, name := range []string{"bob", "Alice", "alice ", ""} {
			u, err := r.UserByName(t.Context(), name)
			wantCode(t, "UserByName("+name+")", err, store.ENotFound)
			if u != nil {
				t.Errorf("UserByName(%q) returned %+v with its error", name, u)
			}
		}
	})
}

func testCreateUserConflict(t *testing.T, s suite) {
	st := s.open(t)
	first := &store.User{Username: "alice", PasswordHash: "first", Roles: []string{store.RoleEditor}, CreatedAt: t0}
	createUser(t, st, first)
	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreateUser(t.Context(), &store.User{Username: "alice", PasswordHash: "second",
			Roles: []string{store.RoleAdmin}, CreatedAt: t0.Add(time.Hour)})
	})
	wantCode(t, "CreateUser of a taken name", err, store.EConflict)
	got, err := st.UserByName(t.Context(), "alice")
	if err != nil {
		t.Fatalf("UserByName: %v", err)
	}
	checkEqual(t, "the first user after the conflict", norm(*first), got)
}

func testAdvanceTOTPStep(t *testing.T, s suite) {
	st := s.open(t)
	createUser(t, st, &store.User{Username: "alice", PasswordHash: "h", TOTPSecret: seq(20, 0),
		TOTPLastStep: 10, CreatedAt: t0})
	steps := []struct {
		step int64
		want bool
		last int64
	}{
		{10, false, 10}, // the step recorded: a code is good once
		{9, false, 10},  // an older step
		{11, true, 11},
		{11, false, 11},
		{1_000_000, true, 1_000_000},
		{-5, false, 1_000_000},
	}
	for _, c := range steps {
		var ok bool
		update(t, st, func(tx store.Tx) error {
			var err error
			ok, err = tx.AdvanceTOTPStep(t.Context(), "alice", c.step)
			return err
		})
		if ok != c.want {
			t.Errorf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
		}
		u, err := st.UserByName(t.Context(), "alice")
		if err != nil {
			t.Fatalf("UserByName: %v", err)
		}
		if u.TOTPLastStep != c.last {
			t.Errorf("after AdvanceTOTPStep(%d): TOTPLastStep = %d, want %d", c.step, u.TOTPLastStep, c.last)
		}
	}

	// Within one transaction the second use of a step sees the first.
	update(t, st, func(tx store.Tx) error {
		for i, want := range []bool{true, false} {
			ok, err := tx.AdvanceTOTPStep(t.Context(), "alice", 2_000_000)
			if err != nil {
				return err
			}
			if ok != want {
				t.Errorf("use %d of step 2000000 in one transaction = %v, want %v", i+1, ok, want)
			}
		}
		return nil
	})

	// An unknown user cannot advance; ENotFound or a plain false both say so.
	update(t, st, func(tx store.Tx) error {
		ok, err := tx.AdvanceTOTPStep(t.Context(), "nobody", 5)
		if ok {
			t.Errorf("AdvanceTOTPStep for an unknown user = true")
		}
		if err != nil && !store.IsCode(err, store.ENotFound) {
			t.Errorf("AdvanceTOTPStep for an unknown user: %v, want nil or %s", err, store.ENotFound)
		}
		return nil
	})
}

// testAdvanceTOTPStepRace signs in with one code from eight goroutines on
// two instances at once: exactly one may succeed.
func testAdvanceTOTPStepRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	createUser(t, a, &store.User{Username: "alice", PasswordHash: "h", TOTPSecret: seq(20, 0),
		TOTPLastStep: 100, CreatedAt: t0})
	const n = 8
	var (
		won   [n]bool
		errs  [n]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				ok, err := tx.AdvanceTOTPStep(t.Context(), "alice", 101)
				won[i] = ok
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
		}
		if won[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d goroutines advanced to the same step, want exactly 1", wins)
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		u, err := st.UserByName(t.Context(), "alice")
		if err != nil {
			t.Fatalf("handle %s: UserByName: %v", name, err)
		}
		if u.TOTPLastStep != 101 {
			t.Errorf("handle %s: TOTPLastStep = %d, want 101", name, u.TOTPLastStep)
		}
	}
}

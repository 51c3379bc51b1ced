package storetest

import (
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

func testUsersList(t *testing.T, s suite) {
	st := s.open(t)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		us, err := r.Users(t.Context())
		if err != nil || len(us) != 0 {
			t.Fatalf("Users on an empty store = %v, %v; want none", us, err)
		}
	})
	carol := &store.User{Username: "carol", PasswordHash: "c", Roles: []string{store.RoleAuditor}, Disabled: true, CreatedAt: t0}
	alice := &store.User{Username: "alice", PasswordHash: "a", Roles: []string{store.RoleAdmin, store.RoleEditor},
		TOTPSecret: seq(20, 3), CreatedAt: t0.Add(time.Second)}
	createUser(t, st, carol)
	createUser(t, st, alice)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		us, err := r.Users(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != 2 {
			t.Fatalf("Users = %d users, want 2", len(us))
		}
		checkEqual(t, "first user (by name)", norm(*alice), &us[0])
		checkEqual(t, "second user (by name)", norm(*carol), &us[1])
	})
}

func testUpdateUser(t *testing.T, s suite) {
	st := s.open(t)
	createUser(t, st, &store.User{Username: "root", PasswordHash: "r", Roles: []string{store.RoleAdmin}, CreatedAt: t0})
	bob := &store.User{Username: "bob", PasswordHash: "old", Roles: []string{store.RoleEditor},
		TOTPSecret: seq(20, 9), TOTPLastStep: 77, CreatedAt: t0}
	createUser(t, st, bob)
	yes, no := true, false
	steps := []struct {
		name string
		ch   store.UserChange
		want func(u *store.User)
	}{
		{"nothing", store.UserChange{}, func(u *store.User) {}},
		{"roles", store.UserChange{Roles: []string{store.RoleReviewer, store.RoleAuditor}},
			func(u *store.User) { u.Roles = []string{store.RoleReviewer, store.RoleAuditor} }},
		{"disable", store.UserChange{Disabled: &yes}, func(u *store.User) { u.Disabled = true }},
		{"enable", store.UserChange{Disabled: &no}, func(u *store.User) { u.Disabled = false }},
		{"password", store.UserChange{PasswordHash: "new"}, func(u *store.User) { u.PasswordHash = "new" }},
		{"new totp", store.UserChange{SetTOTP: true, TOTPSecret: seq(20, 50)},
			func(u *store.User) { u.TOTPSecret, u.TOTPLastStep = seq(20, 50), 0 }},
		{"no totp", store.UserChange{SetTOTP: true}, func(u *store.User) { u.TOTPSecret = nil }},
		{"end sessions", store.UserChange{EndSessionsAt: t0.Add(90 * time.Minute)},
			func(u *store.User) { u.TokensNotBefore = t0.Add(90 * time.Minute) }},
		{"sessions end stays", store.UserChange{Roles: []string{store.RoleEditor}},
			func(u *store.User) { u.Roles = []string{store.RoleEditor} }},
	}
	want := *bob
	for _, step := range steps {
		step.want(&want)
		var got *store.User
		update(t, st, func(tx store.Tx) error {
			var err error
			got, err = tx.UpdateUser(t.Context(), "bob", step.ch)
			return err
		})
		checkEqual(t, step.name+": returned", norm(want), got)
		eachReader(t, st, func(t *testing.T, r store.Reader) {
			u, err := r.UserByName(t.Context(), "bob")
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, step.name+": stored", norm(want), u)
		})
	}
	err := failUpdate(t, st, func(tx store.Tx) error {
		_, err := tx.UpdateUser(t.Context(), "nobody", store.UserChange{Disabled: &yes})
		return err
	})
	wantCode(t, "UpdateUser of an unknown user", err, store.ENotFound)
}

func testLastAdmin(t *testing.T, s suite) {
	st := s.open(t)
	yes := true
	createUser(t, st, &store.User{Username: "alice", PasswordHash: "a", Roles: []string{store.RoleAdmin}, CreatedAt: t0})
	createUser(t, st, &store.User{Username: "bob", PasswordHash: "b", Roles: []string{store.RoleAdmin, store.RoleEditor}, CreatedAt: t0})
	createUser(t, st, &store.User{Username: "old", PasswordHash: "o", Roles: []string{store.RoleAdmin}, Disabled: true, CreatedAt: t0})
	// Two enabled admins: one may go.
	update(t, st, func(tx store.Tx) error {
		_, err := tx.UpdateUser(t.Context(), "bob", store.UserChange{Roles: []string{store.RoleEditor}})
		return err
	})
	// alice is now the last enabled admin (a disabled admin does not count).
	for name, ch := range map[string]store.UserChange{
		"disable":     {Disabled: &yes},
		"drop admin":  {Roles: []string{store.RoleReviewer}},
		"drop both":   {Disabled: &yes, Roles: []string{store.RoleAuditor}},
		"no role set": {Roles: []string{}},
	} {
		err := failUpdate(t, st, func(tx store.Tx) error {
			_, err := tx.UpdateUser(t.Context(), "alice", ch)
			return err
		})
		wantCode(t, "last admin: "+name, err, store.ELastAdmin)
	}
	u, err := st.UserByName(t.Context(), "alice")
	if err != nil || !u.EnabledAdmin() {
		t.Fatalf("alice after the refused changes: %+v, %v", u, err)
	}
	// Changes that keep her an enabled admin are fine.
	update(t, st, func(tx store.Tx) error {
		_, err := tx.UpdateUser(t.Context(), "alice", store.UserChange{Roles: []string{store.RoleAdmin, store.RoleAuditor}, PasswordHash: "new"})
		return err
	})
}

// testLastAdminRace has pairs of admins disable each other at once, on two
// instances: at least one admin must stay enabled every round.
func testLastAdminRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	yes := true
	const rounds = 6
	for i := range rounds {
		x, y := "x"+string(rune('a'+i)), "y"+string(rune('a'+i))
		createUser(t, a, &store.User{Username: x, PasswordHash: "h", Roles: []string{store.RoleAdmin}, CreatedAt: t0})
		createUser(t, a, &store.User{Username: y, PasswordHash: "h", Roles: []string{store.RoleAdmin}, CreatedAt: t0})
		if i > 0 { // leave only this round's x and y enabled
			update(t, a, func(tx store.Tx) error {
				for _, u := range []string{"x" + string(rune('a'+i-1)), "y" + string(rune('a'+i-1))} {
					if _, err := tx.UpdateUser(t.Context(), u, store.UserChange{Disabled: &yes}); err != nil && !store.IsCode(err, store.ELastAdmin) {
						return err
					}
				}
				return nil
			})
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  [2]error
		)
		for j, c := range []struct {
			st     store.Store
			target string
		}{{a, y}, {b, x}} {
			wg.Go(func() {
				<-start
				errs[j] = c.st.Update(t.Context(), func(tx store.Tx) error {
					_, err := tx.UpdateUser(t.Context(), c.target, store.UserChange{Disabled: &yes})
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil && !store.IsCode(err, store.ELastAdmin) {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		us, err := b.Users(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		enabled := 0
		for _, u := range us {
			if u.EnabledAdmin() {
				enabled++
			}
		}
		if enabled != 1 {
			t.Fatalf("round %d: %d enabled admins after two admins disabled each other at once, want 1 (errors %v)", i, enabled, errs)
		}
	}
}

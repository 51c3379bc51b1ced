package storetest

import (
	"sync"
	"testing"

	"ethicsportal/store"
)

func testConfirmTOTP(t *testing.T, s suite) {
	st := s.open(t)
	createUser(t, st, &store.User{Username: "new", PasswordHash: "h", TOTPSecret: seq(20, 1), CreatedAt: t0})
	createUser(t, st, &store.User{Username: "old", PasswordHash: "h", TOTPSecret: seq(20, 2), TOTPLastStep: 40, CreatedAt: t0})
	confirm := func(name string, secret []byte, step int64) bool {
		var ok bool
		update(t, st, func(tx store.Tx) error {
			var err error
			ok, err = tx.ConfirmTOTP(t.Context(), name, secret, step)
			return err
		})
		return ok
	}
	if !confirm("new", seq(20, 7), 55) {
		t.Fatal("ConfirmTOTP for a user with no confirmed factor = false")
	}
	u, err := st.UserByName(t.Context(), "new")
	if err != nil {
		t.Fatal(err)
	}
	if string(u.TOTPSecret) != string(seq(20, 7)) || u.TOTPLastStep != 55 {
		t.Errorf("after ConfirmTOTP: secret %x, step %d; want %x, 55", u.TOTPSecret, u.TOTPLastStep, seq(20, 7))
	}
	if confirm("new", seq(20, 9), 56) {
		t.Error("a second ConfirmTOTP = true; the factor was confirmed already")
	}
	if confirm("old", seq(20, 9), 99) {
		t.Error("ConfirmTOTP for a user with a confirmed factor = true")
	}
	if confirm("nobody", seq(20, 9), 99) {
		t.Error("ConfirmTOTP for an unknown user = true")
	}
	u, err = st.UserByName(t.Context(), "old")
	if err != nil {
		t.Fatal(err)
	}
	if string(u.TOTPSecret) != string(seq(20, 2)) || u.TOTPLastStep != 40 {
		t.Errorf("a refused ConfirmTOTP changed the user: secret %x, step %d", u.TOTPSecret, u.TOTPLastStep)
	}
}

func testRecoveryCodes(t *testing.T, s suite) {
	st := s.open(t)
	createUser(t, st, &store.User{Username: "alice", PasswordHash: "h", CreatedAt: t0})
	createUser(t, st, &store.User{Username: "bob", PasswordHash: "h", CreatedAt: t0})
	a1, a2, a3, b1 := seq(32, 1), seq(32, 2), seq(32, 3), seq(32, 4)
	use := func(name string, h []byte) (bool, int) {
		var (
			ok   bool
			left int
		)
		update(t, st, func(tx store.Tx) error {
			var err error
			ok, left, err = tx.UseRecoveryCode(t.Context(), name, h)
			return err
		})
		return ok, left
	}
	left := func(name string) int {
		var n int
		update(t, st, func(tx store.Tx) error {
			var err error
			n, err = tx.RecoveryCodesLeft(t.Context(), name)
			return err
		})
		return n
	}
	set := func(name string, hs ...[]byte) {
		update(t, st, func(tx store.Tx) error { return tx.SetRecoveryCodes(t.Context(), name, hs) })
	}
	if n := left("alice"); n != 0 {
		t.Fatalf("codes left before any = %d", n)
	}
	set("alice", a1, a2, a3)
	set("bob", b1)
	if n := left("alice"); n != 3 {
		t.Fatalf("codes left after setting 3 = %d", n)
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		if n, err := r.RecoveryCodesLeft(t.Context(), "alice"); err != nil || n != 3 {
			t.Fatalf("RecoveryCodesLeft = %d, %v; want 3", n, err)
		}
	})
	if ok, n := use("alice", b1); ok || n != 3 {
		t.Errorf("alice using bob's code = %v, %d left; want false, 3", ok, n)
	}
	if ok, n := use("alice", a2); !ok || n != 2 {
		t.Errorf("first use = %v, %d left; want true, 2", ok, n)
	}
	if ok, n := use("alice", a2); ok || n != 2 {
		t.Errorf("second use of the same code = %v, %d left; want false, 2", ok, n)
	}
	set("alice", a3, seq(32, 9)) // regenerated: a1 is gone
	if ok, _ := use("alice", a1); ok {
		t.Error("a replaced code was accepted")
	}
	if ok, n := use("alice", seq(32, 9)); !ok || n != 1 {
		t.Errorf("a new code = %v, %d left; want true, 1", ok, n)
	}
	set("alice")
	if n := left("alice"); n != 0 {
		t.Errorf("codes left after removing all = %d", n)
	}
	if n := left("bob"); n != 1 {
		t.Errorf("bob's codes left = %d, want 1 (alice's changes are hers)", n)
	}
}

// testUseRecoveryCodeRace uses one recovery code from eight goroutines on
// two instances at once: exactly one may succeed.
func testUseRecoveryCodeRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	createUser(t, a, &store.User{Username: "alice", PasswordHash: "h", CreatedAt: t0})
	update(t, a, func(tx store.Tx) error {
		return tx.SetRecoveryCodes(t.Context(), "alice", [][]byte{seq(32, 1), seq(32, 2)})
	})
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
				ok, _, err := tx.UseRecoveryCode(t.Context(), "alice", seq(32, 1))
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
		t.Errorf("%d goroutines used the same recovery code, want exactly 1", wins)
	}
}

// testConfirmTOTPRace enrols one user from eight goroutines on two
// instances at once: exactly one may succeed.
func testConfirmTOTPRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	createUser(t, a, &store.User{Username: "alice", PasswordHash: "h", CreatedAt: t0})
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
				ok, err := tx.ConfirmTOTP(t.Context(), "alice", seq(20, byte(i)), int64(100+i))
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
		t.Errorf("%d goroutines confirmed a second factor, want exactly 1", wins)
	}
}

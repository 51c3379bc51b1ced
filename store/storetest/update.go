package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// testUpdateRollback makes one of every kind of write in a transaction whose
// fn then fails: each write is visible inside, none outside, none after.
func testUpdateRollback(t *testing.T, s suite) {
	st := s.open(t)
	alice := &store.User{Username: "alice", PasswordHash: "h", TOTPLastStep: 5, CreatedAt: t0}
	createUser(t, st, alice)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	a1 := sampleCredential("A1", p.ID)
	insertCredentials(t, st, t0, a1)

	sentinel := errors.New("storetest: deliberate failure")
	ctx := t.Context()
	err := st.Update(ctx, func(tx store.Tx) error {
		changed := sampleCredential("A1", p.ID)
		changed.HolderName = "改名"
		steps := []struct {
			what string
			err  error
		}{
			{"CreateUser", tx.CreateUser(ctx, &store.User{Username: "bob", PasswordHash: "h", CreatedAt: t0})},
			{"DenyToken", tx.DenyToken(ctx, "jti-1", t0.Add(time.Hour))},
			{"PutSecretIfAbsent", tx.PutSecretIfAbsent(ctx, "s1", seq(8, 1))},
			{"CreatePersons", tx.CreatePersons(ctx, []*store.Person{{Name: "李娜", IDHash: idHash("q"), CreatedAt: t0}})},
			{"InsertCredentials", tx.InsertCredentials(ctx, []*store.Credential{sampleCredential("B1", 0)}, t0)},
			{"UpdateCredentialRecords", tx.UpdateCredentialRecords(ctx, []*store.Credential{changed}, t0.Add(time.Hour))},
			{"CreateBan", tx.CreateBan(ctx, &store.Ban{PersonID: p.ID, Scope: store.BanScopeEducation,
				StartsOn: store.NewDate(2024, 1, 1), Reason: "x", CreatedAt: t0})},
		}
		for _, s := range steps {
			if s.err != nil {
				t.Fatalf("%s: %v", s.what, s.err)
			}
		}
		if ok, err := tx.AdvanceTOTPStep(ctx, "alice", 99); !ok || err != nil {
			t.Fatalf("AdvanceTOTPStep = %v, %v; want true", ok, err)
		}
		if ok, err := tx.AddSigningKey(ctx, signingKey("k1", store.KeyPurposeToken, 1, 1, t0)); !ok || err != nil {
			t.Fatalf("AddSigningKey = %v, %v; want true", ok, err)
		}

		// Inside, every write is visible through tx...
		checkAllWrites(t, tx, p.ID, true)
		// ...and outside, on the same store, none is yet.
		checkAllWrites(t, st, p.ID, false)
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update returned %v, want the error fn returned", err)
	}
	checkAllWrites(t, st, p.ID, false)
	got, err := st.CredentialByNumber(ctx, "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber(A1): %v", err)
	}
	checkEqual(t, "A1 after the rollback", stored(a1, t0), got)
}

// checkAllWrites checks that the writes of testUpdateRollback are all
// visible in r, or all invisible.
func checkAllWrites(t *testing.T, r store.Reader, personID int64, visible bool) {
	t.Helper()
	ctx := t.Context()
	where := "outside the transaction"
	if visible {
		where = "inside the transaction"
	}
	seen := func(what string, ok bool) {
		t.Helper()
		if ok != visible {
			t.Errorf("%s: %s visible = %v, want %v", where, what, ok, visible)
		}
	}
	found := func(what string, err error) {
		t.Helper()
		if err != nil && !store.IsCode(err, store.ENotFound) {
			t.Errorf("%s: %s: %v", where, what, err)
		}
		seen(what, err == nil)
	}

	_, err := r.UserByName(ctx, "bob")
	found("the new user", err)
	if u, err := r.UserByName(ctx, "alice"); err != nil {
		t.Errorf("%s: UserByName(alice): %v", where, err)
	} else {
		seen("the advanced TOTP step", u.TOTPLastStep == 99)
	}
	denied, err := r.TokenDenied(ctx, "jti-1")
	if err != nil {
		t.Errorf("%s: TokenDenied: %v", where, err)
	}
	seen("the denied token", denied)
	_, err = r.Secret(ctx, "s1")
	found("the secret", err)
	ps, err := r.PersonsByIDHashes(ctx, [][]byte{idHash("q")})
	if err != nil {
		t.Errorf("%s: PersonsByIDHashes: %v", where, err)
	}
	seen("the new person", len(ps) == 1)
	_, err = r.CredentialByNumber(ctx, "B1")
	found("the new credential", err)
	if c, err := r.CredentialByNumber(ctx, "A1"); err != nil {
		t.Errorf("%s: CredentialByNumber(A1): %v", where, err)
	} else {
		seen("the updated record", c.HolderName == "改名")
	}
	bans, err := r.BansForPerson(ctx, personID)
	if err != nil {
		t.Errorf("%s: BansForPerson: %v", where, err)
	}
	seen("the ban", len(bans) == 1)
	keys, err := r.SigningKeys(ctx, store.KeyPurposeToken)
	if err != nil {
		t.Errorf("%s: SigningKeys: %v", where, err)
	}
	seen("the signing key", len(keys) == 1)
}

// testUpdateReturnsStoreError checks that an *store.Error from fn comes
// back as the very same value, code and all, and commits nothing.
func testUpdateReturnsStoreError(t *testing.T, s suite) {
	st := s.open(t)
	want := store.FieldError(store.EFourEyes, "approver", "the proposer cannot approve")
	err := st.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateUser(t.Context(), &store.User{Username: "bob", PasswordHash: "h", CreatedAt: t0}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		return want
	})
	var got *store.Error
	if !errors.As(err, &got) || got != want {
		t.Errorf("Update returned %v, want the *store.Error fn returned", err)
	}
	_, err = st.UserByName(t.Context(), "bob")
	wantCode(t, "UserByName after the failed Update", err, store.ENotFound)
}

// testVisibleAcrossHandles: what one instance commits, another reads at once.
func testVisibleAcrossHandles(t *testing.T, s suite) {
	a, b := s.pair(t)
	ctx := t.Context()
	if _, err := b.UserByName(ctx, "alice"); !store.IsCode(err, store.ENotFound) {
		t.Fatalf("b: UserByName before any write: %v, want %s", err, store.ENotFound)
	}
	alice := &store.User{Username: "alice", PasswordHash: "h", Roles: []string{store.RoleAdmin}, CreatedAt: t0}
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	c := sampleCredential("A1", 0)
	ban := &store.Ban{Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1), Reason: "x", CreatedAt: t0}
	key := signingKey("k1", store.KeyPurposeReceipt, 1, 7, t0)
	update(t, a, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, alice); err != nil {
			return err
		}
		if err := tx.CreatePersons(ctx, []*store.Person{p}); err != nil {
			return err
		}
		c.PersonID, ban.PersonID = p.ID, p.ID
		if err := tx.InsertCredentials(ctx, []*store.Credential{c}, t0); err != nil {
			return err
		}
		if err := tx.CreateBan(ctx, ban); err != nil {
			return err
		}
		if err := tx.DenyToken(ctx, "jti-1", t0.Add(time.Hour)); err != nil {
			return err
		}
		if err := tx.PutSecretIfAbsent(ctx, "s1", seq(8, 1)); err != nil {
			return err
		}
		_, err := tx.AddSigningKey(ctx, key)
		return err
	})

	eachReader(t, b, func(t *testing.T, r store.Reader) {
		u, err := r.UserByName(ctx, "alice")
		if err != nil {
			t.Fatalf("b: UserByName: %v", err)
		}
		checkEqual(t, "b: user", norm(*alice), u)
		got, err := r.CredentialByNumber(ctx, "A1")
		if err != nil {
			t.Fatalf("b: CredentialByNumber: %v", err)
		}
		checkEqual(t, "b: credential", stored(c, t0), got)
		ps, err := r.PersonsByIDHashes(ctx, [][]byte{p.IDHash})
		if err != nil {
			t.Fatalf("b: PersonsByIDHashes: %v", err)
		}
		checkEqual(t, "b: person", norm(*p), ps[string(p.IDHash)])
		bans, err := r.BansForPerson(ctx, p.ID)
		if err != nil || len(bans) != 1 {
			t.Fatalf("b: BansForPerson = %+v, %v; want one ban", bans, err)
		}
		checkEqual(t, "b: ban", norm(*ban), &bans[0])
		if denied, err := r.TokenDenied(ctx, "jti-1"); err != nil || !denied {
			t.Errorf("b: TokenDenied = %v, %v; want true", denied, err)
		}
		if v, err := r.Secret(ctx, "s1"); err != nil || len(v) != 8 {
			t.Errorf("b: Secret = %x, %v; want the secret", v, err)
		}
		checkKeys(t, r, store.KeyPurposeReceipt, key)
	})

	// And back: b's write is at once visible on a.
	update(t, b, func(tx store.Tx) error {
		_, err := tx.AdvanceTOTPStep(ctx, "alice", 42)
		return err
	})
	u, err := a.UserByName(ctx, "alice")
	if err != nil {
		t.Fatalf("a: UserByName: %v", err)
	}
	if u.TOTPLastStep != 42 {
		t.Errorf("a: TOTPLastStep = %d after b advanced it to 42", u.TOTPLastStep)
	}
}

// testConcurrentWriters runs many small transactions from two handles at
// once, as two instances importing do: none may fail for the other's lock.
func testConcurrentWriters(t *testing.T, s suite) {
	a, b := s.pair(t)
	const goroutines, txs, rows = 8, 10, 10
	var (
		errs  [goroutines]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for g := range goroutines {
		st := a
		if g%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			for i := range txs {
				cs := make([]*store.Credential, rows)
				for r := range cs {
					cs[r] = sampleCredential(fmt.Sprintf("G%dT%02dR%02d", g, i, r), 0)
				}
				err := st.Update(t.Context(), func(tx store.Tx) error {
					return tx.InsertCredentials(t.Context(), cs, t0)
				})
				if err != nil {
					errs[g] = fmt.Errorf("transaction %d: %w", i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", g, err)
		}
	}
	var numbers []string
	for g := range goroutines {
		for i := range txs {
			for r := range rows {
				numbers = append(numbers, fmt.Sprintf("G%dT%02dR%02d", g, i, r))
			}
		}
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		got, err := st.CredentialsByNumbers(t.Context(), numbers)
		if err != nil {
			t.Fatalf("handle %s: CredentialsByNumbers: %v", name, err)
		}
		if len(got) != len(numbers) {
			t.Errorf("handle %s: found %d credentials, want %d", name, len(got), len(numbers))
		}
	}
}

func testPing(t *testing.T, s suite) {
	a, b := s.pair(t)
	if err := a.Ping(t.Context()); err != nil {
		t.Errorf("a: Ping: %v", err)
	}
	if err := b.Ping(t.Context()); err != nil {
		t.Errorf("b: Ping: %v", err)
	}
}

// testUpdateRollbackDecision makes every write that applying an action
// does, in a transaction whose fn then fails: each is visible inside, none
// outside, none after, and the outbox stays empty.
func testUpdateRollbackDecision(t *testing.T, s suite) {
	st := s.open(t)
	ctx := t.Context()
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	a1 := sampleCredential("A1", 0)
	insertCredentials(t, st, t0, a1)
	ban := &store.Ban{PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1),
		Reason: "x", CreatedAt: t0}
	update(t, st, func(tx store.Tx) error { return tx.CreateBan(ctx, ban) })
	act := pendingAction(store.ActionRevokeCredential, "credential:A1", t0)
	createActions(t, st, act)

	check := func(t *testing.T, r store.Reader, visible bool) {
		t.Helper()
		seen := func(what string, ok bool) {
			t.Helper()
			if ok != visible {
				t.Errorf("%s visible = %v, want %v", what, ok, visible)
			}
		}
		if b, err := r.BanByID(ctx, ban.ID); err != nil {
			t.Errorf("BanByID: %v", err)
		} else {
			seen("the lifted ban", !b.LiftedAt.IsZero())
		}
		if c, err := r.CredentialByNumber(ctx, "A1"); err != nil {
			t.Errorf("CredentialByNumber: %v", err)
		} else {
			seen("the new status", c.Status == store.StatusRevoked)
			seen("the person link", c.PersonID == p.ID)
		}
		h, err := r.CredentialHistory(ctx, "A1")
		if err != nil {
			t.Errorf("CredentialHistory: %v", err)
		}
		seen("the history entry", len(h) == 1)
		if a, err := r.ActionByID(ctx, act.ID); err != nil {
			t.Errorf("ActionByID: %v", err)
		} else {
			seen("the decision", a.Status == store.ActionApplied)
		}
		_, n, err := r.Actions(ctx, store.ActionFilter{Limit: 10})
		if err != nil {
			t.Errorf("Actions: %v", err)
		}
		seen("the new action", n == 2)
		_, err = r.LastAuditEvent(ctx)
		if err != nil && !store.IsCode(err, store.ENotFound) {
			t.Errorf("LastAuditEvent: %v", err)
		}
		seen("the audit event", err == nil)
	}

	sentinel := errors.New("storetest: deliberate failure")
	err := st.Update(ctx, func(tx store.Tx) error {
		steps := []struct {
			what string
			err  error
		}{
			{"LiftBan", tx.LiftBan(ctx, ban.ID, t0.Add(time.Hour))},
			{"SetCredentialStatus", tx.SetCredentialStatus(ctx, "A1", a1.StoredStatus(),
				store.CredentialStatus{Status: store.StatusRevoked}, "撤销", t0)},
			{"LinkCredentialPerson", tx.LinkCredentialPerson(ctx, "A1", 0, p.ID, t0)},
			{"AddCredentialChange", tx.AddCredentialChange(ctx, &store.CredentialChange{CertificateNo: "A1", At: t0,
				FromStatus: store.StatusActive, ToStatus: store.StatusRevoked, Reason: "撤销", ActionID: act.ID,
				ProposedBy: "registrar", ApprovedBy: "reviewer"})},
			{"DecideAction", tx.DecideAction(ctx, act.ID, store.ActionApplied, "reviewer", t0, "")},
			{"CreateAction", tx.CreateAction(ctx, pendingAction(store.ActionLiftBan, "ban:1", t0))},
			{"AppendAudit", tx.AppendAudit(ctx, &store.AuditEvent{At: t0, Actor: "reviewer", Action: "action.apply",
				Object: "action:1"})},
			{"EnqueueOutbox", tx.EnqueueOutbox(ctx, message("credential:A1", t0))},
		}
		for _, s := range steps {
			if s.err != nil {
				t.Fatalf("%s: %v", s.what, s.err)
			}
		}
		t.Run("inside", func(t *testing.T) { check(t, tx, true) })
		t.Run("outside", func(t *testing.T) { check(t, st, false) })
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update returned %v, want the error fn returned", err)
	}
	check(t, st, false)
	if got := claim(t, st, "w1", t0.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("claimed %+v from a rolled-back transaction", got)
	}
	if stats, err := st.OutboxStats(ctx); err != nil || stats.Pending != 0 {
		t.Errorf("OutboxStats = %+v, %v; want an empty outbox", stats, err)
	}
}

package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

func testCredentialHistory(t *testing.T, s suite) {
	st := s.open(t)
	insertCredentials(t, st, t0, sampleCredential("A1", 0), sampleCredential("B1", 0))
	// Added in this order; At runs in another, so that a store sorting by
	// it rather than by the order of adding fails.
	a1 := &store.CredentialChange{CertificateNo: "A1", At: t0.Add(2*time.Hour + 5*time.Nanosecond),
		FromStatus: store.StatusActive, ToStatus: store.StatusSuspended, Until: store.NewDate(2025, time.December, 31),
		Reason: "立案调查期间暂停", CaseID: "case-2024-0001", ActionID: 12, ProposedBy: "registrar", ApprovedBy: "reviewer"}
	b1 := &store.CredentialChange{CertificateNo: "B1", At: t0, FromStatus: store.StatusActive,
		ToStatus: store.StatusRevoked, Reason: "依法撤销", ActionID: 13, ProposedBy: "r", ApprovedBy: "v"}
	a2 := &store.CredentialChange{CertificateNo: "A1", At: t0, // no end, no case, no action
		FromStatus: store.StatusSuspended, ToStatus: store.StatusRevoked, Reason: "撤销", ProposedBy: "张", ApprovedBy: "李"}
	a3 := &store.CredentialChange{CertificateNo: "A1", At: t0.Add(time.Hour), FromStatus: store.StatusRevoked,
		ToStatus: store.StatusActive, Reason: "复议撤销原决定", CaseID: "case-2024-0002", ActionID: 20,
		ProposedBy: "registrar", ApprovedBy: "reviewer"}
	add := func(cs ...*store.CredentialChange) {
		update(t, st, func(tx store.Tx) error {
			for _, c := range cs {
				if err := tx.AddCredentialChange(t.Context(), c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	add(a1, b1, a2)
	add(a3)
	ids := map[int64]bool{}
	for _, c := range []*store.CredentialChange{a1, b1, a2, a3} {
		if c.ID == 0 || ids[c.ID] {
			t.Errorf("AddCredentialChange set ID %d, want a new non-zero one", c.ID)
		}
		ids[c.ID] = true
	}

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for no, want := range map[string][]*store.CredentialChange{"A1": {a1, a2, a3}, "B1": {b1}} {
			got, err := r.CredentialHistory(t.Context(), no)
			if err != nil {
				t.Fatalf("CredentialHistory(%s): %v", no, err)
			}
			if len(got) != len(want) {
				t.Fatalf("CredentialHistory(%s) returned %d changes, want %d: %+v", no, len(got), len(want), got)
			}
			for i, c := range want {
				checkEqual(t, fmt.Sprintf("CredentialHistory(%s)[%d]", no, i), norm(*c), &got[i])
			}
		}
		for _, no := range []string{"Z9", "a1", ""} {
			got, err := r.CredentialHistory(t.Context(), no)
			if err != nil || len(got) != 0 {
				t.Errorf("CredentialHistory(%q) = %+v, %v; want an empty slice", no, got, err)
			}
		}
	})

	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.AddCredentialChange(t.Context(), &store.CredentialChange{CertificateNo: "Z9", At: t0,
			FromStatus: store.StatusActive, ToStatus: store.StatusRevoked, Reason: "x", ProposedBy: "a", ApprovedBy: "b"})
	})
	wantCode(t, "AddCredentialChange for an unknown number", err, store.ENotFound)
}

// testSetCredentialStatus: the status fields and UpdatedAt change, the
// register fields and CreatedAt do not; each change names the state it
// was decided from.
func testSetCredentialStatus(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	orig, other := sampleCredential("A1", p.ID), sampleCredential("B1", p.ID)
	insertCredentials(t, st, t0, orig, other)

	want := stored(orig, t0)
	for i, c := range []struct {
		status string
		until  store.Date
		reason string
	}{
		{store.StatusActive, store.Date{}, ""},
		{store.StatusSuspended, store.NewDate(2026, time.January, 31), "暂停"},
		{store.StatusRevoked, store.Date{}, "依法撤销教师资格"},
	} {
		at := t0.Add(time.Duration(i+1)*time.Hour + 999*time.Nanosecond)
		from := want.StoredStatus()
		update(t, st, func(tx store.Tx) error {
			return tx.SetCredentialStatus(t.Context(), "A1", from, store.CredentialStatus{Status: c.status, SuspendedUntil: c.until}, c.reason, at)
		})
		want.Status, want.SuspendedUntil, want.StatusReason, want.UpdatedAt = c.status, c.until, c.reason, micro(at)
		eachReader(t, st, func(t *testing.T, r store.Reader) {
			got, err := r.CredentialByNumber(t.Context(), "A1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, "A1 set "+c.status, want, got)
			if !got.SameRecord(orig) {
				t.Errorf("SetCredentialStatus changed the register fields: %+v", got)
			}
			got, err = r.CredentialByNumber(t.Context(), "B1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, "B1, not set", stored(other, t0), got)
		})
	}

	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.SetCredentialStatus(t.Context(), "Z9", store.CredentialStatus{Status: store.StatusActive},
			store.CredentialStatus{Status: store.StatusRevoked}, "x", t0)
	})
	wantCode(t, "SetCredentialStatus of an unknown number", err, store.ENotFound)
	_, err = st.CredentialByNumber(t.Context(), "Z9")
	wantCode(t, "Z9 after SetCredentialStatus", err, store.ENotFound)
}

// testSetCredentialStatusConflict: a change decided from a state that no
// longer holds (another status, or the same status with another
// suspension end) is EConflict and changes nothing.
func testSetCredentialStatusConflict(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleCredential("A1", 0) // suspended until 2025-12-31
	insertCredentials(t, st, t0, c)
	want := stored(c, t0)
	for name, from := range map[string]store.CredentialStatus{
		"another status":             {Status: store.StatusActive},
		"another status, same until": {Status: store.StatusRevoked, SuspendedUntil: c.SuspendedUntil},
		"another suspension end":     {Status: store.StatusSuspended, SuspendedUntil: store.NewDate(2026, time.January, 1)},
		"no suspension end":          {Status: store.StatusSuspended},
	} {
		err := failUpdate(t, st, func(tx store.Tx) error {
			return tx.SetCredentialStatus(t.Context(), "A1", from, store.CredentialStatus{Status: store.StatusRevoked}, "撤销", t0.Add(time.Hour))
		})
		wantCode(t, "SetCredentialStatus from "+name, err, store.EConflict)
		got, err := st.CredentialByNumber(t.Context(), "A1")
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "A1 after a change from "+name, want, got)
	}
}

func testLinkCredentialPerson(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	q := &store.Person{Name: "李娜", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, q)
	orig, other := sampleCredential("A1", 0), sampleCredential("B1", 0)
	insertCredentials(t, st, t0, orig, other)

	want := stored(orig, t0)
	for i, step := range []struct{ from, to int64 }{{0, p.ID}, {p.ID, q.ID}, {q.ID, 0}} { // link, relink, unlink
		at := t0.Add(time.Duration(i+1)*time.Hour + 5*time.Nanosecond)
		update(t, st, func(tx store.Tx) error { return tx.LinkCredentialPerson(t.Context(), "A1", step.from, step.to, at) })
		want.PersonID, want.UpdatedAt = step.to, micro(at)
		eachReader(t, st, func(t *testing.T, r store.Reader) {
			got, err := r.CredentialByNumber(t.Context(), "A1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, fmt.Sprintf("A1 linked to %d", step.to), want, got)
			got, err = r.CredentialByNumber(t.Context(), "B1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, "B1, not linked", stored(other, t0), got)
		})
	}
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.LinkCredentialPerson(t.Context(), "Z9", 0, p.ID, t0) })
	wantCode(t, "LinkCredentialPerson of an unknown number", err, store.ENotFound)

	// A link decided from another link than the stored one changes nothing.
	update(t, st, func(tx store.Tx) error { return tx.LinkCredentialPerson(t.Context(), "A1", 0, p.ID, t0) })
	want.PersonID, want.UpdatedAt = p.ID, micro(t0)
	for _, from := range []int64{0, q.ID} {
		err := failUpdate(t, st, func(tx store.Tx) error {
			return tx.LinkCredentialPerson(t.Context(), "A1", from, q.ID, t0.Add(time.Hour))
		})
		wantCode(t, fmt.Sprintf("LinkCredentialPerson from %d", from), err, store.EConflict)
		got, err := st.CredentialByNumber(t.Context(), "A1")
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, fmt.Sprintf("A1 after a link from %d", from), want, got)
	}
}

// testCredentialForUpdate: inside a transaction it reads what
// CredentialByNumber reads, and ENotFound for an unknown number.
func testCredentialForUpdate(t *testing.T, s suite) {
	st := s.open(t)
	c := sampleCredential("A1", 0)
	insertCredentials(t, st, t0, c)
	update(t, st, func(tx store.Tx) error {
		got, err := tx.CredentialForUpdate(t.Context(), "A1")
		if err != nil {
			return err
		}
		checkEqual(t, "CredentialForUpdate(A1)", stored(c, t0), got)
		return nil
	})
	err := failUpdate(t, st, func(tx store.Tx) error {
		_, err := tx.CredentialForUpdate(t.Context(), "Z9")
		return err
	})
	wantCode(t, "CredentialForUpdate of an unknown number", err, store.ENotFound)
}

// The races below run transactions on two handles at once, as two
// instances would. Each toggles a credential between active and suspended
// and records the change in its history, and the history must then be one
// unbroken chain: each change from the status the one before left. A write
// that overwrote a change committed after its read would show as two
// changes from the same status.

const raceTxs = 12

// toggle is one transaction of the races: read the credential (under its
// lock when lock is set), move it to the other status from the one read,
// and record that in its history.
func toggle(t *testing.T, st store.Store, lock bool, by string) error {
	return st.Update(t.Context(), func(tx store.Tx) error {
		read := tx.CredentialByNumber
		if lock {
			read = tx.CredentialForUpdate
		}
		c, err := read(t.Context(), "A1")
		if err != nil {
			return err
		}
		to := store.CredentialStatus{Status: store.StatusSuspended}
		if c.Status == store.StatusSuspended {
			to.Status = store.StatusActive
		}
		if err := tx.SetCredentialStatus(t.Context(), "A1", c.StoredStatus(), to, by, t0); err != nil {
			return err
		}
		return tx.AddCredentialChange(t.Context(), &store.CredentialChange{CertificateNo: "A1", At: t0,
			FromStatus: c.Status, ToStatus: to.Status, Reason: by, ProposedBy: by, ApprovedBy: by})
	})
}

// raceToggles runs raceTxs toggles at once and returns how many committed,
// failing the test on any error but EConflict (or on that too, when lock).
func raceToggles(t *testing.T, s suite, lock bool) int {
	a, b := s.pair(t)
	c := sampleCredential("A1", 0)
	c.Status, c.SuspendedUntil = store.StatusActive, store.Date{}
	insertCredentials(t, a, t0, c)
	var (
		errs  [raceTxs]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range raceTxs {
		st := []store.Store{a, b}[i%2]
		wg.Go(func() {
			<-start
			errs[i] = toggle(t, st, lock, fmt.Sprintf("tx%d", i))
		})
	}
	close(start)
	wg.Wait()
	committed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			committed++
		case !lock && store.IsCode(err, store.EConflict):
		default:
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	hist, err := b.CredentialHistory(t.Context(), "A1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != committed {
		t.Errorf("%d changes in the history, %d transactions committed", len(hist), committed)
	}
	status := store.StatusActive
	for i, h := range hist {
		if h.FromStatus != status {
			t.Errorf("change %d (by %s) is from %s, but the change before left %s: an update was lost", i, h.Reason, h.FromStatus, status)
		}
		status = h.ToStatus
	}
	got, err := a.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != status {
		t.Errorf("stored status %s, but the history ends at %s", got.Status, status)
	}
	return committed
}

// testSetCredentialStatusRace: with plain reads, a change whose read went
// stale fails with EConflict; none overwrites another, and at least one
// commits.
func testSetCredentialStatusRace(t *testing.T, s suite) {
	if n := raceToggles(t, s, false); n == 0 {
		t.Error("no transaction committed")
	}
}

// testCredentialForUpdateRace: read under the lock, every change decides on
// the state the one before left, so all commit.
func testCredentialForUpdateRace(t *testing.T, s suite) {
	if n := raceToggles(t, s, true); n != raceTxs {
		t.Errorf("%d of %d transactions committed, want all", n, raceTxs)
	}
}

// testLinkCredentialPersonRace: transactions that each give an unlinked
// credential a new person, as the first ban on a holder does. Read under
// the lock, the first links and every later one finds its person; with
// plain reads a late link is EConflict. Either way one person is linked,
// and every transaction that committed used that one.
func testLinkCredentialPersonRace(t *testing.T, s suite) {
	for _, lock := range []bool{true, false} {
		t.Run(fmt.Sprintf("lock=%v", lock), func(t *testing.T) {
			a, b := s.pair(t)
			insertCredentials(t, a, t0, sampleCredential("A1", 0))
			var (
				used  [raceTxs]int64
				errs  [raceTxs]error
				start = make(chan struct{})
				wg    sync.WaitGroup
			)
			for i := range raceTxs {
				st := []store.Store{a, b}[i%2]
				wg.Go(func() {
					<-start
					errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
						read := tx.CredentialByNumber
						if lock {
							read = tx.CredentialForUpdate
						}
						c, err := read(t.Context(), "A1")
						if err != nil {
							return err
						}
						if c.PersonID != 0 {
							used[i] = c.PersonID
							return nil
						}
						p := &store.Person{Name: c.HolderName, CreatedAt: t0}
						if err := tx.CreatePersons(t.Context(), []*store.Person{p}); err != nil {
							return err
						}
						if err := tx.LinkCredentialPerson(t.Context(), "A1", 0, p.ID, t0); err != nil {
							return err
						}
						used[i] = p.ID
						return nil
					})
				})
			}
			close(start)
			wg.Wait()
			got, err := b.CredentialByNumber(t.Context(), "A1")
			if err != nil {
				t.Fatal(err)
			}
			if got.PersonID == 0 {
				t.Fatal("no person was linked")
			}
			for i, err := range errs {
				switch {
				case err == nil && used[i] != got.PersonID:
					t.Errorf("transaction %d committed using person %d, but the credential is linked to %d", i, used[i], got.PersonID)
				case err != nil && (lock || !store.IsCode(err, store.EConflict)):
					t.Errorf("transaction %d: %v", i, err)
				}
			}
		})
	}
}

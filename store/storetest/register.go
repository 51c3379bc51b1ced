package storetest

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// testCredentialHistoryEntries: entries of every kind keep who, when, from
// where and what changed; many added at once keep their order (across the
// chunk sizes a backend may cut them into) and get increasing ids; one
// unknown number adds none of them.
func testCredentialHistoryEntries(t *testing.T, s suite) {
	st := s.open(t)
	insertCredentials(t, st, t0, sampleCredential("A1", 0), sampleCredential("B1", 0))
	var entries []*store.CredentialChange
	for i := range 150 {
		no := "A1"
		if i%3 == 0 {
			no = "B1"
		}
		entries = append(entries, &store.CredentialChange{CertificateNo: no, At: t0.Add(time.Duration(150-i) * time.Second),
			Kind: store.ChangeReregistered, Actor: "registrar", Source: store.SourceImport,
			SourceFile: "注册名单 2024.csv", SourceRow: i + 2,
			Fields: []store.FieldChange{{Field: "registered_until", From: "2024-06-30", To: fmt.Sprintf("2029-06-%02d", 1+i%30)}}})
	}
	entries[0].Kind, entries[0].Source, entries[0].SourceFile, entries[0].SourceRow = store.ChangeCreated, store.SourceAPI, "", 0
	entries[0].Fields = nil
	entries[1].Kind, entries[1].Source, entries[1].ActionID, entries[1].ProposedBy, entries[1].ApprovedBy = store.ChangeCorrected, store.SourceAction, 7, "r", "v"
	entries[1].Fields = []store.FieldChange{{Field: "holder_name", From: "张伟", To: "张伟华"}, {Field: store.FieldIDNumber}}
	entries[1].SourceFile, entries[1].SourceRow, entries[1].Reason = "", 0, "户籍姓名更正"

	err := failUpdate(t, st, func(tx store.Tx) error {
		bad := append(entries[:10:10], &store.CredentialChange{CertificateNo: "Z9", At: t0, Kind: store.ChangeCreated})
		return tx.AddCredentialChanges(t.Context(), bad)
	})
	wantCode(t, "AddCredentialChanges with an unknown number", err, store.ENotFound)
	if h, err := st.CredentialHistory(t.Context(), "A1"); err != nil || len(h) != 0 {
		t.Fatalf("history after a refused AddCredentialChanges = %d entries, %v; want none", len(h), err)
	}
	update(t, st, func(tx store.Tx) error { return tx.AddCredentialChanges(t.Context(), entries) })

	want := map[string][]*store.CredentialChange{}
	var last int64
	for _, e := range entries {
		if e.ID <= last {
			t.Fatalf("AddCredentialChanges set IDs out of order: %d after %d", e.ID, last)
		}
		last = e.ID
		want[e.CertificateNo] = append(want[e.CertificateNo], e)
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for no, w := range want {
			got, err := r.CredentialHistory(t.Context(), no)
			if err != nil || len(got) != len(w) {
				t.Fatalf("CredentialHistory(%s) = %d entries, %v; want %d", no, len(got), err, len(w))
			}
			for i, c := range w {
				checkEqual(t, fmt.Sprintf("CredentialHistory(%s)[%d]", no, i), norm(*c), &got[i])
			}
		}
	})
}

// testCorrectCredential: the identifying fields change, and nothing else,
// only while the credential still holds the values the correction was
// decided from.
func testCorrectCredential(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	q := &store.Person{Name: "张伟华", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, q)
	orig := sampleCredential("A1", p.ID)
	insertCredentials(t, st, t0, orig, sampleCredential("B1", p.ID))

	to := *orig
	to.HolderName, to.HolderNameFolded, to.PersonID = "张卫华", "张卫华", q.ID
	to.Kind, to.IssuedOn = "primary", store.NewDate(2016, time.March, 1)
	to.Subject, to.Status = "never written", store.StatusRevoked // not identifying: must be left alone
	at := t0.Add(time.Hour + 7*time.Nanosecond)
	update(t, st, func(tx store.Tx) error { return tx.CorrectCredential(t.Context(), orig, &to, at) })

	want := stored(orig, t0)
	want.HolderName, want.HolderNameFolded, want.PersonID = to.HolderName, to.HolderNameFolded, q.ID
	want.Kind, want.IssuedOn, want.UpdatedAt = to.Kind, to.IssuedOn, micro(at)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CredentialByNumber(t.Context(), "A1")
		if err != nil {
			t.Fatalf("CredentialByNumber: %v", err)
		}
		checkEqual(t, "A1 corrected", want, got)
		got, err = r.CredentialByNumber(t.Context(), "B1")
		if err != nil {
			t.Fatalf("CredentialByNumber: %v", err)
		}
		checkEqual(t, "B1, not corrected", stored(sampleCredential("B1", p.ID), t0), got)
	})

	// orig no longer holds: a correction decided from it must not apply.
	again := to
	again.HolderName, again.HolderNameFolded = "李四", "李四"
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.CorrectCredential(t.Context(), orig, &again, at) })
	wantCode(t, "CorrectCredential from a stale state", err, store.EConflict)
	got, err := st.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber: %v", err)
	}
	checkEqual(t, "A1 after a stale correction", want, got)

	// Unlinking and a zero issue date are states a correction can start from.
	unlinked := *got
	unlinked.PersonID = 0
	update(t, st, func(tx store.Tx) error { return tx.CorrectCredential(t.Context(), got, &unlinked, at) })
	back := unlinked
	back.PersonID = p.ID
	update(t, st, func(tx store.Tx) error { return tx.CorrectCredential(t.Context(), &unlinked, &back, at) })
	if got, _ := st.CredentialByNumber(t.Context(), "A1"); got == nil || got.PersonID != p.ID {
		t.Errorf("A1 after unlinking and relinking = %+v, want person %d", got, p.ID)
	}

	missing := sampleCredential("Z9", 0)
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.CorrectCredential(t.Context(), missing, missing, at) })
	wantCode(t, "CorrectCredential of an unknown number", err, store.ENotFound)
}

// testCorrectCredentialRace: corrections decided from one state on two
// handles at once: exactly one applies, the others get EConflict.
func testCorrectCredentialRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	orig := sampleCredential("A1", 0)
	insertCredentials(t, a, t0, orig)
	from, err := a.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber: %v", err)
	}
	const n = 8
	var (
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
			to := *from
			to.HolderName = fmt.Sprintf("张%d", i)
			to.HolderNameFolded = to.HolderName
			<-start
			errs[i] = st.Update(t.Context(), func(tx store.Tx) error {
				return tx.CorrectCredential(t.Context(), from, &to, t0.Add(time.Hour))
			})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("corrections %d and %d both applied from the same state", winner, i)
		case err == nil:
			winner = i
		case store.ErrorCode(err) != store.EConflict:
			t.Errorf("correction %d: %v, want EConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no correction applied")
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		got, err := st.CredentialByNumber(t.Context(), "A1")
		if err != nil || got.HolderName != fmt.Sprintf("张%d", winner) {
			t.Errorf("%s: holder %q, %v; want the winner's 张%d", name, got.HolderName, err, winner)
		}
	}
}

// testRenamePerson: the person and every credential linked to them take
// the new name, conditionally on the name the rename was decided from.
func testRenamePerson(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "張偉華", IDHash: idHash("p"), CreatedAt: t0}
	other := &store.Person{Name: "张伟华", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, other)
	a1, b1 := sampleCredential("A1", p.ID), sampleCredential("B1", p.ID)
	b1.HolderName = "张伟华" // a spelling that folds alike
	c1 := sampleCredential("C1", other.ID)
	insertCredentials(t, st, t0, a1, b1, c1)

	at := t0.Add(time.Hour)
	var former map[string]string
	update(t, st, func(tx store.Tx) (err error) {
		former, err = tx.RenamePerson(t.Context(), p.ID, "張偉華", "李卫", "李卫", at)
		return err
	})
	if want := map[string]string{"A1": "張偉華", "B1": "张伟华"}; !maps.Equal(former, want) {
		t.Errorf("RenamePerson returned %v, want %v", former, want)
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.PersonByID(t.Context(), p.ID)
		if err != nil || got.Name != "李卫" {
			t.Errorf("person after rename = %+v, %v; want 李卫", got, err)
		}
		for _, no := range []string{"A1", "B1"} {
			c, err := r.CredentialByNumber(t.Context(), no)
			if err != nil || c.HolderName != "李卫" || c.HolderNameFolded != "李卫" || !sameInstant(c.UpdatedAt, at) {
				t.Errorf("%s after rename = %+v, %v; want 李卫 updated at %v", no, c, err, at)
			}
		}
		c, err := r.CredentialByNumber(t.Context(), "C1")
		if err != nil {
			t.Fatalf("CredentialByNumber: %v", err)
		}
		checkEqual(t, "C1 of another person", stored(c1, t0), c)
	})

	err := failUpdate(t, st, func(tx store.Tx) error {
		_, err := tx.RenamePerson(t.Context(), p.ID, "張偉華", "王五", "王五", at)
		return err
	})
	wantCode(t, "RenamePerson from a stale name", err, store.EConflict)
	if got, _ := st.PersonByID(t.Context(), p.ID); got == nil || got.Name != "李卫" {
		t.Errorf("person after a stale rename = %+v, want 李卫 kept", got)
	}
	err = failUpdate(t, st, func(tx store.Tx) error {
		_, err := tx.RenamePerson(t.Context(), 1<<40, "x", "y", "y", at)
		return err
	})
	wantCode(t, "RenamePerson of an unknown person", err, store.ENotFound)
}

// testSetPersonIDHash: a person without an ID number gets one, once, and
// never one another person holds.
func testSetPersonIDHash(t *testing.T, s suite) {
	st := s.open(t)
	anon := &store.Person{Name: "张伟华", CreatedAt: t0}
	known := &store.Person{Name: "李四", IDHash: idHash("k"), CreatedAt: t0}
	createPersons(t, st, anon, known)

	err := failUpdate(t, st, func(tx store.Tx) error { return tx.SetPersonIDHash(t.Context(), anon.ID, idHash("k")) })
	wantCode(t, "SetPersonIDHash to a hash another person holds", err, store.EConflict)
	update(t, st, func(tx store.Tx) error { return tx.SetPersonIDHash(t.Context(), anon.ID, idHash("a")) })
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		found, err := r.PersonsByIDHashes(t.Context(), [][]byte{idHash("a")})
		if err != nil || found[string(idHash("a"))] == nil || found[string(idHash("a"))].ID != anon.ID {
			t.Errorf("PersonsByIDHashes after SetPersonIDHash = %v, %v; want person %d", found, err, anon.ID)
		}
	})
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.SetPersonIDHash(t.Context(), anon.ID, idHash("b")) })
	wantCode(t, "SetPersonIDHash of a person who has one", err, store.EConflict)
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.SetPersonIDHash(t.Context(), 1<<40, idHash("c")) })
	wantCode(t, "SetPersonIDHash of an unknown person", err, store.ENotFound)
}

// testLockCredentials: LockCredentials reads as CredentialsByNumbers does,
// and a write decided from what it read cannot undo a change another
// handle made meanwhile. The other handle corrects the holder's name while
// the first transaction holds what it read; the first then rewrites the
// register fields from that read. Whatever the interleaving, the
// correction must survive: it either waits for the lock, or lands before
// the read. The bounded wait only gives a correction that does not wait
// (no lock) the chance to land inside the window; it decides nothing.
func testLockCredentials(t *testing.T, s suite) {
	a, b := s.pair(t)
	orig := sampleCredential("A1", 0)
	insertCredentials(t, a, t0, orig, sampleCredential("B1", 0))
	got := map[string]*store.Credential{}
	update(t, a, func(tx store.Tx) (err error) {
		got, err = tx.LockCredentials(t.Context(), []string{"A1", "Z9", "B1"})
		return err
	})
	if len(got) != 2 || got["A1"] == nil || got["B1"] == nil {
		t.Fatalf("LockCredentials = %v, want A1 and B1", got)
	}
	checkEqual(t, "LockCredentials A1", stored(orig, t0), got["A1"])

	corrected := make(chan error, 1)
	err := a.Update(t.Context(), func(tx store.Tx) error {
		read, err := tx.LockCredentials(t.Context(), []string{"A1"})
		if err != nil {
			return err
		}
		go func() {
			to := *got["A1"]
			to.HolderName, to.HolderNameFolded = "张卫华", "张卫华"
			corrected <- b.Update(t.Context(), func(tx store.Tx) error {
				return tx.CorrectCredential(t.Context(), got["A1"], &to, t0.Add(time.Hour))
			})
		}()
		select {
		case err := <-corrected: // landed without waiting: allowed only if it was before the read
			corrected <- err
		case <-time.After(200 * time.Millisecond):
		}
		rereg := *read["A1"]
		rereg.RegisteredUntil = store.NewDate(2031, time.June, 30)
		return tx.UpdateCredentialRecords(t.Context(), []*store.Credential{&rereg}, t0.Add(2*time.Hour))
	})
	if err != nil {
		t.Fatalf("re-registration: %v", err)
	}
	if err := <-corrected; err != nil {
		t.Fatalf("correction: %v", err)
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		c, err := st.CredentialByNumber(t.Context(), "A1")
		if err != nil || c.HolderName != "张卫华" || c.RegisteredUntil != store.NewDate(2031, time.June, 30) {
			t.Errorf("%s: A1 = %+v, %v; want both the correction and the re-registration", name, c, err)
		}
	}
}

// testLockPersons: LockPersonsByIDHashes reads as PersonsByIDHashes does,
// and a credential linked under the name it read is not left behind by a
// rename another handle makes meanwhile: at the end every credential of
// the person bears the person's name. The bounded wait only gives a rename
// that does not wait (no lock) the chance to land inside the window.
func testLockPersons(t *testing.T, s suite) {
	a, b := s.pair(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, a, p)
	first := sampleCredential("A1", p.ID)
	first.HolderName = "张伟华"
	insertCredentials(t, a, t0, first)
	var got map[string]*store.Person
	update(t, a, func(tx store.Tx) (err error) {
		got, err = tx.LockPersonsByIDHashes(t.Context(), [][]byte{idHash("p"), idHash("none")})
		return err
	})
	if len(got) != 1 || got[string(idHash("p"))] == nil {
		t.Fatalf("LockPersonsByIDHashes = %v, want the one person", got)
	}
	checkEqual(t, "LockPersonsByIDHashes", norm(*p), got[string(idHash("p"))])

	renamed := make(chan error, 1)
	err := a.Update(t.Context(), func(tx store.Tx) error {
		read, err := tx.LockPersonsByIDHashes(t.Context(), [][]byte{idHash("p")})
		if err != nil {
			return err
		}
		go func() {
			renamed <- b.Update(t.Context(), func(tx store.Tx) error {
				_, err := tx.RenamePerson(t.Context(), p.ID, "张伟华", "张卫华", "张卫华", t0.Add(time.Hour))
				return err
			})
		}()
		select {
		case err := <-renamed:
			renamed <- err
		case <-time.After(200 * time.Millisecond):
		}
		person := read[string(idHash("p"))]
		c := sampleCredential("B1", person.ID)
		c.HolderName, c.HolderNameFolded = person.Name, person.Name
		return tx.InsertCredentials(t.Context(), []*store.Credential{c}, t0.Add(2*time.Hour))
	})
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	if err := <-renamed; err != nil {
		t.Fatalf("rename: %v", err)
	}
	for _, no := range []string{"A1", "B1"} {
		c, err := b.CredentialByNumber(t.Context(), no)
		if err != nil || c.HolderName != "张卫华" {
			t.Errorf("%s = %+v, %v; want the person's new name 张卫华", no, c, err)
		}
	}
}

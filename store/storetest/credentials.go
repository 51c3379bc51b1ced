package storetest

import (
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

func testCredentialRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)

	full := sampleCredential("A2015110000123", p.ID)
	bare := &store.Credential{ // no person, no dates, no reason
		CertificateNo: "B2020000000001", HolderName: "李娜", HolderNameFolded: "李娜",
		Kind: "primary", Subject: "语文", Issuer: "北京市东城区教育委员会", Status: store.StatusActive,
	}
	revoked := sampleCredential("C2010000000009", p.ID)
	revoked.Status, revoked.SuspendedUntil, revoked.StatusReason = store.StatusRevoked, store.Date{}, "依法撤销教师资格"

	now := t0.Add(3*time.Hour + 456*time.Nanosecond)
	insertCredentials(t, st, now, full, bare, revoked)
	for _, c := range []*store.Credential{full, bare, revoked} {
		if !sameInstant(c.CreatedAt, now) || !sameInstant(c.UpdatedAt, now) {
			t.Errorf("InsertCredentials set CreatedAt %v, UpdatedAt %v on %s, want both %v",
				c.CreatedAt, c.UpdatedAt, c.CertificateNo, now)
		}
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []*store.Credential{full, bare, revoked} {
			got, err := r.CredentialByNumber(t.Context(), c.CertificateNo)
			if err != nil {
				t.Errorf("CredentialByNumber(%s): %v", c.CertificateNo, err)
				continue
			}
			checkEqual(t, "credential "+c.CertificateNo, stored(c, now), got)
		}
	})
}

func testCredentialNotFound(t *testing.T, s suite) {
	st := s.open(t)
	insertCredentials(t, st, t0, sampleCredential("A1", 0))
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, no := range []string{"A2", "a1", "A1 ", ""} {
			c, err := r.CredentialByNumber(t.Context(), no)
			wantCode(t, fmt.Sprintf("CredentialByNumber(%q)", no), err, store.ENotFound)
			if c != nil {
				t.Errorf("CredentialByNumber(%q) returned %+v with its error", no, c)
			}
		}
	})
}

func testInsertCredentialsConflict(t *testing.T, s suite) {
	st := s.open(t)
	orig := sampleCredential("A1", 0)
	insertCredentials(t, st, t0, orig)

	clash := sampleCredential("A1", 0)
	clash.HolderName = "另一人"
	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.InsertCredentials(t.Context(), []*store.Credential{sampleCredential("B1", 0), clash}, t0.Add(time.Hour))
	})
	wantCode(t, "InsertCredentials of an existing number", err, store.EConflict)

	err = failUpdate(t, st, func(tx store.Tx) error {
		return tx.InsertCredentials(t.Context(),
			[]*store.Credential{sampleCredential("C1", 0), sampleCredential("D1", 0), sampleCredential("C1", 0)}, t0)
	})
	wantCode(t, "InsertCredentials with one number twice", err, store.EConflict)

	got, err := st.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber(A1): %v", err)
	}
	checkEqual(t, "A1 after the conflicts", stored(orig, t0), got)
	for _, no := range []string{"B1", "C1", "D1"} {
		_, err := st.CredentialByNumber(t.Context(), no)
		wantCode(t, no+" from a rolled-back InsertCredentials", err, store.ENotFound)
	}
}

func testUpdateCredentialRecords(t *testing.T, s suite) {
	st := s.open(t)
	p1 := &store.Person{Name: "张伟华", IDHash: idHash("p1"), CreatedAt: t0}
	p2 := &store.Person{Name: "张伟华", IDHash: idHash("p2"), CreatedAt: t0}
	createPersons(t, st, p1, p2)
	orig := sampleCredential("A1", p1.ID) // suspended, with an end and a reason
	other := sampleCredential("B1", p1.ID)
	now1 := t0
	insertCredentials(t, st, now1, orig, other)

	// Every register field changes, and so does every status field of the
	// value passed in: only the former may reach the store.
	upd := &store.Credential{
		CertificateNo: "A1", HolderName: "张伟华", HolderNameFolded: "张伟华", PersonID: p2.ID,
		Kind: "primary", Subject: "语文", Issuer: "北京市东城区教育委员会",
		IssuedOn: store.NewDate(2016, time.August, 2), RegisteredUntil: store.NewDate(2031, time.August, 1),
		Status: store.StatusActive, SuspendedUntil: store.Date{}, StatusReason: "改了也不算",
		CreatedAt: t0.Add(-1000 * time.Hour), UpdatedAt: t0.Add(-1000 * time.Hour),
	}
	now2 := t0.Add(24*time.Hour + 789*time.Nanosecond)
	update(t, st, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(t.Context(), []*store.Credential{upd}, now2)
	})
	if !sameInstant(upd.UpdatedAt, now2) {
		t.Errorf("UpdateCredentialRecords set UpdatedAt %v, want %v", upd.UpdatedAt, now2)
	}
	want := stored(orig, now1)
	want.HolderName, want.HolderNameFolded, want.PersonID = upd.HolderName, upd.HolderNameFolded, upd.PersonID
	want.Kind, want.Subject, want.Issuer = upd.Kind, upd.Subject, upd.Issuer
	want.IssuedOn, want.RegisteredUntil = upd.IssuedOn, upd.RegisteredUntil
	want.UpdatedAt = micro(now2)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CredentialByNumber(t.Context(), "A1")
		if err != nil {
			t.Fatalf("CredentialByNumber: %v", err)
		}
		checkEqual(t, "A1 after UpdateCredentialRecords", want, got)
		got, err = r.CredentialByNumber(t.Context(), "B1")
		if err != nil {
			t.Fatalf("CredentialByNumber: %v", err)
		}
		checkEqual(t, "B1, not in the update", stored(other, now1), got)
	})

	// Unlinking the person and clearing the dates stores zeros.
	cleared := *upd
	cleared.PersonID, cleared.IssuedOn, cleared.RegisteredUntil = 0, store.Date{}, store.Date{}
	now3 := now2.Add(time.Hour)
	update(t, st, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(t.Context(), []*store.Credential{&cleared}, now3)
	})
	want.PersonID, want.IssuedOn, want.RegisteredUntil = 0, store.Date{}, store.Date{}
	want.UpdatedAt = micro(now3)
	got, err := st.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber: %v", err)
	}
	checkEqual(t, "A1 after clearing", want, got)
}

func testUpdateCredentialRecordsNotFound(t *testing.T, s suite) {
	st := s.open(t)
	orig := sampleCredential("A1", 0)
	insertCredentials(t, st, t0, orig)
	changed := sampleCredential("A1", 0)
	changed.HolderName, changed.Subject = "王五", "物理"

	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(t.Context(), []*store.Credential{changed, sampleCredential("Z9", 0)}, t0.Add(time.Hour))
	})
	wantCode(t, "UpdateCredentialRecords with an unknown number", err, store.ENotFound)
	err = failUpdate(t, st, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(t.Context(), []*store.Credential{sampleCredential("Z9", 0)}, t0.Add(time.Hour))
	})
	wantCode(t, "UpdateCredentialRecords of only an unknown number", err, store.ENotFound)

	got, err := st.CredentialByNumber(t.Context(), "A1")
	if err != nil {
		t.Fatalf("CredentialByNumber: %v", err)
	}
	checkEqual(t, "A1 after the rolled-back update", stored(orig, t0), got)
	_, err = st.CredentialByNumber(t.Context(), "Z9")
	wantCode(t, "Z9 after UpdateCredentialRecords", err, store.ENotFound)
}

func testCredentialsByNumbers(t *testing.T, s suite) {
	st := s.open(t)
	a1, a2, a3 := sampleCredential("A1", 0), sampleCredential("A2", 0), sampleCredential("A3", 0)
	a2.HolderName, a3.HolderName = "李娜", "王五"
	insertCredentials(t, st, t0, a1, a2, a3)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CredentialsByNumbers(t.Context(), []string{"A1", "X1", "A3", "A1", ""})
		if err != nil {
			t.Fatalf("CredentialsByNumbers: %v", err)
		}
		if len(got) != 2 {
			t.Errorf("CredentialsByNumbers returned %d credentials, want 2 (A1, A3): %v", len(got), got)
		}
		checkEqual(t, "A1", stored(a1, t0), got["A1"])
		checkEqual(t, "A3", stored(a3, t0), got["A3"])

		for _, numbers := range [][]string{nil, {}, {"X1", "X2"}} {
			got, err := r.CredentialsByNumbers(t.Context(), numbers)
			if err != nil || len(got) != 0 {
				t.Errorf("CredentialsByNumbers(%q) = %v, %v; want an empty map", numbers, got, err)
			}
		}
	})
}

// testCredentialsByManyNumbers inserts and looks up more rows than a naive
// statement could carry in some databases' parameter limits, the size of a
// school's bulk check.
func testCredentialsByManyNumbers(t *testing.T, s suite) {
	st := s.open(t)
	const n = 1500
	cs := make([]*store.Credential, n)
	var numbers []string
	for i := range cs {
		cs[i] = sampleCredential(fmt.Sprintf("T%07d", i), 0)
		cs[i].HolderName = fmt.Sprintf("教师%04d", i)
		numbers = append(numbers, cs[i].CertificateNo)
		if i%50 == 0 {
			numbers = append(numbers, fmt.Sprintf("U%07d", i))
		}
	}
	insertCredentials(t, st, t0, cs...) // one call
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CredentialsByNumbers(t.Context(), numbers)
		if err != nil {
			t.Fatalf("CredentialsByNumbers(%d numbers): %v", len(numbers), err)
		}
		if len(got) != n {
			t.Errorf("CredentialsByNumbers(%d numbers) found %d, want %d", len(numbers), len(got), n)
		}
		for _, c := range cs {
			g := got[c.CertificateNo]
			if g == nil {
				t.Errorf("%s missing", c.CertificateNo)
				continue
			}
			if g.CertificateNo != c.CertificateNo || g.HolderName != c.HolderName {
				t.Errorf("under %s: got %s %s, want %s", c.CertificateNo, g.CertificateNo, g.HolderName, c.HolderName)
			}
		}
		checkEqual(t, "the last of them", stored(cs[n-1], t0), got[cs[n-1].CertificateNo])
	})
}

// testUpdateManyCredentialRecords rewrites 1,500 records in one call, the
// size of an import batch and more, then fails one such call on an unknown
// number at its far end: nothing of that call may remain.
func testUpdateManyCredentialRecords(t *testing.T, s suite) {
	st := s.open(t)
	const n = 1500
	cs := make([]*store.Credential, n)
	for i := range cs {
		cs[i] = sampleCredential(fmt.Sprintf("T%07d", i), 0)
	}
	insertCredentials(t, st, t0, cs...)

	now := t0.Add(time.Hour)
	upd := make([]*store.Credential, n)
	for i := range upd {
		upd[i] = sampleCredential(cs[i].CertificateNo, 0)
		upd[i].HolderName = fmt.Sprintf("新名%04d", i)
	}
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredentialRecords(t.Context(), upd, now) })

	again := make([]*store.Credential, n+1)
	for i := range upd {
		again[i] = sampleCredential(cs[i].CertificateNo, 0)
		again[i].HolderName = "不应留下"
	}
	again[n] = sampleCredential("U0000000", 0)
	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.UpdateCredentialRecords(t.Context(), again, now.Add(time.Hour))
	})
	wantCode(t, "UpdateCredentialRecords with an unknown number last", err, store.ENotFound)

	got, err := st.CredentialsByNumbers(t.Context(), numbersOf(cs))
	if err != nil {
		t.Fatalf("CredentialsByNumbers: %v", err)
	}
	if len(got) != n {
		t.Fatalf("found %d credentials, want %d", len(got), n)
	}
	for i, c := range cs {
		want := stored(c, t0)
		want.HolderName, want.UpdatedAt = upd[i].HolderName, micro(now)
		if d := diff(want, *got[c.CertificateNo]); len(d) > 0 {
			t.Errorf("%s: %v", c.CertificateNo, d)
			break // one is enough to see what went wrong
		}
	}
}

func numbersOf(cs []*store.Credential) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.CertificateNo
	}
	return out
}

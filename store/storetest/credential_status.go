package storetest

import (
	"fmt"
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
// register fields and CreatedAt do not.
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
		{store.StatusRevoked, store.Date{}, "依法撤销教师资格"},
		{store.StatusSuspended, store.NewDate(2026, time.January, 31), "暂停"},
		{store.StatusActive, store.Date{}, ""},
	} {
		at := t0.Add(time.Duration(i+1)*time.Hour + 999*time.Nanosecond)
		update(t, st, func(tx store.Tx) error {
			return tx.SetCredentialStatus(t.Context(), "A1", c.status, c.until, c.reason, at)
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
		return tx.SetCredentialStatus(t.Context(), "Z9", store.StatusRevoked, store.Date{}, "x", t0)
	})
	wantCode(t, "SetCredentialStatus of an unknown number", err, store.ENotFound)
	_, err = st.CredentialByNumber(t.Context(), "Z9")
	wantCode(t, "Z9 after SetCredentialStatus", err, store.ENotFound)
}

func testLinkCredentialPerson(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	orig, other := sampleCredential("A1", 0), sampleCredential("B1", 0)
	insertCredentials(t, st, t0, orig, other)

	want := stored(orig, t0)
	for i, personID := range []int64{p.ID, 0} { // link, then unlink
		at := t0.Add(time.Duration(i+1)*time.Hour + 5*time.Nanosecond)
		update(t, st, func(tx store.Tx) error { return tx.LinkCredentialPerson(t.Context(), "A1", personID, at) })
		want.PersonID, want.UpdatedAt = personID, micro(at)
		eachReader(t, st, func(t *testing.T, r store.Reader) {
			got, err := r.CredentialByNumber(t.Context(), "A1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, fmt.Sprintf("A1 linked to %d", personID), want, got)
			got, err = r.CredentialByNumber(t.Context(), "B1")
			if err != nil {
				t.Fatalf("CredentialByNumber: %v", err)
			}
			checkEqual(t, "B1, not linked", stored(other, t0), got)
		})
	}
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.LinkCredentialPerson(t.Context(), "Z9", p.ID, t0) })
	wantCode(t, "LinkCredentialPerson of an unknown number", err, store.ENotFound)
}

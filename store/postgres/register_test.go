package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

func credential(no string, personID int64) *store.Credential {
	return &store.Credential{
		CertificateNo: no, HolderName: "張偉華", HolderNameFolded: "张伟华", PersonID: personID,
		Kind: "primary", Subject: "语文", Issuer: "北京市海淀区教育委员会",
		IssuedOn: store.NewDate(2016, 2, 29), RegisteredUntil: store.NewDate(2026, 12, 31),
		Status: store.StatusActive,
	}
}

func TestPersons(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	ps := []*store.Person{
		{Name: "甲", IDHash: []byte("h1"), CreatedAt: t0},
		{Name: "乙", CreatedAt: t0}, // no ID number known
		{Name: "丙", CreatedAt: t0},
		{Name: "丁", IDHash: []byte("h2"), CreatedAt: t0},
	}
	update(t, s, func(tx store.Tx) error { return tx.CreatePersons(ctx, ps) })
	seen := map[int64]bool{}
	for _, p := range ps {
		if p.ID == 0 || seen[p.ID] {
			t.Fatalf("IDs not set or not distinct: %+v", ps)
		}
		seen[p.ID] = true
	}
	got, err := s.PersonsByIDHashes(ctx, [][]byte{[]byte("h2"), []byte("h1"), []byte("none"), nil})
	if err != nil || len(got) != 2 || got["h1"].ID != ps[0].ID || got["h2"].Name != "丁" ||
		got["h2"].ID != ps[3].ID || got["h1"].CreatedAt != t0.UTC().Truncate(time.Microsecond) {
		t.Fatalf("PersonsByIDHashes = %v, %v", got, err)
	}

	// A taken hash, or one given twice, inserts nobody and leaves the
	// transaction usable.
	update(t, s, func(tx store.Tx) error {
		fresh := &store.Person{Name: "戊", IDHash: []byte("h3"), CreatedAt: t0}
		wantCode(t, tx.CreatePersons(ctx, []*store.Person{fresh, {Name: "己", IDHash: []byte("h1"), CreatedAt: t0}}), store.EConflict)
		wantCode(t, tx.CreatePersons(ctx, []*store.Person{
			{Name: "庚", IDHash: []byte("h4"), CreatedAt: t0}, {Name: "辛", IDHash: []byte("h4"), CreatedAt: t0}}), store.EConflict)
		m, err := tx.PersonsByIDHashes(ctx, [][]byte{[]byte("h3"), []byte("h4")})
		if err != nil || len(m) != 0 {
			t.Errorf("after a conflict: %v, %v; want nobody inserted", m, err)
		}
		return tx.CreatePersons(ctx, []*store.Person{fresh})
	})
	if got, _ := s.PersonsByIDHashes(ctx, [][]byte{[]byte("h3")}); len(got) != 1 {
		t.Fatal("insert after a conflict in the same transaction was lost")
	}
}

func TestCredentials(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	_, err := s.CredentialByNumber(ctx, "NONE")
	wantCode(t, err, store.ENotFound)

	p := &store.Person{Name: "张伟华", CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreatePersons(ctx, []*store.Person{p}) })
	a, b := credential("A1", p.ID), credential("B2", 0)
	b.IssuedOn, b.Status, b.SuspendedUntil, b.StatusReason = store.Date{}, store.StatusSuspended, store.NewDate(2027, 1, 1), "调查中"
	update(t, s, func(tx store.Tx) error { return tx.InsertCredentials(ctx, []*store.Credential{a, b}, t0) })
	if want := t0.UTC().Truncate(time.Microsecond); a.CreatedAt != want || a.UpdatedAt != want {
		t.Fatalf("InsertCredentials set CreatedAt %v, UpdatedAt %v; want %v", a.CreatedAt, a.UpdatedAt, want)
	}
	for _, want := range []*store.Credential{a, b} {
		got, err := s.CredentialByNumber(ctx, want.CertificateNo)
		if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
			t.Fatalf("CredentialByNumber:\n got %+v, %v\nwant %+v", got, err, want)
		}
	}
	m, err := s.CredentialsByNumbers(ctx, []string{"B2", "X", "A1"})
	if err != nil || len(m) != 2 || m["A1"].PersonID != p.ID || m["B2"].PersonID != 0 || !m["B2"].IssuedOn.IsZero() {
		t.Fatalf("CredentialsByNumbers = %v, %v", m, err)
	}

	// All or nothing, and the transaction goes on.
	update(t, s, func(tx store.Tx) error {
		wantCode(t, tx.InsertCredentials(ctx, []*store.Credential{credential("C3", 0), credential("A1", 0)}, t0), store.EConflict)
		wantCode(t, tx.InsertCredentials(ctx, []*store.Credential{credential("D4", 0), credential("D4", 0)}, t0), store.EConflict)
		if m, _ := tx.CredentialsByNumbers(ctx, []string{"C3", "D4"}); len(m) != 0 {
			t.Errorf("conflicting insert left %v", m)
		}
		return nil
	})

	later := t0.Add(time.Hour)
	a2 := credential("A1", 0)
	a2.HolderName, a2.Subject, a2.RegisteredUntil, a2.Status = "张伟", "数学", store.NewDate(2031, 12, 31), store.StatusRevoked
	update(t, s, func(tx store.Tx) error {
		err := tx.UpdateCredentialRecords(ctx, []*store.Credential{a2, credential("NONE", 0)}, later)
		wantCode(t, err, store.ENotFound)
		if got, _ := tx.CredentialByNumber(ctx, "A1"); got.HolderName != a.HolderName {
			t.Errorf("a failed update changed A1: %+v", got)
		}
		return tx.UpdateCredentialRecords(ctx, []*store.Credential{a2}, later)
	})
	got, _ := s.CredentialByNumber(ctx, "A1")
	if !got.SameRecord(a2) || got.Status != store.StatusActive || got.CreatedAt != a.CreatedAt ||
		got.UpdatedAt != later.UTC().Truncate(time.Microsecond) || a2.UpdatedAt != got.UpdatedAt {
		t.Fatalf("after UpdateCredentialRecords: %+v", got)
	}
}

func TestBans(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if bans, err := s.BansForPerson(ctx, 0); err != nil || bans == nil || len(bans) != 0 {
		t.Fatalf("BansForPerson(0) = %v, %v; want empty slice", bans, err)
	}
	p := &store.Person{Name: "甲", CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreatePersons(ctx, []*store.Person{p}) })
	first := &store.Ban{PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1),
		Reason: "体罚学生", CaseID: "case-1", CreatedAt: t0, LiftedAt: t0.Add(time.Hour)}
	second := &store.Ban{PersonID: p.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2025, 1, 1),
		EndsOn: store.NewDate(2030, 1, 1), Reason: "r", CreatedAt: t0}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateBan(ctx, first); err != nil {
			return err
		}
		return tx.CreateBan(ctx, second)
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateBan(ctx, &store.Ban{PersonID: p.ID + 100, CreatedAt: t0}) })
	wantCode(t, err, store.ENotFound)

	bans, err := s.BansForPerson(ctx, p.ID)
	if err != nil || len(bans) != 2 {
		t.Fatalf("BansForPerson = %v, %v", bans, err)
	}
	first.CreatedAt, first.LiftedAt = first.CreatedAt.UTC().Truncate(time.Microsecond), first.LiftedAt.UTC().Truncate(time.Microsecond)
	second.CreatedAt = second.CreatedAt.UTC().Truncate(time.Microsecond)
	for i, want := range []*store.Ban{first, second} {
		if bans[i] != *want {
			t.Fatalf("ban %d:\n got %+v\nwant %+v", i, bans[i], *want)
		}
	}
	if !bans[1].EndsOn.After(bans[1].StartsOn) || bans[0].Permanent() != true {
		t.Fatalf("dates: %+v", bans)
	}
}

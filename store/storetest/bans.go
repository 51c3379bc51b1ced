package storetest

import (
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

func testBans(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	q := &store.Person{Name: "李娜", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, q)

	// Created in this order; StartsOn runs in another order, so that a store
	// sorting by it rather than by creation fails.
	pBans := []*store.Ban{{
		PersonID: p.ID, Scope: store.BanScopeEducation,
		StartsOn: store.NewDate(2021, time.March, 1), // permanent
		Reason:   "体罚学生，情节严重", CaseID: "", CreatedAt: t0,
	}, {
		PersonID: p.ID, Scope: store.BanScopeTeaching,
		StartsOn: store.NewDate(2019, time.June, 1), EndsOn: store.NewDate(2024, time.May, 31),
		Reason: "有偿补课", CaseID: "case-2019-0042",
		CreatedAt: t0.Add(time.Hour), LiftedAt: t0.Add(50 * time.Hour),
	}, {
		PersonID: p.ID, Scope: store.BanScopeEducation,
		StartsOn: store.NewDate(2020, time.January, 15), EndsOn: store.NewDate(2030, time.January, 14),
		Reason: "学术不端", CaseID: "case-2020-0007", CreatedAt: t0.Add(2 * time.Hour),
	}}
	qBan := &store.Ban{PersonID: q.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2022, time.September, 1),
		Reason: "索要礼品", CreatedAt: t0.Add(90 * time.Minute)}

	update(t, st, func(tx store.Tx) error {
		for _, b := range pBans[:2] {
			if err := tx.CreateBan(t.Context(), b); err != nil {
				return err
			}
		}
		return tx.CreateBan(t.Context(), qBan)
	})
	update(t, st, func(tx store.Tx) error { return tx.CreateBan(t.Context(), pBans[2]) })
	ids := map[int64]bool{}
	for _, b := range append(pBans, qBan) {
		if b.ID == 0 || ids[b.ID] {
			t.Errorf("CreateBan set ID %d, want a new non-zero one", b.ID)
		}
		ids[b.ID] = true
	}

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.BansForPerson(t.Context(), p.ID)
		if err != nil {
			t.Fatalf("BansForPerson: %v", err)
		}
		if len(got) != len(pBans) {
			t.Fatalf("BansForPerson returned %d bans, want %d: %+v", len(got), len(pBans), got)
		}
		for i, b := range pBans {
			checkEqual(t, fmt.Sprintf("BansForPerson(p)[%d]", i), norm(*b), &got[i])
		}
		got, err = r.BansForPerson(t.Context(), q.ID)
		if err != nil {
			t.Fatalf("BansForPerson(q): %v", err)
		}
		if len(got) != 1 {
			t.Fatalf("BansForPerson(q) returned %d bans, want 1", len(got))
		}
		checkEqual(t, "BansForPerson(q)[0]", norm(*qBan), &got[0])

		for _, id := range []int64{0, p.ID + q.ID + 1000} {
			got, err := r.BansForPerson(t.Context(), id)
			if err != nil || len(got) != 0 {
				t.Errorf("BansForPerson(%d) = %+v, %v; want an empty slice", id, got, err)
			}
		}
	})
}

func testCreateBanUnknownPerson(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张三", CreatedAt: t0}
	createPersons(t, st, p)
	for _, id := range []int64{p.ID + 1000, 0} {
		b := &store.Ban{PersonID: id, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1),
			Reason: "x", CreatedAt: t0}
		err := failUpdate(t, st, func(tx store.Tx) error { return tx.CreateBan(t.Context(), b) })
		wantCode(t, fmt.Sprintf("CreateBan for person %d", id), err, store.ENotFound)
	}
	got, err := st.BansForPerson(t.Context(), p.ID+1000)
	if err != nil || len(got) != 0 {
		t.Errorf("BansForPerson of the unknown person = %+v, %v; want none", got, err)
	}
}

func testBanByID(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	bans := []*store.Ban{{
		PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2021, time.March, 1),
		Reason: "体罚学生，情节严重", CreatedAt: t0, // permanent, no case, not lifted
	}, {
		PersonID: p.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2019, time.June, 1),
		EndsOn: store.NewDate(2024, time.May, 31), Reason: "有偿补课", CaseID: "case-2019-0042",
		CreatedAt: t0.Add(time.Hour), LiftedAt: t0.Add(50*time.Hour + 7*time.Nanosecond),
	}}
	update(t, st, func(tx store.Tx) error {
		for _, b := range bans {
			if err := tx.CreateBan(t.Context(), b); err != nil {
				return err
			}
		}
		return nil
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for i, b := range bans {
			got, err := r.BanByID(t.Context(), b.ID)
			if err != nil {
				t.Fatalf("BanByID(%d): %v", b.ID, err)
			}
			checkEqual(t, fmt.Sprintf("ban %d", i), norm(*b), got)
		}
		for _, id := range []int64{bans[1].ID + 1000, 0} {
			got, err := r.BanByID(t.Context(), id)
			wantCode(t, fmt.Sprintf("BanByID(%d)", id), err, store.ENotFound)
			if got != nil {
				t.Errorf("BanByID(%d) returned %+v with its error", id, got)
			}
		}
	})
}

// testLiftBan: a ban is lifted once; lifting it again is EConflict and
// keeps the first time.
func testLiftBan(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, st, p)
	b1 := &store.Ban{PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2021, time.March, 1),
		Reason: "体罚学生", CreatedAt: t0}
	b2 := &store.Ban{PersonID: p.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2022, time.March, 1),
		Reason: "索要礼品", CreatedAt: t0}
	update(t, st, func(tx store.Tx) error {
		if err := tx.CreateBan(t.Context(), b1); err != nil {
			return err
		}
		return tx.CreateBan(t.Context(), b2)
	})
	at := t0.Add(5*time.Hour + 3*time.Nanosecond)
	update(t, st, func(tx store.Tx) error { return tx.LiftBan(t.Context(), b1.ID, at) })
	want := norm(*b1)
	want.LiftedAt = micro(at)

	err := failUpdate(t, st, func(tx store.Tx) error { return tx.LiftBan(t.Context(), b1.ID, at.Add(time.Hour)) })
	wantCode(t, "LiftBan of a lifted ban", err, store.EConflict)
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.LiftBan(t.Context(), b2.ID+1000, at) })
	wantCode(t, "LiftBan of an unknown ban", err, store.ENotFound)

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.BanByID(t.Context(), b1.ID)
		if err != nil {
			t.Fatalf("BanByID: %v", err)
		}
		checkEqual(t, "the lifted ban", want, got)
		got, err = r.BanByID(t.Context(), b2.ID)
		if err != nil {
			t.Fatalf("BanByID: %v", err)
		}
		checkEqual(t, "the other ban", norm(*b2), got)
		bans, err := r.BansForPerson(t.Context(), p.ID)
		if err != nil || len(bans) != 2 {
			t.Fatalf("BansForPerson = %+v, %v; want two bans", bans, err)
		}
		checkEqual(t, "the lifted ban in BansForPerson", want, &bans[0])
	})
}

package storetest

import (
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

// testCredentialWithBans checks the one-statement read of verification
// against what CredentialByNumber and BansForPerson return separately: the
// same credential, its holder's bans in creation order (lifted ones and
// other persons' bans as BansForPerson has them), an empty slice for a
// holder with none or an unlinked credential, and ENotFound for a miss.
func testCredentialWithBans(t *testing.T, s suite) {
	st := s.open(t)
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	q := &store.Person{Name: "李娜", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, q)

	banned := sampleCredential("A2015110000123", p.ID)
	second := sampleCredential("A2015110000124", p.ID) // the same holder's other credential
	clean := sampleCredential("B2020000000001", q.ID)
	bare := &store.Credential{ // no person, no dates, no reason: every nullable column NULL
		CertificateNo: "C2020000000001", HolderName: "王芳", HolderNameFolded: "王芳",
		Kind: "primary", Subject: "语文", Issuer: "北京市东城区教育委员会", Status: store.StatusActive,
	}
	now := t0.Add(time.Hour)
	insertCredentials(t, st, now, banned, second, clean, bare)

	// Created so that ids and start dates run in different orders.
	pBans := []*store.Ban{{
		PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2021, time.March, 1),
		Reason: "体罚学生，情节严重", CreatedAt: t0,
	}, {
		PersonID: p.ID, Scope: store.BanScopeTeaching,
		StartsOn: store.NewDate(2019, time.June, 1), EndsOn: store.NewDate(2024, time.May, 31),
		Reason: "有偿补课", CaseID: "case-2019-0042", CreatedAt: t0.Add(time.Hour), LiftedAt: t0.Add(50 * time.Hour),
	}, {
		PersonID: p.ID, Scope: store.BanScopeEducation,
		StartsOn: store.NewDate(2020, time.January, 15), EndsOn: store.NewDate(2030, time.January, 14),
		Reason: "学术不端", CaseID: "case-2020-0007", CreatedAt: t0.Add(2 * time.Hour),
	}}
	update(t, st, func(tx store.Tx) error {
		for _, b := range pBans[:2] {
			if err := tx.CreateBan(t.Context(), b); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, st, func(tx store.Tx) error { return tx.CreateBan(t.Context(), pBans[2]) })

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, tc := range []struct {
			c    *store.Credential
			bans []*store.Ban
		}{{banned, pBans}, {second, pBans}, {clean, nil}, {bare, nil}} {
			no := tc.c.CertificateNo
			c, bans, err := r.CredentialWithBans(t.Context(), no)
			if err != nil {
				t.Errorf("CredentialWithBans(%s): %v", no, err)
				continue
			}
			checkEqual(t, "CredentialWithBans("+no+") credential", stored(tc.c, now), c)
			if bans == nil || len(bans) != len(tc.bans) {
				t.Errorf("CredentialWithBans(%s) gave bans %+v, want %d (non-nil)", no, bans, len(tc.bans))
				continue
			}
			for i, b := range tc.bans {
				checkEqual(t, fmt.Sprintf("CredentialWithBans(%s) ban %d", no, i), norm(*b), &bans[i])
			}
			separate, err := r.BansForPerson(t.Context(), tc.c.PersonID)
			if err != nil {
				t.Fatalf("BansForPerson: %v", err)
			}
			if len(separate) != len(bans) {
				t.Errorf("CredentialWithBans(%s) gave %d bans, BansForPerson %d", no, len(bans), len(separate))
				continue
			}
			for i := range separate {
				checkEqual(t, fmt.Sprintf("CredentialWithBans(%s) ban %d against BansForPerson", no, i), separate[i], &bans[i])
			}
		}
		for _, no := range []string{"A2015110000125", "a2015110000123", "A2015110000123 ", ""} {
			c, bans, err := r.CredentialWithBans(t.Context(), no)
			wantCode(t, fmt.Sprintf("CredentialWithBans(%q)", no), err, store.ENotFound)
			if c != nil || bans != nil {
				t.Errorf("CredentialWithBans(%q) returned %+v, %+v with its error", no, c, bans)
			}
		}
	})
}

// testCredentialWithBansSeesCommits checks a miss on an empty register, and
// that the read sees a ban and a link committed on another handle of the
// same database, as verification on one instance must see an approval made
// on another.
func testCredentialWithBansSeesCommits(t *testing.T, s suite) {
	a, b := s.pair(t)
	if c, bans, err := b.CredentialWithBans(t.Context(), "A1"); !store.IsCode(err, store.ENotFound) || c != nil || bans != nil {
		t.Fatalf("on an empty register: %+v, %+v, %v; want %s", c, bans, err, store.ENotFound)
	}
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	createPersons(t, a, p)
	insertCredentials(t, a, t0, sampleCredential("A1", 0))
	if c, bans, err := b.CredentialWithBans(t.Context(), "A1"); err != nil || c.PersonID != 0 || len(bans) != 0 {
		t.Fatalf("before the link: %+v, %+v, %v; want the unlinked credential and no bans", c, bans, err)
	}
	ban := &store.Ban{PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1),
		Reason: "x", CreatedAt: t0}
	update(t, a, func(tx store.Tx) error {
		if err := tx.LinkCredentialPerson(t.Context(), "A1", 0, p.ID, t0.Add(time.Minute)); err != nil {
			return err
		}
		return tx.CreateBan(t.Context(), ban)
	})
	c, bans, err := b.CredentialWithBans(t.Context(), "A1")
	if err != nil {
		t.Fatalf("after the link: %v", err)
	}
	if c.PersonID != p.ID || len(bans) != 1 || bans[0].ID != ban.ID {
		t.Errorf("after the link and the ban: person %d, bans %+v; want person %d and ban %d", c.PersonID, bans, p.ID, ban.ID)
	}
}

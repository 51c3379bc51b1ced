package storetest

import (
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

// testCredentialsWithBans checks the batch read of verification against the
// single one: for every number, known or not, given once or twice, among
// many others, the same credential and bans as CredentialWithBans, and
// nothing for unknown numbers; an empty map for no numbers and on an empty
// register.
func testCredentialsWithBans(t *testing.T, s suite) {
	st := s.open(t)
	if got, err := st.CredentialsWithBans(t.Context(), []string{"A1", "B2"}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("on an empty register: %+v, %v; want an empty map", got, err)
	}
	p := &store.Person{Name: "张伟华", IDHash: idHash("p"), CreatedAt: t0}
	q := &store.Person{Name: "李娜", IDHash: idHash("q"), CreatedAt: t0}
	createPersons(t, st, p, q)
	creds := []*store.Credential{
		sampleCredential("A2015110000123", p.ID),
		sampleCredential("A2015110000124", p.ID), // the same holder's other credential
		sampleCredential("B2020000000001", q.ID),
		{ // no person, no dates, no reason: every nullable column NULL
			CertificateNo: "C2020000000001", HolderName: "王芳", HolderNameFolded: "王芳",
			Kind: "primary", Subject: "语文", Issuer: "北京市东城区教育委员会", Status: store.StatusActive,
		},
	}
	for i := range 150 { // enough rows that decoys land on other holders' rows
		creds = append(creds, sampleCredential(fmt.Sprintf("D%013d", i), q.ID))
	}
	now := t0.Add(time.Hour)
	insertCredentials(t, st, now, creds...)
	update(t, st, func(tx store.Tx) error {
		for i, b := range []*store.Ban{
			{PersonID: p.ID, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2021, time.March, 1), Reason: "体罚学生", CreatedAt: t0},
			{PersonID: p.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2019, time.June, 1),
				EndsOn: store.NewDate(2024, time.May, 31), Reason: "有偿补课", CaseID: "case-2019-0042", CreatedAt: t0, LiftedAt: t0.Add(50 * time.Hour)},
			{PersonID: q.ID, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2020, time.January, 1), Reason: "x", CreatedAt: t0},
		} {
			b.CreatedAt = b.CreatedAt.Add(time.Duration(i) * time.Minute)
			if err := tx.CreateBan(t.Context(), b); err != nil {
				return err
			}
		}
		return nil
	})

	var numbers []string
	for _, c := range creds {
		numbers = append(numbers, c.CertificateNo)
	}
	unknown := []string{"A2015110000125", "a2015110000123", "Z9", ""}
	numbers = append(numbers, unknown...)
	numbers = append(numbers, creds[0].CertificateNo, "Z9") // twice each
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CredentialsWithBans(t.Context(), numbers)
		if err != nil {
			t.Fatalf("CredentialsWithBans: %v", err)
		}
		if len(got) != len(creds) {
			t.Errorf("CredentialsWithBans gave %d credentials, want %d", len(got), len(creds))
		}
		for _, c := range creds {
			no := c.CertificateNo
			one, bans, err := r.CredentialWithBans(t.Context(), no)
			if err != nil {
				t.Fatalf("CredentialWithBans(%s): %v", no, err)
			}
			cb, ok := got[no]
			if !ok {
				t.Errorf("CredentialsWithBans lacks %s", no)
				continue
			}
			checkEqual(t, "CredentialsWithBans credential "+no, stored(c, now), cb.Credential)
			checkEqual(t, "CredentialsWithBans credential "+no+" against CredentialWithBans", *one, cb.Credential)
			if cb.Bans == nil || len(cb.Bans) != len(bans) {
				t.Errorf("CredentialsWithBans(%s) bans %+v, CredentialWithBans %+v", no, cb.Bans, bans)
				continue
			}
			for i := range bans {
				checkEqual(t, fmt.Sprintf("CredentialsWithBans(%s) ban %d", no, i), bans[i], &cb.Bans[i])
			}
		}
		for _, no := range unknown {
			if cb, ok := got[no]; ok {
				t.Errorf("CredentialsWithBans gave %+v for the unknown number %q", cb, no)
			}
		}
		if len(got[creds[0].CertificateNo].Bans) != 2 || len(got[creds[3].CertificateNo].Bans) != 0 {
			t.Errorf("bans of the banned and the unlinked holder: %+v, %+v", got[creds[0].CertificateNo], got[creds[3].CertificateNo])
		}
		if none, err := r.CredentialsWithBans(t.Context(), nil); err != nil || none == nil || len(none) != 0 {
			t.Errorf("no numbers: %+v, %v; want an empty map", none, err)
		}
	})
}

package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/store"
)

// TestAppendVerificationJSON holds the hand-written encoder of the
// verification answer to encoding/json's output for the same answer, byte
// for byte, over misses, matches with and without bans, missing dates, and
// strings that need escaping.
func TestAppendVerificationJSON(t *testing.T) {
	checked := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	cred := func(name, subject string) *store.Credential {
		return &store.Credential{
			CertificateNo: "20151100000000123", HolderName: name, Kind: "senior_secondary", Subject: subject,
			Issuer: "北京市海淀区教育委员会", IssuedOn: store.NewDate(2015, 7, 1), RegisteredUntil: store.NewDate(2030, 6, 30),
		}
	}
	bans := []store.Ban{
		{ID: 7, Scope: store.BanScopeEducation, StartsOn: store.NewDate(2021, 3, 1), Reason: "internal"},
		{ID: 9, Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2019, 6, 1), EndsOn: store.NewDate(2030, 5, 31)},
	}
	for name, v := range map[string]*app.Verification{
		"miss":          {CheckedAt: checked, Receipt: "eyJhbGciOiJFZERTQSJ9.e30.c2ln"},
		"miss, nanos":   {CheckedAt: checked.Add(123456789), Receipt: ""},
		"match":         {Match: true, Status: store.StatusActive, Eligible: true, Credential: cred("张伟华", "数学"), CheckedAt: checked, Receipt: "r"},
		"banned":        {Match: true, Status: store.StatusActive, Credential: cred("张伟华", "数学"), Bans: bans, CheckedAt: checked, Receipt: "r"},
		"no dates":      {Match: true, Status: store.StatusRevoked, Credential: &store.Credential{CertificateNo: "A1"}, CheckedAt: checked},
		"html":          {Match: true, Status: "x", Credential: cred(`<b>"&'</b>\`, "a&b"), CheckedAt: checked, Receipt: "<>"},
		"control":       {Match: true, Status: "x", Credential: cred("a\x00\b\f\n\r\t\x1f\x7fz", "s"), CheckedAt: checked},
		"bad utf-8":     {Match: true, Status: "x", Credential: cred("\xff名\xe4\xb8", "s"), CheckedAt: checked},
		"separators":    {Match: true, Status: "x", Credential: cred("a\u2028b\u2029c", "é\U0001F600"), CheckedAt: checked},
		"other zone":    {CheckedAt: checked.In(time.FixedZone("CST", 8*3600)), Receipt: "r"},
		"empty strings": {Match: true, Credential: &store.Credential{}, CheckedAt: checked},
	} {
		want, err := json.Marshal(toVerificationJSON(v))
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		if got := appendVerificationJSON(nil, v); string(got) != string(want) {
			t.Errorf("%s: appendVerificationJSON =\n%s\nwant encoding/json's\n%s", name, got, want)
		}
	}
}

func FuzzAppendStringJSON(f *testing.F) {
	for _, s := range []string{"", "abc", "张伟华", `"\`, "<>&", "\x00\x7f", "\u2028\u2029", "\xff", "a\xe4\xb8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendStringJSON(nil, s); string(got) != string(want) {
			t.Errorf("appendStringJSON(%q) = %s, want %s", s, got, want)
		}
	})
}

package app

import (
	"strings"
	"testing"

	"ethicsportal/store"
)

func TestNormaliseCertificateNo(t *testing.T) {
	for in, want := range map[string]string{
		"20191100141000123":     "20191100141000123",
		"2019-1100-1410-00123":  "20191100141000123",
		" 2019 1100\t1410 0012": "2019110014100012",
		"２０１９ＡＢ１２":              "2019AB12",
		"ab-cd-12":              "ABCD12",
		"2019\u30001100":        "20191100",
		"2019\u20141100":        "20191100",
	} {
		got, err := NormaliseCertificateNo(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for in, code := range map[string]string{
		"":                      store.EMissing,
		" - - ":                 store.EMissing,
		"123":                   store.EInvalid,
		"2019/1100":             store.EInvalid,
		"证书2019":                store.EInvalid,
		strings.Repeat("9", 41): store.EInvalid,
		"2019\xff1100":          store.EInvalid,
	} {
		if _, err := NormaliseCertificateNo(in); store.ErrorCode(err) != code {
			t.Errorf("%q: error %v, want code %s", in, err, code)
		}
	}
}

func TestNormaliseIDNumber(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X":   "11010519491231002X",
		"11010519491231002x":   "11010519491231002X",
		" 110105194912310029 ": "",
		"１１０１０５１９４９１２３１００２Ｘ": "11010519491231002X",
	} {
		got, err := NormaliseIDNumber(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q: accepted a wrong check digit", in)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1101051949123100", "11010519491331002X", "1101051949123100AX", "110105194912310021"} {
		_, err := NormaliseIDNumber(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the ID number: %v", err)
		}
	}
}

func TestEffectiveStatus(t *testing.T) {
	today := store.NewDate(2026, 6, 1)
	c := store.Credential{Status: store.StatusActive, RegisteredUntil: today}
	if s := c.EffectiveStatus(today); s != store.StatusActive {
		t.Fatalf("registered until today: %s", s)
	}
	if s := c.EffectiveStatus(today.AddDays(1)); s != store.StatusLapsed {
		t.Fatalf("registered until yesterday: %s", s)
	}
	c.Status, c.SuspendedUntil = store.StatusSuspended, today
	if s := c.EffectiveStatus(today); s != store.StatusSuspended {
		t.Fatalf("suspended until today: %s", s)
	}
	c.RegisteredUntil = today.AddDays(100)
	if s := c.EffectiveStatus(today.AddDays(1)); s != store.StatusActive {
		t.Fatalf("suspension over: %s", s)
	}
	c.Status = store.StatusRevoked
	if s := c.EffectiveStatus(today.AddDays(1000)); s != store.StatusRevoked {
		t.Fatalf("revoked: %s", s)
	}
}

package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"
	"unicode/utf8"

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

// decodeLikeDecodeJSON decodes body as decodeJSON does for a non-strict
// route once the media type is accepted: valid UTF-8, one JSON value.
func decodeLikeDecodeJSON(body []byte) (verifyRequest, bool) {
	var req verifyRequest
	if len(bytes.TrimSpace(body)) == 0 || !utf8.Valid(body) {
		return req, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return req, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, false
	}
	return req, true
}

func TestParseVerifyRequest(t *testing.T) {
	accepted := []string{
		`{"certificate_no":"20151100000000123","name":"张伟华"}`,
		" \t\r\n{ \"name\" : \"李娜\" , \"certificate_no\" : \"A1\" } \n",
		`{"certificate_no":"","name":""}`,
		`{"name":"only the name"}`,
		`{}`,
		`{"name":"<&>'` + "\x7f" + `"}`,
	}
	for _, body := range accepted {
		var got verifyRequest
		if !parseVerifyRequest("application/json", []byte(body), &got) {
			t.Errorf("parseVerifyRequest(%q) refused it", body)
			continue
		}
		want, ok := decodeLikeDecodeJSON([]byte(body))
		if !ok || got != want {
			t.Errorf("parseVerifyRequest(%q) = %+v; encoding/json gives %+v (ok %v)", body, got, want, ok)
		}
	}
	refused := []string{ // left to decodeJSON, which accepts some and refuses others
		``, ` `, `null`, `[]`, `"x"`, `{`, `{"name":"x"`, `{"name":"x",}`, `{"name":"x"} {}`, `{"name":"x"}x`,
		`{"name":"a\"b"}`, `{"name":"\u5f20"}`, "{\"name\":\"a\tb\"}", `{"name":null}`, `{"name":1}`,
		`{"NAME":"x"}`, `{"Certificate_No":"x"}`, `{"name":"x","extra":1}`, `{"name":"x","name":"y"}`,
		"{\"name\":\"\xff\"}", "\ufeff{\"name\":\"x\"}", `{name:"x"}`, `{"name" "x"}`,
	}
	for _, body := range refused {
		var got verifyRequest
		if parseVerifyRequest("application/json", []byte(body), &got) {
			t.Errorf("parseVerifyRequest(%q) accepted it as %+v", body, got)
		}
	}
	for _, ct := range []string{"", "text/plain", "application/json; charset=utf-8", "application/jsonx"} {
		var got verifyRequest
		if parseVerifyRequest(ct, []byte(accepted[0]), &got) {
			t.Errorf("parseVerifyRequest with Content-Type %q accepted it; decodeJSON decides that", ct)
		}
	}
	var got verifyRequest
	if !parseVerifyRequest("Application/JSON", []byte(accepted[0]), &got) {
		t.Errorf("parseVerifyRequest refused Content-Type Application/JSON, which decodeJSON accepts")
	}
}

// FuzzParseVerifyRequest checks that whatever the fast path accepts,
// decodeJSON's decoding accepts too, with the same result.
func FuzzParseVerifyRequest(f *testing.F) {
	for _, s := range []string{`{"certificate_no":"A1","name":"张伟华"}`, `{}`, `{"name":"x","name":"y"}`, `{"name":"\u0041"}`, " {\"name\" :\"x\"} "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got verifyRequest
		if !parseVerifyRequest("application/json", body, &got) {
			return
		}
		want, ok := decodeLikeDecodeJSON(body)
		if !ok || got != want {
			t.Errorf("parseVerifyRequest(%q) = %+v; decodeJSON's decoding gives %+v (ok %v)", body, got, want, ok)
		}
	})
}

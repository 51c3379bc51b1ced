package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/auth"
	keyring "ethicsportal/keys"
	"ethicsportal/store"
)

const (
	pepperX = "pepper X, at least thirty-two characters long"
	pepperY = "pepper Y, at least thirty-two characters long"
	idHeld  = "11010519491231002X" // the ID number registered with certNo, under holder
)

// startOn starts an app on st under vars and returns New's error; a
// started app is closed at once. New closes st when it fails.
func startOn(t *testing.T, vars map[string]string, st store.Store) error {
	t.Helper()
	a, err := app.New(context.Background(), testConfig(t, vars), slog.New(slog.NewTextHandler(io.Discard, nil)),
		app.WithStore(st), app.WithPasswordParams(auth.Params{Memory: 64, Time: 1, Threads: 1}))
	if err == nil {
		a.Close()
	}
	return err
}

// wantPepperRefused asserts that starting under vars is refused for the
// pepper, with an error that names the variable but neither pepper.
func wantPepperRefused(t *testing.T, vars map[string]string, st store.Store, hint string) {
	t.Helper()
	err := startOn(t, vars, st)
	if !errors.Is(err, app.ErrPepperMismatch) {
		t.Fatalf("started with %q: error %v, want ErrPepperMismatch", vars["PORTAL_ID_PEPPER"], err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "PORTAL_ID_PEPPER") || !strings.Contains(msg, hint) {
		t.Fatalf("the error does not say why: %s", msg)
	}
	for _, p := range []string{pepperX, pepperY} {
		if strings.Contains(msg, p) {
			t.Fatalf("the error shows a pepper: %s", msg)
		}
	}
}

func (e *env) eligibility(token, id, name string) *response {
	e.t.Helper()
	r := e.do("POST", "/api/v1/eligibility", map[string]string{"id_number": id, "name": name}, bearer(token)...)
	if r.status != 200 {
		e.t.Fatalf("eligibility: %d %s", r.status, r.body)
	}
	return r
}

// wantBannedByID asserts that e still finds the person of idHeld by its
// hash: a banned match, the ban listed, and the ID number refused under
// another name.
func wantBannedByID(t *testing.T, e *env, tm team) {
	t.Helper()
	if r := e.eligibility(tm.reviewer, idHeld, holder); r.json["match"] != true || r.json["eligible"] != false {
		t.Fatalf("eligibility of the banned holder: %s", r.body)
	}
	if ids := e.banIDs(tm.reviewer, "id_number="+idHeld); len(ids) != 1 {
		t.Fatalf("bans by ID number: %v", ids)
	}
	r := e.do("POST", "/api/v1/admin/credentials", map[string]string{
		"certificate_no": "20191100141000777", "holder_name": "李四", "id_number": idHeld, "kind": "primary",
		"subject": "语文", "issuer": "北京市海淀区教育委员会", "issued_on": "2019-07-01", "registered_until": "2029-06-30",
	}, bearer(tm.registrar)...)
	wantProblem(t, r, 422, "id_name_mismatch")
}

// TestIDPepperIsFixedAtCreation: a store created with PORTAL_ID_PEPPER
// keeps no pepper of its own, and every later start must bring the same
// one: another value, or none, is refused with an error naming the
// variable, and leaves the store as it was.
func TestIDPepperIsFixedAtCreation(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			withX := map[string]string{"PORTAL_ID_PEPPER": pepperX}
			first := newEnvOn(t, testConfig(t, withX), opener(), ck)
			tm := first.team()
			first.registerCredential(tm.registrar, map[string]string{"id_number": idHeld})
			first.approve(tm.reviewer, first.propose(tm.registrar, map[string]any{
				"kind": "impose_ban", "id_number": idHeld, "name": holder, "scope": "education",
				"starts_on": "2026-01-01", "ends_on": nil, "reason": "性骚扰学生，终身禁入"}))
			wantBannedByID(t, first, tm)

			ctx := context.Background()
			if _, err := first.app.Store().Secret(ctx, "id_number_pepper"); !store.IsCode(err, store.ENotFound) {
				t.Fatalf("a store created with PORTAL_ID_PEPPER keeps a pepper of its own: %v", err)
			}
			if fp, err := first.app.Store().Secret(ctx, "id_number_pepper_check"); err != nil || len(fp) != sha256.Size || strings.Contains(string(fp), pepperX) {
				t.Fatalf("the store's fingerprint: %x, %v", fp, err)
			}

			wantPepperRefused(t, map[string]string{"PORTAL_ID_PEPPER": pepperY}, opener(), "not the value")
			wantPepperRefused(t, nil, opener(), "not set")

			again := newEnvOn(t, testConfig(t, withX), opener(), ck)
			wantBannedByID(t, again, tm)
		})
	}
}

// TestConfiguredPepperIsNotStored: no table of the store holds the
// configured pepper, in any form the scan can read.
func TestConfiguredPepperIsNotStored(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_ID_PEPPER": pepperX})
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, map[string]string{"id_number": idHeld})
	assertNotInDatabase(t, e, pepperX)
}

// TestGeneratedPepperIsKept: a store created without PORTAL_ID_PEPPER
// generates its pepper, keeps it across restarts, and refuses a start that
// sets the variable.
func TestGeneratedPepperIsKept(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			first := newEnvOn(t, testConfig(t, nil), opener(), ck)
			tm := first.team()
			first.registerCredential(tm.registrar, map[string]string{"id_number": idHeld})
			first.approve(tm.reviewer, first.propose(tm.registrar, map[string]any{
				"kind": "impose_ban", "id_number": idHeld, "name": holder, "scope": "education",
				"starts_on": "2026-01-01", "ends_on": nil, "reason": "性骚扰学生，终身禁入"}))
			if g, err := first.app.Store().Secret(context.Background(), "id_number_pepper"); err != nil || len(g) != 32 {
				t.Fatalf("generated pepper: %d bytes, %v", len(g), err)
			}
			wantPepperRefused(t, map[string]string{"PORTAL_ID_PEPPER": pepperX}, opener(), "unset PORTAL_ID_PEPPER")
			wantBannedByID(t, newEnvOn(t, testConfig(t, nil), opener(), ck), tm)
		})
	}
}

// TestPepperOfStoresMadeBeforeTheFingerprint: a store made before the
// fingerprint was kept gets it on its next start, from its generated
// pepper, or else from the PORTAL_ID_PEPPER it was always started with; a
// start that cannot know its pepper is refused and writes nothing.
func TestPepperOfStoresMadeBeforeTheFingerprint(t *testing.T) {
	ctx := context.Background()
	// legacy makes a store as an earlier version left it: keys, and the
	// generated pepper if there is one, but no fingerprint.
	legacy := func(t *testing.T, st store.Store, generated []byte) {
		t.Helper()
		if _, err := keyring.Load(ctx, st, store.KeyPurposeReceipt, time.Now); err != nil {
			t.Fatal(err)
		}
		if generated != nil {
			if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, "id_number_pepper", generated) }); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
	}
	for name, open := range sharedBackends() {
		t.Run(name+"/generated", func(t *testing.T) {
			opener := open(t)
			generated := []byte("0123456789abcdef0123456789abcdef")
			legacy(t, opener(), generated)
			ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
			e := newEnvOn(t, testConfig(t, nil), opener(), ck)
			tm := e.team()
			// The hash is still the one under the generated pepper.
			m := hmac.New(sha256.New, generated)
			m.Write([]byte(idHeld))
			claims := receiptClaims(t, e.eligibility(tm.reviewer, idHeld, holder).str("receipt"))
			if claims["id_hash"] != base64.RawURLEncoding.EncodeToString(m.Sum(nil)) {
				t.Fatalf("id_hash %v is not the hash under the store's generated pepper", claims["id_hash"])
			}
			wantPepperRefused(t, map[string]string{"PORTAL_ID_PEPPER": pepperX}, opener(), "unset PORTAL_ID_PEPPER")
		})
		t.Run(name+"/configured", func(t *testing.T) {
			opener := open(t)
			legacy(t, opener(), nil)
			wantPepperRefused(t, nil, opener(), "not set")
			st := opener()
			if _, err := st.Secret(ctx, "id_number_pepper"); !store.IsCode(err, store.ENotFound) {
				t.Fatalf("a refused start generated a pepper: %v", err)
			}
			st.Close()
			if err := startOn(t, map[string]string{"PORTAL_ID_PEPPER": pepperX}, opener()); err != nil {
				t.Fatalf("the pepper the store was always started with: %v", err)
			}
			wantPepperRefused(t, map[string]string{"PORTAL_ID_PEPPER": pepperY}, opener(), "not the value")
			wantPepperRefused(t, nil, opener(), "not set")
			if err := startOn(t, map[string]string{"PORTAL_ID_PEPPER": pepperX}, opener()); err != nil {
				t.Fatalf("restart with the same pepper: %v", err)
			}
		})
	}
}

// TestEligibilityMissesLookAlike: an ID number nobody has and one on
// record under another name answer alike, in the body and in the receipt,
// so the check cannot tell whether an ID number is on record.
func TestEligibilityMissesLookAlike(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, testConfig(t, nil), open(t)(), &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)})
			tm := e.team()
			e.registerCredential(tm.registrar, map[string]string{"id_number": idHeld})
			unknown := e.eligibility(tm.reviewer, idNumber(7), holder)
			otherName := e.eligibility(tm.reviewer, idHeld, "李四")
			for _, r := range []*response{unknown, otherName} {
				if keys(r.json) != "bans,checked_at,eligible,match,receipt" || r.json["match"] != false ||
					r.json["eligible"] != false || len(r.json["bans"].([]any)) != 0 {
					t.Fatalf("a miss: %s", r.body)
				}
			}
			cu, co := receiptClaims(t, unknown.str("receipt")), receiptClaims(t, otherName.str("receipt"))
			for _, c := range []map[string]any{cu, co} {
				delete(c, "jti")
				delete(c, "id_hash")
			}
			if keys(cu) != keys(co) || cu["match"] != false || cu["eligible"] != false || cu["status"] != nil || co["match"] != false || co["eligible"] != false || co["status"] != nil {
				t.Fatalf("the misses' receipts differ:\n%v\n%v", cu, co)
			}
			for _, r := range []*response{unknown, otherName} {
				if rc := e.checkReceipt(r.str("receipt")); rc.json["valid"] != true || rc.json["changed"] != false {
					t.Fatalf("a miss's receipt checked again: %s", rc.body)
				}
			}
			// A hit is eligible, so eligible false on a miss is the miss's, not a default.
			if r := e.eligibility(tm.reviewer, idHeld, holder); r.json["match"] != true || r.json["eligible"] != true {
				t.Fatalf("a hit: %s", r.body)
			}
		})
	}
}

package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"ethicsportal/store"
)

// The webhook secret is derived, not stored: the same client and version
// give the same secret, another client or version another one, and another
// pepper another one; the store's hash is of the secret shown.
func TestWebhookSecretDerivation(t *testing.T) {
	a := newBenchApp(t)
	ctx := context.Background()
	cl, err := a.CreateClient(ctx, "root", NewClient{Name: "School", Scopes: []string{store.ScopeWatch}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := a.store.ClientByID(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret := a.webhookSecret(stored)
	if string(secret) != cl.Secret || len(secret) != 43 {
		t.Fatalf("derived %q, shown %q", secret, cl.Secret)
	}
	if h := sha256.Sum256(secret); string(h[:]) != string(stored.SecretHash) {
		t.Fatal("the stored hash is not of the secret shown")
	}
	next := *stored
	next.SecretVersion++
	other := *stored
	other.ID = "cl_aaaaaaaaaaaaaaaa"
	if s := string(a.webhookSecret(&next)); s == cl.Secret {
		t.Fatal("another version derives the same secret")
	}
	if s := string(a.webhookSecret(&other)); s == cl.Secret {
		t.Fatal("another client derives the same secret")
	}
	pepper := a.idPepper
	a.idPepper = append([]byte{}, pepper...)
	a.idPepper[0] ^= 1
	if s := string(a.webhookSecret(stored)); s == cl.Secret {
		t.Fatal("another pepper derives the same secret")
	}
	a.idPepper = pepper
	if strings.Contains(string(stored.SecretHash), cl.Secret) || strings.Contains(string(stored.KeyHash), cl.APIKey) {
		t.Fatal("the store holds the secret or the key")
	}
}

func TestClientOfKey(t *testing.T) {
	good := "epk_cl_abcdefghijklmn27_" + strings.Repeat("q", 32)
	if id, ok := clientOfKey(good); !ok || id != "cl_abcdefghijklmn27" {
		t.Fatalf("%q: %q %v", good, id, ok)
	}
	for _, bad := range []string{
		"", "epk_", good[:len(good)-1], good + "a", strings.ToUpper(good),
		"epk_cl_abcdefghijklmn27-" + strings.Repeat("q", 32),
		"epk_cl_abcdefghijklmn18_" + strings.Repeat("q", 32), // 1 and 8 are not base32
		"xpk_cl_abcdefghijklmn27_" + strings.Repeat("q", 32),
		"epk_cl_abcdefghijklmn27_" + strings.Repeat("q", 31) + "é"[:1],
	} {
		if id, ok := clientOfKey(bad); ok {
			t.Errorf("%q accepted as a key of %q", bad, id)
		}
	}
}

// A verification recorded with VerifyUsage is the client's, with the
// receipt's jti; a record for an unknown client fails and adds nothing.
func TestRecordVerifyUsage(t *testing.T) {
	a := newBenchApp(t)
	ctx := context.Background()
	cl, err := a.CreateClient(ctx, "root", NewClient{Name: "School", Scopes: []string{store.ScopeVerifyBatch}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.AuthenticateClient(ctx, cl.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Verify(ctx, "2019-1100-1410-00123", "张伟华")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RecordUsage(ctx, c, VerifyUsage("20191100141000123", v), WatchUsage(store.UsageWatchCreate, "20191100141000123")); err != nil {
		t.Fatal(err)
	}
	rows, total, err := a.ClientChecks(ctx, c, Page{Number: 1, PerPage: 20})
	if err != nil || total != 2 {
		t.Fatalf("checks: %v, %d, %v", rows, total, err)
	}
	jti := receiptID(v.Receipt)
	if jti == "" || rows[1].ReceiptID != jti || rows[1].Kind != store.UsageVerify || rows[1].CertificateNo != "20191100141000123" || rows[1].Match {
		t.Fatalf("verification record %+v, receipt jti %q", rows[1], jti)
	}
	if rows[0].Kind != store.UsageWatchCreate || rows[0].ReceiptID != "" {
		t.Fatalf("watch record %+v", rows[0])
	}
	ghost := &store.Client{ID: "cl_aaaaaaaaaaaaaaaa"}
	if err := a.RecordUsage(ctx, ghost, VerifyUsage("20191100141000123", v)); !store.IsCode(err, store.ENotFound) {
		t.Fatalf("record for an unknown client: %v", err)
	}
	if receiptID("not.a-receipt") != "" || receiptID("") != "" {
		t.Fatal("receiptID of junk")
	}
}

// Rotating the webhook secret shows a new secret once, makes it the one
// webhooks are signed with, keeps only its hash, and is conditional on the
// version it replaced.
func TestRotateClientSecret(t *testing.T) {
	a := newBenchApp(t)
	ctx := context.Background()
	cl, err := a.CreateClient(ctx, "root", NewClient{Name: "School", Scopes: []string{store.ScopeWatch}})
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := a.RotateClientSecret(ctx, "root", cl.ID)
	if err != nil || id != cl.ID {
		t.Fatalf("rotate: %q %v", id, err)
	}
	if secret == cl.Secret || len(secret) != 43 {
		t.Fatalf("new secret %q (old %q)", secret, cl.Secret)
	}
	stored, err := a.store.ClientByID(ctx, cl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(a.webhookSecret(stored)); got != secret || stored.SecretVersion != 2 {
		t.Fatalf("webhooks would be signed with %q (version %d), want the new %q", got, stored.SecretVersion, secret)
	}
	if h := sha256.Sum256([]byte(secret)); string(h[:]) != string(stored.SecretHash) {
		t.Fatal("the stored hash is not of the new secret")
	}
	err = a.store.Update(ctx, func(tx store.Tx) error { return tx.SetClientSecret(ctx, cl.ID, 1, 2, stored.SecretHash) })
	if !store.IsCode(err, store.EConflict) {
		t.Fatalf("a write decided on version 1 after version 2: %v, want conflict", err)
	}
	if _, _, err := a.RotateClientSecret(ctx, "root", "cl_aaaaaaaaaaaaaaaa"); !store.IsCode(err, store.ENotFound) {
		t.Fatalf("unknown client: %v", err)
	}
}

// receiptID reads the jti of a receipt, "" when it has none: the
// recorded id must be the one in the receipt the school was given.
func receiptID(receipt string) string {
	_, rest, ok := strings.Cut(receipt, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var c struct {
		ID string `json:"jti"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.ID
}

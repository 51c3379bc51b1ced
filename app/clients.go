package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ethicsportal/store"
)

// School clients: a school's access to the School API, by API key.
//
// A client id is "cl_" + 16 lower-case base32 characters (80 random bits);
// an API key is "epk_" + the client id + "_" + 32 base32 characters (160
// random bits). The store keeps only the SHA-256 of a key: a random 160-bit
// key cannot be guessed or found from its hash by trying candidates, so the
// slow hash a password needs would only cost every request time. The key
// names its client, so a check is one point lookup and one constant-time
// comparison.

const (
	clientIDPrefix = "cl_"
	apiKeyPrefix   = "epk_"
	clientIDChars  = 16 // base32 characters of random after "cl_"
	keySecretChars = 32 // base32 characters of random at the end of a key

	// KeyGrace is how long the previous key of a client keeps working
	// after a rotation, so that a school can deploy the new one.
	KeyGrace = 24 * time.Hour

	// maxClientName is the longest client name, in characters.
	maxClientName = 100
)

// keyEncoding is base32 in lower case without padding: keys and ids are
// typed and pasted, so no character is ambiguous or needs escaping.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// errClientKey is the one answer to every key that does not authenticate:
// malformed, unknown, replaced or of a disabled client.
var errClientKey = store.Errorf(store.EUnauthorized, "a valid API key is required in the X-API-Key header")

// NewClient is what it takes to add a client.
type NewClient struct {
	Name   string
	Scopes []string
}

// ClientView is a client as the administration shows it: never a key, a
// key hash or a secret.
type ClientView struct {
	ID           string
	Name         string
	Scopes       []string
	Disabled     bool
	CreatedAt    time.Time
	CreatedBy    string
	PrevKeyUntil time.Time // until when the key before the last rotation works; zero when none does
}

func (a *App) clientView(c *store.Client) ClientView {
	v := ClientView{ID: c.ID, Name: c.Name, Scopes: c.Scopes, Disabled: c.Disabled, CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy}
	if c.PrevKeyHash != nil && a.now().Before(c.PrevKeyUntil) {
		v.PrevKeyUntil = c.PrevKeyUntil
	}
	return v
}

// CreatedClient is the result of CreateClient: the only time the API key
// and the webhook secret are shown.
type CreatedClient struct {
	ClientView
	APIKey string
	Secret string
}

// CreateClient adds a school client and audits it as actor (an admin).
// EMissing or EInvalid for a name that is empty, longer than 100
// characters or not clean one-line text, and for scopes that are empty or
// name an unknown scope.
func (a *App) CreateClient(ctx context.Context, actor string, in NewClient) (*CreatedClient, error) {
	name, err := clientName(in.Name)
	if err != nil {
		return nil, err
	}
	scopes, err := normaliseScopes(in.Scopes)
	if err != nil {
		return nil, err
	}
	raw, err := randomChars(clientIDChars)
	if err != nil {
		return nil, err
	}
	c := &store.Client{ID: clientIDPrefix + raw, Name: name, Scopes: scopes, SecretVersion: 1, CreatedAt: a.now().UTC().Truncate(time.Second), CreatedBy: actor}
	key, hash, err := newAPIKey(c.ID)
	if err != nil {
		return nil, err
	}
	c.KeyHash = hash
	secret := a.webhookSecret(c)
	sh := sha256.Sum256(secret)
	c.SecretHash = sh[:]
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateClient(ctx, c); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "client.create", "client:"+c.ID,
			map[string]any{"client_id": c.ID, "name": name, "scopes": scopes})
	})
	if err != nil {
		return nil, internal("create client", err)
	}
	return &CreatedClient{ClientView: a.clientView(c), APIKey: key, Secret: string(secret)}, nil
}

func clientName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", store.FieldError(store.EMissing, "name", "a client needs a name (the school), 1 to %d characters", maxClientName)
	}
	if !utf8.ValidString(s) {
		return "", store.FieldError(store.EInvalid, "name", "the name is not valid UTF-8")
	}
	if err := checkChars("name", s, singleLine); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > maxClientName {
		return "", store.FieldError(store.EInvalid, "name", "a client name has at most %d characters, not %d", maxClientName, n)
	}
	return s, nil
}

// normaliseScopes checks scopes against store.Scopes and returns them
// without repeats, in the order of store.Scopes.
func normaliseScopes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, store.FieldError(store.EMissing, "scopes", "at least one scope is required; scopes are %s", strings.Join(store.Scopes, ", "))
	}
	for _, s := range in {
		if !slices.Contains(store.Scopes, s) {
			return nil, store.FieldError(store.EInvalid, "scopes", "unknown scope %q; scopes are %s", s, strings.Join(store.Scopes, ", "))
		}
	}
	var out []string
	for _, s := range store.Scopes {
		if slices.Contains(in, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// randomChars returns n characters of keyEncoding, 5 random bits each.
func randomChars(n int) (string, error) {
	b := make([]byte, n*5/8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("app: random: %w", err)
	}
	return keyEncoding.EncodeToString(b), nil
}

// newAPIKey returns a fresh key of client id and its SHA-256.
func newAPIKey(id string) (key string, hash []byte, err error) {
	secret, err := randomChars(keySecretChars)
	if err != nil {
		return "", nil, err
	}
	key = apiKeyPrefix + id + "_" + secret
	h := sha256.Sum256([]byte(key))
	return key, h[:], nil
}

// clientOfKey returns the client id a well-formed key names, and false for
// anything else.
func clientOfKey(key string) (string, bool) {
	const idLen = len(clientIDPrefix) + clientIDChars
	if len(key) != len(apiKeyPrefix)+idLen+1+keySecretChars || !strings.HasPrefix(key, apiKeyPrefix+clientIDPrefix) {
		return "", false
	}
	id, rest := key[len(apiKeyPrefix):len(apiKeyPrefix)+idLen], key[len(apiKeyPrefix)+idLen:]
	if rest[0] != '_' || !isKeyChars(id[len(clientIDPrefix):]) || !isKeyChars(rest[1:]) {
		return "", false
	}
	return id, true
}

func isKeyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// webhookSecret returns the client's webhook secret: the bytes of the
// base64url text shown to the school at creation, which it uses as the
// HMAC key to check webhook signatures. It is derived, never stored:
// HMAC-SHA256 under a key that is itself an HMAC of a fixed label under the
// ID-number pepper (never in the store when configured), over the client
// id and the secret's version. The store keeps the version and the SHA-256
// of the secret only.
func (a *App) webhookSecret(c *store.Client) []byte {
	k := hmac.New(sha256.New, a.idPepper)
	k.Write([]byte("webhook-secret-key"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte("webhook-secret\x00" + c.ID + "\x00" + strconv.Itoa(c.SecretVersion)))
	return []byte(base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
}

// AuthenticateClient returns the client whose API key key is: its current
// key, or the previous one until the end of its grace period. Every key
// that does not authenticate (malformed, unknown, replaced, expired, or of
// a disabled client) gets the same EUnauthorized.
func (a *App) AuthenticateClient(ctx context.Context, key string) (*store.Client, error) {
	id, ok := clientOfKey(key)
	if !ok {
		return nil, errClientKey
	}
	hash := sha256.Sum256([]byte(key))
	c, err := a.store.ClientByID(ctx, id)
	if errNotFound(err) {
		return nil, errClientKey
	}
	if err != nil {
		return nil, internal("authenticate client", err)
	}
	current := subtle.ConstantTimeCompare(hash[:], c.KeyHash) == 1
	previous := c.PrevKeyHash != nil && subtle.ConstantTimeCompare(hash[:], c.PrevKeyHash) == 1 && a.now().Before(c.PrevKeyUntil)
	if c.Disabled || !current && !previous {
		return nil, errClientKey
	}
	return c, nil
}

// ListClients lists every client, oldest first.
func (a *App) ListClients(ctx context.Context) ([]ClientView, error) {
	cs, err := a.store.Clients(ctx)
	if err != nil {
		return nil, internal("clients", err)
	}
	out := make([]ClientView, len(cs))
	for i := range cs {
		out[i] = a.clientView(&cs[i])
	}
	return out, nil
}

// SetClientDisabled disables or enables a client and audits it as actor.
// A disabled client's keys are refused from the next request on, on every
// instance. Setting the state it has already changes nothing. ENotFound
// for an unknown client; EConflict when another change came first.
func (a *App) SetClientDisabled(ctx context.Context, actor, id string, disabled bool) (*ClientView, error) {
	var c *store.Client
	err := a.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if c, err = tx.ClientByID(ctx, id); err != nil || c.Disabled == disabled {
			return err
		}
		if err := tx.SetClientDisabled(ctx, id, c.Disabled, disabled); err != nil {
			return err
		}
		c.Disabled = disabled
		return a.record(ctx, tx, actor, "client.update", "client:"+id, map[string]any{"client_id": id, "disabled": disabled})
	})
	if err != nil {
		return nil, clientErr("set client disabled", id, err)
	}
	v := a.clientView(c)
	return &v, nil
}

// RotatedKey is the result of RotateClientKey: the new key, shown once.
type RotatedKey struct {
	ClientID     string
	APIKey       string
	PrevKeyUntil time.Time // the key it replaces works until then
}

// RotateClientKey gives a client a new API key and audits it as actor. The
// key it replaces keeps working for KeyGrace; a key replaced before that
// (by an earlier rotation) stops at once. ENotFound for an unknown client;
// EConflict when another rotation came first.
func (a *App) RotateClientKey(ctx context.Context, actor, id string) (*RotatedKey, error) {
	key, hash, err := newAPIKey(id)
	if err != nil {
		return nil, err
	}
	until := a.now().Add(KeyGrace)
	err = a.store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.ClientByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.RotateClientKey(ctx, id, c.KeyHash, hash, until); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "client.rotate_key", "client:"+id,
			map[string]any{"client_id": id, "previous_key_until": until.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return nil, clientErr("rotate client key", id, err)
	}
	return &RotatedKey{ClientID: id, APIKey: key, PrevKeyUntil: until}, nil
}

// RotateClientSecret gives a client a new webhook secret, shown only in
// this answer, and audits it as actor (never the secret). Webhooks are
// signed with the new secret from then on, retries of earlier events
// included: a school replaces the secret it checks signatures with when it
// gets the answer. ENotFound for an unknown client; EConflict when another
// change of the secret landed first.
func (a *App) RotateClientSecret(ctx context.Context, actor, id string) (clientID, secret string, err error) {
	var fresh []byte
	err = a.store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.ClientByID(ctx, id)
		if err != nil {
			return err
		}
		next := *c
		next.SecretVersion = c.SecretVersion + 1
		fresh = a.webhookSecret(&next)
		sum := sha256.Sum256(fresh)
		if err := tx.SetClientSecret(ctx, id, c.SecretVersion, next.SecretVersion, sum[:]); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "client.rotate_secret", "client:"+id,
			map[string]any{"client_id": id, "secret_version": next.SecretVersion})
	})
	if err != nil {
		return "", "", clientErr("rotate client secret", id, err)
	}
	return id, string(fresh), nil
}

func clientErr(op, id string, err error) error {
	switch {
	case errNotFound(err):
		return store.Errorf(store.ENotFound, "no client %q", id)
	case store.IsCode(err, store.EConflict):
		return store.Errorf(store.EConflict, "the client %q was changed at the same time; read it again and retry", id)
	}
	return internal(op, err)
}

// ClientUsage returns a page of a client's recorded use, newest first, and
// how many records it has in all: what an admin reads. ENotFound for an
// unknown client.
func (a *App) ClientUsage(ctx context.Context, id string, page Page) ([]store.ClientUsage, int, error) {
	if _, err := a.store.ClientByID(ctx, id); err != nil {
		return nil, 0, clientErr("client usage", id, err)
	}
	return a.usagePage(ctx, id, page)
}

// ClientChecks returns a page of the client's own recorded use, newest
// first: what a school reads about itself, and never another's.
func (a *App) ClientChecks(ctx context.Context, c *store.Client, page Page) ([]store.ClientUsage, int, error) {
	return a.usagePage(ctx, c.ID, page)
}

func (a *App) usagePage(ctx context.Context, id string, page Page) ([]store.ClientUsage, int, error) {
	rows, total, err := a.store.ClientUsage(ctx, store.ClientUsageFilter{ClientID: id, Limit: page.PerPage, Offset: page.offset()})
	if err != nil {
		return nil, 0, internal("client usage", err)
	}
	return rows, total, nil
}

// VerifyUsage is the usage record of a qualification check of the
// normalised certificate number no that answered v.
func VerifyUsage(no string, v *Verification) store.ClientUsage {
	return store.ClientUsage{Kind: store.UsageVerify, CertificateNo: no, Match: v.Match, ReceiptID: v.ReceiptID}
}

// EligibilityUsage is the usage record of an eligibility check that
// answered e: never the ID number, nor its hash.
func EligibilityUsage(e *Eligibility) store.ClientUsage {
	return store.ClientUsage{Kind: store.UsageEligibility, Match: e.Match, ReceiptID: e.ReceiptID}
}

// WatchUsage is the usage record of a watch set up (store.UsageWatchCreate)
// or removed (store.UsageWatchDelete) on the normalised certificate number no.
func WatchUsage(kind, no string) store.ClientUsage {
	return store.ClientUsage{Kind: kind, CertificateNo: no}
}

// RecordUsage records rows as the use of client c, at the current time, in
// a transaction of its own. A school is answered only once its use is on
// record, so a failure here fails the request.
func (a *App) RecordUsage(ctx context.Context, c *store.Client, rows ...store.ClientUsage) error {
	err := a.store.Update(ctx, func(tx store.Tx) error { return a.recordUsageIn(ctx, tx, c, rows) })
	return internal("record client usage", err)
}

// recordUsageIn records rows as the use of client c inside tx, for a
// change that must commit together with its record (a watch).
func (a *App) recordUsageIn(ctx context.Context, tx store.Tx, c *store.Client, rows []store.ClientUsage) error {
	now := a.now()
	for i := range rows {
		rows[i].ClientID, rows[i].At = c.ID, now
	}
	return tx.AddClientUsage(ctx, rows)
}

// ClientEligibility is CheckEligibility for a school client holding the
// eligibility scope, recorded as its use (EForbidden without the scope).
func (a *App) ClientEligibility(ctx context.Context, c *store.Client, idNumber, name string) (*Eligibility, error) {
	if !c.HasScope(store.ScopeEligibility) {
		return nil, store.Errorf(store.EForbidden, "this API key lacks the scope %s", store.ScopeEligibility)
	}
	e, err := a.CheckEligibility(ctx, idNumber, name)
	if err != nil {
		return nil, err
	}
	if err := a.RecordUsage(ctx, c, EligibilityUsage(e)); err != nil {
		return nil, err
	}
	return e, nil
}

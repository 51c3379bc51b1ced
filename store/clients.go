package store

import (
	"context"
	"slices"
	"time"
)

// Scopes of a school client: what its API key may be used for.
const (
	ScopeVerifyBatch = "verify_batch" // POST /api/v1/verifications/batch
	ScopeEligibility = "eligibility"  // POST /api/v1/eligibility
	ScopeWatch       = "watch"        // watches and their webhooks
)

// Scopes lists every scope in a stable order.
var Scopes = []string{ScopeVerifyBatch, ScopeEligibility, ScopeWatch}

// Kinds of recorded client usage.
const (
	UsageVerify      = "verify"       // one qualification check (of a batch, say)
	UsageEligibility = "eligibility"  // one staff eligibility check; never the ID number
	UsageWatchCreate = "watch_create" // a watch set up
	UsageWatchDelete = "watch_delete" // a watch removed
)

// UsageKinds lists every usage kind.
var UsageKinds = []string{UsageVerify, UsageEligibility, UsageWatchCreate, UsageWatchDelete}

// Client is a school's access to the School API. Its API key is never
// stored, only the SHA-256 of it; its webhook secret neither: it is derived
// from the ID-number pepper, the client id and SecretVersion, and the store
// keeps the SHA-256 of it to tell whether a derivation still gives it.
type Client struct {
	ID            string   // "cl_" + 16 lower-case base32 characters
	Name          string   // the school, as the admin named it
	Scopes        []string // a non-empty subset of Scopes
	KeyHash       []byte   // SHA-256 of the current API key
	PrevKeyHash   []byte   // SHA-256 of the key before the last rotation; nil when none
	PrevKeyUntil  time.Time
	SecretVersion int    // which derivation of the webhook secret is current, from 1
	SecretHash    []byte // SHA-256 of the webhook secret
	Disabled      bool   // a disabled client's keys are refused
	CreatedAt     time.Time
	CreatedBy     string // the admin who created it
}

// HasScope reports whether c may use scope.
func (c *Client) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// ClientUsage is one recorded use of the School API by a client: who checked
// what, when, with what outcome, and the id (jti) of the receipt it got.
type ClientUsage struct {
	ID            int64
	ClientID      string
	At            time.Time
	Kind          string // one of UsageKinds
	CertificateNo string // normalised; "" for an eligibility check, whose ID number is never kept
	Match         bool
	ReceiptID     string // the receipt's jti; "" when there is none
}

// ClientUsageFilter selects one client's usage, newest first.
type ClientUsageFilter struct {
	ClientID string
	Limit    int // 0 or less: no limit
	Offset   int
}

// ClientReader reads school clients and their usage.
type ClientReader interface {
	// ClientByID returns the client with that id.
	ClientByID(ctx context.Context, id string) (*Client, error)

	// Clients returns every client, oldest first (ties by id).
	Clients(ctx context.Context) ([]Client, error)

	// ClientUsage returns the usage of f.ClientID, newest first, and how
	// many rows it has in all. An unknown client has none.
	ClientUsage(ctx context.Context, f ClientUsageFilter) ([]ClientUsage, int, error)
}

// ClientWriter changes school clients. Every change is conditional on the
// state it was decided from, so that of two admins changing one client at
// once the second gets EConflict instead of overwriting the first.
type ClientWriter interface {
	// CreateClient inserts c. EConflict if the id is taken.
	CreateClient(ctx context.Context, c *Client) error

	// SetClientDisabled sets the client's Disabled to to, only if it is
	// still from. ENotFound if there is no such client; EConflict, changing
	// nothing, when it is no longer from.
	SetClientDisabled(ctx context.Context, id string, from, to bool) error

	// RotateClientKey makes newHash the client's KeyHash and keeps the
	// current one as PrevKeyHash until prevUntil, only if the stored KeyHash
	// is still fromHash. ENotFound if there is no such client; EConflict,
	// changing nothing, when the key was rotated since fromHash was read.
	RotateClientKey(ctx context.Context, id string, fromHash, newHash []byte, prevUntil time.Time) error

	// SetClientSecret makes version the client's SecretVersion and hash its
	// SecretHash, only if the stored SecretVersion is still from.
	// ENotFound if there is no such client; EConflict, changing nothing,
	// when the secret was replaced since from was read.
	SetClientSecret(ctx context.Context, id string, from, version int, hash []byte) error

	// AddClientUsage appends rows (their IDs are the store's to give and
	// are not set). ENotFound, adding nothing, if a client does not exist.
	AddClientUsage(ctx context.Context, rows []ClientUsage) error
}

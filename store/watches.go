package store

import (
	"context"
	"encoding/json"
	"time"
)

// Watch is a school client's standing request to be told, by webhook, when
// a credential's holder changes: its status, what identifies the holder,
// or the holder's bans.
type Watch struct {
	ID            string // "wa_" + 16 lowercase base32 characters
	ClientID      string // the client that made it (clients are referenced by id only)
	CertificateNo string // normalised
	CallbackURL   string
	CreatedAt     time.Time
	DeletedAt     time.Time // zero while the watch stands
	// Paused is set when the receiver kept failing past the retry
	// schedule: no new deliveries are made for the watch.
	Paused   bool
	PausedAt time.Time
	// FailingSince is when the first of the watch's latest run of failed
	// attempts happened; zero when the last attempt succeeded.
	FailingSince time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // to be attempted (again)
	DeliveryDelivered = "delivered" // the receiver took it
	DeliveryFailed    = "failed"    // given up: out of retries, refused for good, or its watch ended
)

// WebhookDelivery is one event to send to one watch, with the record of
// its attempts. An event is recorded once per watch: (EventID, WatchID) is
// unique.
type WebhookDelivery struct {
	ID             int64 // order of recording
	EventID        string
	WatchID        string
	Payload        json.RawMessage // the body sent, byte for byte, on every attempt
	CreatedAt      time.Time
	Attempts       int       // attempts started so far (claims)
	NextAttemptAt  time.Time // not attempted before this
	LeaseOwner     string    // the worker attempting it now, "" if none
	LeaseUntil     time.Time
	Status         string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	LastAttemptAt  time.Time
	LastStatusCode int // the receiver's HTTP status at the last attempt; 0: no answer
	LastError      string
	DeliveredAt    time.Time
}

// WatchFilter selects a client's standing watches, newest first.
type WatchFilter struct {
	ClientID string
	Limit    int
	Offset   int
}

// Due is when a new delivery is first due: NextAttemptAt, or CreatedAt
// when that is zero.
func (d *WebhookDelivery) Due() time.Time {
	if d.NextAttemptAt.IsZero() {
		return d.CreatedAt
	}
	return d.NextAttemptAt
}

// WebhookClaim asks for up to Limit due deliveries for worker Owner,
// leased until Now+Lease.
type WebhookClaim struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// WebhookResult is the outcome of one attempt at a claimed delivery.
type WebhookResult struct {
	Status        string    // DeliveryDelivered, DeliveryFailed, or DeliveryPending to retry
	At            time.Time // when the attempt ended
	StatusCode    int
	Error         string
	NextAttemptAt time.Time // when Status is DeliveryPending
}

// Check reports a result no store can record: EInvalid for a status other
// than the three, or a zero At.
func (r WebhookResult) Check() error {
	switch r.Status {
	case DeliveryPending, DeliveryDelivered, DeliveryFailed:
	default:
		return FieldError(EInvalid, "status", "a delivery ends pending, delivered or failed")
	}
	if r.At.IsZero() {
		return FieldError(EInvalid, "at", "an attempt has a time")
	}
	return nil
}

// WatchReader is the read side of watches and their deliveries.
type WatchReader interface {
	// WatchByID returns the watch with that id, deleted or not.
	WatchByID(ctx context.Context, id string) (*Watch, error)

	// Watches returns the client's standing (not deleted) watches, newest
	// first, and how many there are in all.
	Watches(ctx context.Context, f WatchFilter) ([]Watch, int, error)

	// WatchesForCertificates returns the standing watches of any client on
	// any of the certificate numbers, paused ones included, in id order.
	WatchesForCertificates(ctx context.Context, numbers []string) ([]Watch, error)

	// WebhookDeliveries returns a watch's deliveries, newest first, and how
	// many there are in all.
	WebhookDeliveries(ctx context.Context, watchID string, limit, offset int) ([]WebhookDelivery, int, error)

	// DueWebhookDeliveries counts the deliveries a claim at now would take
	// (see ClaimWebhookDeliveries): a look on the read side before a claim.
	DueWebhookDeliveries(ctx context.Context, now time.Time) (int, error)

	// CertificateNumbersOfPerson returns the numbers of the credentials
	// linked to the person, in order. An unknown or 0 person has none.
	CertificateNumbersOfPerson(ctx context.Context, personID int64) ([]string, error)
}

// WatchWriter is the write side of watches and their deliveries.
type WatchWriter interface {
	// CreateWatch inserts w. EConflict when the client already has a
	// standing watch on the certificate, or the id is taken.
	CreateWatch(ctx context.Context, w *Watch) error

	// DeleteWatch ends a standing watch at at, and fails its pending
	// deliveries. ENotFound when there is no such standing watch.
	DeleteWatch(ctx context.Context, id string, at time.Time) error

	// SetWatchFailing sets the watch's FailingSince to since (zero: the
	// receiver took an event again) unless it is already set and since is
	// not zero: the first failure of a run is kept.
	SetWatchFailing(ctx context.Context, id string, since time.Time) error

	// PauseWatch marks a standing watch paused at at and fails its pending
	// deliveries with reason. Pausing a paused watch changes nothing.
	// ENotFound when there is no such standing watch.
	PauseWatch(ctx context.Context, id string, at time.Time, reason string) error

	// AddWebhookDeliveries records deliveries, pending and due at Due(),
	// skipping any whose (EventID, WatchID) is recorded
	// already, so that expanding one event twice records it once. It sets
	// the ID of those it inserts and returns how many it inserted.
	// ENotFound when a delivery names no watch.
	AddWebhookDeliveries(ctx context.Context, ds []*WebhookDelivery) (int, error)

	// ClaimWebhookDeliveries leases up to c.Limit due deliveries to c.Owner
	// until c.Now+c.Lease, oldest first, and increments their Attempts. A
	// delivery is due when it is pending, its NextAttemptAt is not after
	// c.Now, no lease on it runs past c.Now, and no older pending delivery
	// of its watch exists (a watch's events go out one at a time, in
	// order). No delivery is leased to two workers at once, on any number
	// of instances.
	ClaimWebhookDeliveries(ctx context.Context, c WebhookClaim) ([]WebhookDelivery, error)

	// FinishWebhookDelivery records r for a delivery leased to owner and
	// releases the lease. A pending result is due again at NextAttemptAt
	// (at once when that is zero); a delivered one gets DeliveredAt = At.
	// EConflict, changing nothing, when owner no longer holds it (another
	// worker took it, or it was finished); EInvalid for a result r.Check
	// refuses.
	FinishWebhookDelivery(ctx context.Context, id int64, owner string, r WebhookResult) error
}

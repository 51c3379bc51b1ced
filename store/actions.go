package store

import (
	"encoding/json"
	"time"
)

// Action kinds: every change to what the public or a school sees.
const (
	ActionPublishCase         = "publish_case"
	ActionAmendCase           = "amend_case"
	ActionWithdrawCase        = "withdraw_case"
	ActionRevokeCredential    = "revoke_credential"
	ActionSuspendCredential   = "suspend_credential"
	ActionReinstateCredential = "reinstate_credential"
	ActionImposeBan           = "impose_ban"
	ActionLiftBan             = "lift_ban"
)

// Action statuses. An action is applied or rejected exactly once.
const (
	ActionPending  = "pending"
	ActionApplied  = "applied"
	ActionRejected = "rejected"
)

// Action is a proposed change that a second person approves or rejects.
type Action struct {
	ID             int64
	Kind           string
	Object         string          // what it acts on: "credential:NO", "ban:ID", "person:ID", "case:ID"
	Params         json.RawMessage // the validated parameters; never an ID number in clear
	Reason         string
	Status         string
	ProposedBy     string
	ProposedAt     time.Time
	DecidedBy      string    // approver or rejecter; "" while pending
	DecidedAt      time.Time // zero while pending
	DecisionReason string    // why it was rejected
}

// ActionFilter selects actions for listing, newest first.
type ActionFilter struct {
	Status string // "" for every status
	Limit  int
	Offset int
}

// CredentialChange is one entry of a credential's status history.
type CredentialChange struct {
	ID            int64
	CertificateNo string
	At            time.Time
	FromStatus    string
	ToStatus      string
	Until         Date // end of a suspension; zero otherwise
	Reason        string
	CaseID        string
	ActionID      int64
	ProposedBy    string
	ApprovedBy    string
}

// OutboxMessage is a side effect to carry out after a commit (index the
// case, bump the cache generation, call the webhooks). It is written in the
// same transaction as the change and delivered at least once, in order per
// ObjectKey, by a worker on any instance.
type OutboxMessage struct {
	ID            int64
	Topic         string // e.g. "credential.status", "ban.imposed"
	ObjectKey     string // messages with the same key are delivered in ID order
	Payload       json.RawMessage
	CreatedAt     time.Time
	Attempts      int       // claims so far
	NextAttemptAt time.Time // not claimed before this
	ClaimedBy     string    // the worker holding the lease, "" if none
	ClaimedUntil  time.Time // the lease's end
	DeliveredAt   time.Time // zero until every consumer took it
	Done          []string  // consumers that have taken it
	LastError     string
}

// OutboxClaim asks for up to Limit due messages for worker Owner, leased
// until Now+Lease.
type OutboxClaim struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// OutboxResult records what a worker achieved with a claimed message.
type OutboxResult struct {
	Done          []string  // every consumer that has taken it so far
	Delivered     bool      // all consumers took it: the message is finished
	NextAttemptAt time.Time // when not delivered: when to try again
	LastError     string
	At            time.Time
}

// OutboxStats describe the backlog, for the lag metric.
type OutboxStats struct {
	Pending       int       // undelivered messages
	OldestPending time.Time // creation time of the oldest undelivered; zero if none
}

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
	ActionCorrectCredential   = "correct_credential"
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

// CredentialChange is one entry of a credential's history: its creation, a
// re-registration, a correction of what identifies the holder, or a status
// change. Every change to the register leaves one, saying who made it, when,
// and from where (the API, a row of an import file, or an applied action).
type CredentialChange struct {
	ID            int64
	CertificateNo string
	At            time.Time
	Kind          string // one of the Change* kinds
	Actor         string // who made the change; for an action, its approver
	Source        string // one of the Source* values
	SourceFile    string // SourceImport: the file's name as given
	SourceRow     int    // SourceImport: the line of the file (the header is line 1)
	Fields        []FieldChange
	FromStatus    string // ChangeStatus: the effective status before
	ToStatus      string // ChangeStatus: the stored status after
	Until         Date   // end of a suspension; zero otherwise
	Reason        string
	CaseID        string
	ActionID      int64
	ProposedBy    string
	ApprovedBy    string
}

// Kinds of credential change.
const (
	ChangeCreated      = "created"      // registered for the first time
	ChangeReregistered = "reregistered" // registered_until, subject or issuer changed by a registrar
	ChangeCorrected    = "corrected"    // what identifies the holder changed by correct_credential
	ChangeStatus       = "status"       // status changed by an action
)

// Sources of credential changes.
const (
	SourceAPI    = "api"    // POST /api/v1/admin/credentials
	SourceImport = "import" // a CSV import, over HTTP or on the command line
	SourceAction = "action" // an applied two-person action (ActionID)
)

// FieldChange is one register field that a change set. From and To are the
// values before and after, except for FieldIDNumber: an ID number is never
// kept, so that entry only says that the holder's ID-number link changed.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
}

// FieldIDNumber names the ID-number link in a FieldChange.
const FieldIDNumber = "id_number"

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

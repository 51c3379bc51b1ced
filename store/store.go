// Package store holds the domain types of Ethics Portal, the Store interface
// that is the system of record, and the one error type every layer returns.
//
// Implementations live in store/sqlite and store/postgres; store/storetest is
// the conformance suite both must pass. The search index and caches are
// derived from what a Store holds and can always be rebuilt from it.
package store

import (
	"context"
	"time"
)

// Store is the system of record.
//
// Read methods on the Store see every transaction committed before they were
// called, on any instance sharing the same database. Writes happen only
// inside Update, so that a change, its audit event and its outbox row commit
// together or not at all.
type Store interface {
	Reader

	// Update runs fn inside one write transaction. When fn returns an error
	// the transaction is rolled back and that error is returned unchanged;
	// otherwise it is committed. fn must not retain tx after it returns.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// ClaimOutbox leases up to c.Limit undelivered messages to worker
	// c.Owner until c.Now+c.Lease, in ID order, and increments their
	// Attempts. A message is due when NextAttemptAt is not after c.Now and
	// no lease on it runs past c.Now; it is held back while an older
	// undelivered message has the same ObjectKey, so each object's messages
	// are delivered in order. Workers on several instances may claim at
	// once; no message is leased to two of them at the same time.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]OutboxMessage, error)

	// FinishOutbox records the outcome of a claimed message and releases the
	// lease. EConflict when the message is no longer leased to owner (the
	// lease ran out and another worker took it): the outcome is dropped and
	// the other worker's stands.
	FinishOutbox(ctx context.Context, id int64, owner string, r OutboxResult) error

	// OutboxStats describes the undelivered backlog.
	OutboxStats(ctx context.Context) (OutboxStats, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error

	// Close releases the database. The Store must not be used afterwards.
	Close() error
}

// Reader is the read side of the store, available outside and inside a
// transaction. Methods returning one object return an *Error with code
// ENotFound when there is none.
type Reader interface {
	// UserByName returns the administrator with that username.
	UserByName(ctx context.Context, username string) (*User, error)

	// Users returns every administrator, ordered by username.
	Users(ctx context.Context) ([]User, error)

	// RecoveryCodesLeft is how many unused recovery codes the user has.
	RecoveryCodesLeft(ctx context.Context, username string) (int, error)

	// TokenDenied reports whether the token id was put on the deny list.
	TokenDenied(ctx context.Context, jti string) (bool, error)

	// DeniedTokens returns the deny list's entries that expire at or after
	// t, and those that never expire (the zero time), by token id: what a
	// copy of the deny list elsewhere (Redis) must hold.
	DeniedTokens(ctx context.Context, t time.Time) (map[string]time.Time, error)

	// SigningKeys returns the keys for purpose (a KeyPurpose* value)
	// ordered by generation, oldest first; the last is
	// the one to sign with. An empty slice is not an error.
	SigningKeys(ctx context.Context, purpose string) ([]SigningKey, error)

	// Secret returns the named secret value.
	Secret(ctx context.Context, name string) ([]byte, error)

	// CredentialByNumber returns the credential with that normalised
	// certificate number.
	CredentialByNumber(ctx context.Context, certificateNo string) (*Credential, error)

	// CredentialsByNumbers returns the credentials among numbers that exist,
	// keyed by certificate number. Unknown numbers are simply absent.
	CredentialsByNumbers(ctx context.Context, numbers []string) (map[string]*Credential, error)

	// PersonsByIDHashes returns the persons among hashes that exist, keyed
	// by string(IDHash).
	PersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*Person, error)

	// BansForPerson returns the person's bans, lifted ones included, oldest
	// first. A personID of 0 or an unknown id gives an empty slice.
	BansForPerson(ctx context.Context, personID int64) ([]Ban, error)

	// CredentialWithBans returns the credential with that normalised
	// certificate number and its holder's bans as BansForPerson gives them
	// (lifted ones included, oldest first; an empty slice when the credential
	// is linked to no person), read in one statement and so from one
	// snapshot. ENotFound, with nil bans, when there is no such credential.
	// It is the read of a public verification, so a miss must take the time
	// of a hit: for an unknown number it reads a decoy row of the register
	// (and drops it) where a known number reads its own.
	CredentialWithBans(ctx context.Context, certificateNo string) (*Credential, []Ban, error)
	CredentialBatchReader // CredentialsWithBans, the batch of the read above

	// PersonByID returns the person with that id.
	PersonByID(ctx context.Context, id int64) (*Person, error)

	// BanByID returns the ban with that id.
	BanByID(ctx context.Context, id int64) (*Ban, error)

	// CredentialHistory returns the changes of a credential (creation,
	// re-registrations, corrections, status changes) in the order they were
	// made. An unknown number gives an empty slice.
	CredentialHistory(ctx context.Context, certificateNo string) ([]CredentialChange, error)

	// ActionByID returns the action with that id.
	ActionByID(ctx context.Context, id int64) (*Action, error)

	// Actions returns the actions matching f, newest first, and how many
	// match in all.
	Actions(ctx context.Context, f ActionFilter) ([]Action, int, error)

	// AuditEvents returns up to limit events with Seq greater than after,
	// in Seq order.
	AuditEvents(ctx context.Context, after int64, limit int) ([]AuditEvent, error)

	// LastAuditEvent returns the event with the highest Seq; ENotFound when
	// the log is empty.
	LastAuditEvent(ctx context.Context) (*AuditEvent, error)

	// CaseByID returns the case with that id, with its revisions, whatever
	// its status.
	CaseByID(ctx context.Context, id string) (*Case, error)

	// Cases returns the cases matching f (without revisions) and how many
	// match in all.
	Cases(ctx context.Context, f CaseFilter) ([]Case, int, error)

	// PublishedCases returns up to limit cases with status CasePublished
	// and an ID greater than after, in ID order, without revisions; expired
	// ones included (the caller decides with Case.Visible). Reindexing
	// pages through every published case with it.
	PublishedCases(ctx context.Context, after string, limit int) ([]Case, error)

	// NewestVisibleCases returns up to limit cases visible on today (see
	// Case.Visible), newest PublishedAt first, ties by ID, without
	// revisions: the feed.
	NewestVisibleCases(ctx context.Context, today Date, limit int) ([]Case, error)

	// PublicationGeneration returns the publication generation: a number
	// that grows each time the published set changes in the search index,
	// so that cached search answers of an older generation are not used.
	// 0 on a new store.
	PublicationGeneration(ctx context.Context) (int64, error)

	ClientReader // school clients and their usage (clients.go)
	WatchReader  // watches and webhook deliveries (watches.go)
}

// Tx is the write side of the store, valid only inside Store.Update.
type Tx interface {
	Reader

	// CreateUser adds an administrator. EConflict if the username is taken.
	CreateUser(ctx context.Context, u *User) error

	// UpdateUser applies ch to the named administrator and returns the user
	// as changed. ENotFound if there is no such user; ELastAdmin, changing
	// nothing, if the change would leave no enabled user holding RoleAdmin.
	// The rule holds across instances: such changes are serialised, so two
	// admins disabling each other at once cannot both succeed.
	UpdateUser(ctx context.Context, username string, ch UserChange) (*User, error)

	// AdvanceTOTPStep records step as the last TOTP time step the user
	// signed in with, and reports false (changing nothing) when step is not
	// later than the one recorded: a code is good for one sign-in only.
	AdvanceTOTPStep(ctx context.Context, username string, step int64) (bool, error)

	// ConfirmTOTP sets the user's TOTP secret and last step, and reports
	// true, only while the user has no confirmed second factor (a
	// TOTPLastStep of 0); otherwise it changes nothing and reports false.
	// The condition is in the write, so two enrolments racing for one user
	// cannot both succeed. An unknown user is false.
	ConfirmTOTP(ctx context.Context, username string, secret []byte, step int64) (bool, error)

	// SetRecoveryCodes replaces the user's recovery codes (hashes, never the
	// codes) with hashes; nil removes them all.
	SetRecoveryCodes(ctx context.Context, username string, hashes [][]byte) error

	// UseRecoveryCode removes the user's recovery code with that hash and
	// reports whether there was one, with how many codes the user has left.
	// The removal is one conditional write: of two uses of one code at once,
	// only one reports true.
	UseRecoveryCode(ctx context.Context, username string, hash []byte) (ok bool, left int, err error)

	// DenyToken puts a token id on the deny list until expiresAt.
	// Denying the same id twice is not an error.
	DenyToken(ctx context.Context, jti string, expiresAt time.Time) error

	// PurgeDeniedTokens removes deny-list entries that expired before t and
	// returns how many it removed.
	PurgeDeniedTokens(ctx context.Context, before time.Time) (int, error)

	// AddSigningKey stores k and reports true, or reports false and stores
	// nothing when a key with the same purpose and generation exists (another
	// instance got there first: read SigningKeys again).
	AddSigningKey(ctx context.Context, k SigningKey) (bool, error)

	// PutSecretIfAbsent stores value under name unless the name is taken;
	// either way Secret(name) afterwards returns the value that won.
	PutSecretIfAbsent(ctx context.Context, name string, value []byte) error

	// CreatePersons inserts persons and sets each one's ID.
	// EConflict if an IDHash is already taken.
	CreatePersons(ctx context.Context, ps []*Person) error

	// InsertCredentials inserts new credentials and sets their CreatedAt and
	// UpdatedAt to now. EConflict if a certificate number exists.
	InsertCredentials(ctx context.Context, cs []*Credential, now time.Time) error

	// UpdateCredentialRecords rewrites the register fields of existing
	// credentials (holder name and its folded form, person link, kind,
	// subject, issuer, dates) and sets UpdatedAt to now. Status fields are
	// never touched here: those change only by an applied action.
	// ENotFound if a certificate number does not exist. The write is not
	// conditional: a caller that decides the new fields from the stored
	// ones reads those with LockCredentials in the same transaction.
	UpdateCredentialRecords(ctx context.Context, cs []*Credential, now time.Time) error

	// CreateBan inserts a ban and sets its ID. ENotFound if the person does
	// not exist.
	CreateBan(ctx context.Context, b *Ban) error

	// LiftBan marks a ban lifted at the given time. ENotFound if there is no
	// such ban; EConflict if it was lifted already.
	LiftBan(ctx context.Context, id int64, at time.Time) error

	// CredentialForUpdate returns the credential as CredentialByNumber does
	// and holds it for the rest of the transaction: another transaction's
	// CredentialForUpdate or write of the same credential waits until this
	// one ends, and then sees what it wrote. Read a credential this way
	// before deciding a change to it, so that a concurrent change makes the
	// decision wait and be taken again on the new state instead of failing.
	// ENotFound if the certificate number does not exist.
	CredentialForUpdate(ctx context.Context, certificateNo string) (*Credential, error)

	// LinkCredentialPerson sets the credential's PersonID (and UpdatedAt)
	// to personID, only if it is still from (0: no person), the link the
	// change was decided from. ENotFound if the certificate number does not
	// exist; EConflict, changing nothing, if its link is no longer from.
	LinkCredentialPerson(ctx context.Context, certificateNo string, from, personID int64, at time.Time) error

	// SetCredentialStatus sets Status and SuspendedUntil to those of to,
	// StatusReason to reason (and UpdatedAt), only if the stored Status and
	// SuspendedUntil are still those of from, the state the change was
	// decided from: a change decided on a state another transaction has
	// since changed must not overwrite it. ENotFound if the certificate
	// number does not exist; EConflict, changing nothing, if its status is
	// no longer from.
	SetCredentialStatus(ctx context.Context, certificateNo string, from, to CredentialStatus, reason string, at time.Time) error

	// AddCredentialChange appends to a credential's history and sets the
	// change's ID. ENotFound if the certificate number does not exist.
	AddCredentialChange(ctx context.Context, c *CredentialChange) error

	// AddCredentialChanges appends cs, in order, to their credentials'
	// histories and sets their IDs: AddCredentialChange for many at once, as
	// an import writes one per row. ENotFound if a certificate number does
	// not exist; then nothing is added.
	AddCredentialChanges(ctx context.Context, cs []*CredentialChange) error

	// LockCredentials returns the credentials among numbers that exist, as
	// CredentialsByNumbers does, and keeps any other transaction from
	// changing them until this one ends: a write decided from what it
	// returns cannot overwrite a change committed in between.
	LockCredentials(ctx context.Context, numbers []string) (map[string]*Credential, error)

	// LockPersonsByIDHashes returns the persons among hashes, as
	// PersonsByIDHashes does, and keeps any other transaction from
	// renaming them or changing their ID hash until this one ends, so that
	// a link decided from a person's name still holds when it commits.
	LockPersonsByIDHashes(ctx context.Context, hashes [][]byte) (map[string]*Person, error)

	// CorrectCredential rewrites what identifies the holder of a credential
	// (HolderName with HolderNameFolded, PersonID, Kind, IssuedOn) from the
	// values in from to those in to, and sets UpdatedAt to at. The write is
	// conditional on the stored credential still holding from's values:
	// EConflict, changing nothing, when another change came first (also one
	// committed by a concurrent transaction). ENotFound if the number does
	// not exist.
	CorrectCredential(ctx context.Context, from, to *Credential, at time.Time) error

	// RenamePerson sets the person's Name to name and the holder name (and
	// its folded form) of every credential linked to the person, and returns
	// those credentials' numbers with the holder name each had before. The
	// write is conditional: EConflict, changing nothing, when the person's
	// name is no longer from. ENotFound if there is no such person.
	RenamePerson(ctx context.Context, id int64, from, name, folded string, at time.Time) (map[string]string, error)

	// SetPersonIDHash gives a person who has no ID number the hash of one.
	// EConflict, changing nothing, when the person has one already (also
	// when a concurrent transaction set it) or another person holds hash;
	// ENotFound if there is no such person.
	SetPersonIDHash(ctx context.Context, id int64, hash []byte) error

	// CreateAction inserts a proposed action and sets its ID.
	CreateAction(ctx context.Context, a *Action) error

	// DecideAction moves a pending action to status (ActionApplied or
	// ActionRejected), recording who decided, when and why. It is the
	// guard that makes an action take effect once: ENotFound if there is
	// no such action; EConflict if it is no longer pending, also when
	// another transaction decided it first.
	DecideAction(ctx context.Context, id int64, status, by string, at time.Time, reason string) error

	// AppendAudit seals e as the successor of the last event (see
	// AuditEvent.Seal) and inserts it. Appends are serialised across every
	// instance on the database, so the chain never forks.
	AppendAudit(ctx context.Context, e *AuditEvent) error

	// EnqueueOutbox inserts a message and sets its ID. The caller sets
	// CreatedAt and NextAttemptAt.
	EnqueueOutbox(ctx context.Context, m *OutboxMessage) error

	// CreateCase inserts a new case with Version 1 (it sets c.Version).
	// The caller sets every other field. EConflict if the ID is taken.
	CreateCase(ctx context.Context, c *Case) error

	// WriteCase rewrites every field of the stored case c.ID but ID,
	// CreatedBy, CreatedAt and Revisions from c, only if the stored Version
	// is still fromVersion, the one the change was decided from; it then
	// sets the stored and c's Version to fromVersion+1. ENotFound if there
	// is no such case; EConflict, changing nothing, when the version moved
	// (also when a concurrent transaction wrote the case first).
	WriteCase(ctx context.Context, c *Case, fromVersion int64) error

	// AddCaseRevision appends r to the case's revisions and sets r.Seq to
	// the next number of that case (1 for the first). ENotFound if there is
	// no such case.
	AddCaseRevision(ctx context.Context, caseID string, r *CaseRevision) error

	// ExpireCases marks up to limit published cases whose PublishUntil is
	// before today and whose ExpiredAt is zero as expired at at (bumping
	// their Version) and returns their IDs, so that the caller can enqueue
	// their removal from the index in the same transaction. Cases expired
	// by a concurrent transaction are not returned twice.
	ExpireCases(ctx context.Context, today Date, at time.Time, limit int) ([]string, error)

	// BumpPublicationGeneration increments the publication generation and
	// returns the new value.
	BumpPublicationGeneration(ctx context.Context) (int64, error)

	ClientWriter // school clients and their usage (clients.go)
	WatchWriter  // watches and webhook deliveries (watches.go)
}

// Roles of administrators.
const (
	RoleEditor    = "editor"    // drafts cases, proposes case actions
	RoleRegistrar = "registrar" // keeps the credential register, proposes credential and ban actions
	RoleReviewer  = "reviewer"  // approves or rejects actions
	RoleAuditor   = "auditor"   // reads the audit log
	RoleAdmin     = "admin"     // all of the above, and manages users and clients
)

// Roles lists every role in a stable order.
var Roles = []string{RoleEditor, RoleRegistrar, RoleReviewer, RoleAuditor, RoleAdmin}

// User is an administrator of the portal.
type User struct {
	Username     string
	PasswordHash string   // argon2id in PHC string form; never the password
	Roles        []string // a subset of Roles
	TOTPSecret   []byte   // nil when the user has no second factor
	TOTPLastStep int64    // the last TOTP step used to sign in
	Disabled     bool     // a disabled user cannot sign in and their tokens are refused
	CreatedAt    time.Time
	// TokensNotBefore refuses the user's tokens issued before it (zero:
	// none). Changes that must end every session (a new password, disabling
	// or enabling, a reset second factor) move it forward.
	TokensNotBefore time.Time
}

// EnabledAdmin reports whether u counts for the last-admin rule: enabled
// and holding RoleAdmin.
func (u *User) EnabledAdmin() bool {
	for _, r := range u.Roles {
		if r == RoleAdmin {
			return !u.Disabled
		}
	}
	return false
}

// UserChange is what Tx.UpdateUser changes; nil or false fields stay as
// they are.
type UserChange struct {
	Roles        []string // the new roles, when not nil
	Disabled     *bool    // the new disabled state, when not nil
	PasswordHash string   // the new password hash, when not empty
	SetTOTP      bool     // replace the TOTP secret with TOTPSecret (nil: none) and reset TOTPLastStep
	TOTPSecret   []byte
	// EndSessionsAt, when not zero, becomes TokensNotBefore: every token
	// issued before it is refused from then on.
	EndSessionsAt time.Time
}

// Apply returns u with ch applied.
func (ch UserChange) Apply(u User) User {
	if ch.Roles != nil {
		u.Roles = ch.Roles
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
	}
	if ch.PasswordHash != "" {
		u.PasswordHash = ch.PasswordHash
	}
	if ch.SetTOTP {
		u.TOTPSecret, u.TOTPLastStep = ch.TOTPSecret, 0
	}
	if !ch.EndSessionsAt.IsZero() {
		// In UTC to the microsecond, as every store keeps times, so the
		// user UpdateUser returns equals the one a later read gives.
		u.TokensNotBefore = ch.EndSessionsAt.UTC().Truncate(time.Microsecond)
	}
	return u
}

// HasRole reports whether u holds role, or admin, which holds every role.
func (u *User) HasRole(role string) bool {
	for _, r := range u.Roles {
		if r == role || r == RoleAdmin {
			return true
		}
	}
	return false
}

// Purposes of signing keys. Token and receipt keys are kept apart so that a
// receipt can never pass as an admin token or the other way round.
const (
	KeyPurposeToken   = "token"
	KeyPurposeReceipt = "receipt"
)

// KeyPurposeCheckpoint is the purpose of the key that signs audit
// checkpoints, and nothing else.
const KeyPurposeCheckpoint = "checkpoint"

// SigningKey is an Ed25519 key kept in the store so that every instance on
// the same store signs and verifies with the same keys.
type SigningKey struct {
	KID        string
	Purpose    string
	Generation int    // 1 for the first key of a purpose, then 2, ...
	PrivateKey []byte // ed25519.PrivateKey (64 bytes)
	CreatedAt  time.Time
}

// Credential statuses. Active, suspended and revoked are stored; lapsed is
// derived from RegisteredUntil (see Credential.EffectiveStatus).
const (
	StatusActive    = "active"
	StatusLapsed    = "lapsed"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
)

// Credential is a teacher qualification certificate (教师资格证书) in the register.
type Credential struct {
	CertificateNo    string // normalised: upper-case letters and digits only
	HolderName       string // as registered
	HolderNameFolded string // HolderName folded for matching (NFC, width, Traditional to Simplified)
	PersonID         int64  // 0 until the holder is linked to a Person
	Kind             string // one of CredentialKinds
	Subject          string
	Issuer           string
	IssuedOn         Date
	RegisteredUntil  Date   // end of the current five-year registration (定期注册)
	Status           string // stored status: active, suspended or revoked
	SuspendedUntil   Date   // for a suspension with an end; zero otherwise
	StatusReason     string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// CredentialStatus is the part of a credential's stored status that an
// action decides from and changes.
type CredentialStatus struct {
	Status         string // active, suspended or revoked
	SuspendedUntil Date   // for a suspension with an end; zero otherwise
}

// StoredStatus returns c's stored status, as SetCredentialStatus compares it.
func (c *Credential) StoredStatus() CredentialStatus {
	return CredentialStatus{Status: c.Status, SuspendedUntil: c.SuspendedUntil}
}

// EffectiveStatus is the status a check reports on the given day: a
// suspension whose end has passed counts as over, and a credential whose
// registration ran out before today is lapsed unless something graver holds.
func (c *Credential) EffectiveStatus(today Date) string {
	switch c.Status {
	case StatusRevoked:
		return StatusRevoked
	case StatusSuspended:
		if c.SuspendedUntil.IsZero() || !c.SuspendedUntil.Before(today) {
			return StatusSuspended
		}
	}
	if c.RegisteredUntil.Before(today) {
		return StatusLapsed
	}
	return StatusActive
}

// SameRecord reports whether c and o hold the same register fields, the ones
// UpdateCredentialRecords writes.
func (c *Credential) SameRecord(o *Credential) bool {
	return c.CertificateNo == o.CertificateNo && c.HolderName == o.HolderName &&
		c.HolderNameFolded == o.HolderNameFolded && c.PersonID == o.PersonID &&
		c.Kind == o.Kind && c.Subject == o.Subject && c.Issuer == o.Issuer &&
		c.IssuedOn == o.IssuedOn && c.RegisteredUntil == o.RegisteredUntil
}

// Person is the holder of credentials and the subject of bans. The resident
// ID number is never stored, only a keyed hash of it.
type Person struct {
	ID        int64
	Name      string
	IDHash    []byte // HMAC-SHA256 of the normalised ID number; nil when unknown
	CreatedAt time.Time
}

// Ban scopes (行业禁入).
const (
	BanScopeEducation = "education" // the whole education sector
	BanScopeTeaching  = "teaching"  // teaching posts
)

// Ban is an industry ban on a person.
type Ban struct {
	ID        int64
	PersonID  int64
	Scope     string
	StartsOn  Date
	EndsOn    Date // zero: permanent
	Reason    string
	CaseID    string // the case it follows from, if any
	CreatedAt time.Time
	LiftedAt  time.Time // zero while not lifted
}

// Permanent reports whether the ban has no end date.
func (b *Ban) Permanent() bool { return b.EndsOn.IsZero() }

// InForce reports whether the ban applies on the given day.
func (b *Ban) InForce(today Date) bool {
	if !b.LiftedAt.IsZero() || today.Before(b.StartsOn) {
		return false
	}
	return b.EndsOn.IsZero() || !b.EndsOn.Before(today)
}

// Current reports whether the ban is in force or yet to start.
func (b *Ban) Current(today Date) bool {
	return b.LiftedAt.IsZero() && (b.EndsOn.IsZero() || !b.EndsOn.Before(today))
}

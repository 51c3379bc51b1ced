// Package storetest is the conformance suite every store.Store
// implementation must pass, in the manner of testing/fstest.TestFS: an
// implementation's own test calls Run with a way to make databases.
//
// Every subtest runs on a fresh database. Times are written with nanoseconds
// in Beijing time and must come back truncated to the microsecond, in UTC.
// The suite never runs another statement in a transaction after one failed
// (PostgreSQL aborts the transaction), and synchronises goroutines with
// channels and WaitGroups, never with sleeps. A check that fails inside a
// transaction may call t.Fatal from fn, so Update must roll back when fn
// leaves by runtime.Goexit, as a deferred rollback does.
package storetest

import (
	"testing"

	"ethicsportal/store"
)

// Run runs the suite. newDB creates a fresh, empty database and returns a
// function that opens a handle on it; calling that function twice gives two
// handles on the same database, as two application instances would have.
// Handles are closed by the opener's own t.Cleanup.
func Run(t *testing.T, newDB func(t *testing.T) func(t *testing.T) store.Store) {
	s := suite{newDB: newDB}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s suite)
}

var groups = []struct {
	name  string
	tests []test
}{
	{"Users", []test{
		{"RoundTrip", testUserRoundTrip},
		{"NotFound", testUserNotFound},
		{"CreateConflict", testCreateUserConflict},
		{"AdvanceTOTPStep", testAdvanceTOTPStep},
		{"AdvanceTOTPStepRace", testAdvanceTOTPStepRace},
		{"List", testUsersList},
		{"UpdateUser", testUpdateUser},
		{"LastAdmin", testLastAdmin},
		{"LastAdminRace", testLastAdminRace},
		{"ConfirmTOTP", testConfirmTOTP},
		{"ConfirmTOTPRace", testConfirmTOTPRace},
		{"RecoveryCodes", testRecoveryCodes},
		{"UseRecoveryCodeRace", testUseRecoveryCodeRace},
	}},
	{"Tokens", []test{
		{"DenyToken", testDenyToken},
		{"PurgeDeniedTokens", testPurgeDeniedTokens},
		{"DeniedTokens", testDeniedTokens},
	}},
	{"SigningKeys", []test{
		{"AddAndList", testSigningKeys},
		{"AddRace", testAddSigningKeyRace},
	}},
	{"Secrets", []test{
		{"PutIfAbsent", testSecrets},
		{"PutIfAbsentRace", testPutSecretIfAbsentRace},
	}},
	{"Persons", []test{
		{"RoundTrip", testPersonsRoundTrip},
		{"Conflict", testCreatePersonsConflict},
		{"ManyHashes", testPersonsByManyHashes},
		{"ByID", testPersonByID},
		{"Rename", testRenamePerson},
		{"SetIDHash", testSetPersonIDHash},
		{"Lock", testLockPersons},
	}},
	{"Credentials", []test{
		{"RoundTrip", testCredentialRoundTrip},
		{"NotFound", testCredentialNotFound},
		{"InsertConflict", testInsertCredentialsConflict},
		{"UpdateRecords", testUpdateCredentialRecords},
		{"UpdateRecordsNotFound", testUpdateCredentialRecordsNotFound},
		{"ByNumbers", testCredentialsByNumbers},
		{"ByManyNumbers", testCredentialsByManyNumbers},
		{"UpdateManyRecords", testUpdateManyCredentialRecords},
		{"SetStatus", testSetCredentialStatus},
		{"SetStatusConflict", testSetCredentialStatusConflict},
		{"SetStatusRace", testSetCredentialStatusRace},
		{"ForUpdate", testCredentialForUpdate},
		{"ForUpdateRace", testCredentialForUpdateRace},
		{"LinkPerson", testLinkCredentialPerson},
		{"LinkPersonRace", testLinkCredentialPersonRace},
		{"History", testCredentialHistory},
		{"HistoryEntries", testCredentialHistoryEntries},
		{"Correct", testCorrectCredential},
		{"CorrectRace", testCorrectCredentialRace},
		{"Lock", testLockCredentials},
	}},
	{"Bans", []test{
		{"RoundTripAndOrder", testBans},
		{"UnknownPerson", testCreateBanUnknownPerson},
		{"ByID", testBanByID},
		{"Lift", testLiftBan},
	}},
	{"CredentialWithBans", []test{
		{"AgainstSeparateReads", testCredentialWithBans},
		{"SeesCommits", testCredentialWithBansSeesCommits},
		{"Batch", testCredentialsWithBans},
	}},
	{"Actions", []test{
		{"RoundTrip", testActionRoundTrip},
		{"NotFound", testActionNotFound},
		{"DecideTwice", testDecideActionTwice},
		{"DecideRace", testDecideActionRace},
		{"List", testActionsList},
	}},
	{"Audit", []test{
		{"RoundTripAndChain", testAuditRoundTrip},
		{"Paging", testAuditPaging},
		{"AppendRace", testAppendAuditRace},
	}},
	{"Outbox", []test{
		{"RoundTrip", testOutboxRoundTrip},
		{"OrderPerKey", testOutboxOrderPerKey},
		{"Lease", testOutboxLease},
		{"NextAttempt", testOutboxNextAttempt},
		{"FinishWrongOwner", testOutboxFinishWrongOwner},
		{"ClaimRace", testOutboxClaimRace},
		{"Stats", testOutboxStats},
	}},
	{"Cases", []test{
		{"RoundTrip", testCaseRoundTrip},
		{"CreateConflict", testCreateCaseConflict},
		{"Write", testWriteCase},
		{"WriteRace", testWriteCaseRace},
		{"AddRevision", testAddCaseRevision},
		{"AddRevisionRace", testAddCaseRevisionRace},
		{"List", testCasesList},
		{"NewestVisible", testNewestVisibleCases},
		{"Published", testPublishedCases},
		{"Expire", testExpireCases},
		{"ExpireRace", testExpireCasesRace},
		{"PublicationGeneration", testPublicationGeneration},
	}},
	{"Clients", clientTests},
	{"Watches", watchTests},
	{"Update", []test{
		{"Rollback", testUpdateRollback},
		{"RollbackDecision", testUpdateRollbackDecision},
		{"ReturnsStoreError", testUpdateReturnsStoreError},
		{"VisibleAcrossHandles", testVisibleAcrossHandles},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Ping", testPing},
	}},
}

type suite struct {
	newDB func(t *testing.T) func(t *testing.T) store.Store
}

// open returns one handle on a fresh database.
func (s suite) open(t *testing.T) store.Store {
	t.Helper()
	return s.newDB(t)(t)
}

// pair returns two handles on one fresh database.
func (s suite) pair(t *testing.T) (store.Store, store.Store) {
	t.Helper()
	opener := s.newDB(t)
	return opener(t), opener(t)
}

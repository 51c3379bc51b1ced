package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// stmtID names one of the statements prepared once at Open. Preparing costs
// more than running a point lookup, and verification runs thousands of
// lookups a second, so no hot statement is ever prepared per call.
type stmtID int

// Statements the Reader methods run. They are prepared on the reader pool
// (used outside transactions) and on the writer (used inside Update).
const (
	sUserByName stmtID = iota
	sTokenDenied
	sDeniedTokens
	sSigningKeys
	sSecret
	sCredentialByNumber
	sCredentialsByNumbers
	sPersonsByIDHashes
	sBansForPerson
	sPersonByID
	sBanByID
	sCredentialHistory
	sActionByID
	sActions
	sActionsByStatus
	sCountActions
	sCountActionsByStatus
	sAuditEvents
	sLastAuditEvent
	sOutboxStats // not a Reader method, but a read: the Store runs it on the pool
	sCountCredentialsIn
	sUsers
	sCredentialWithBans
	sCredentialsWithBans
	sCaseByID
	sCases
	sCasesByStatus
	sCasesPending
	sCountCases
	sCountCasesByStatus
	sCountCasesPending
	sPublishedCases
	sNewestVisibleCases
	sPublicationGeneration
	sClientByID // clients.go
	sClients
	sClientUsage
	sCountClientUsage
	sRecoveryCodesLeft // recovery.go
	numReadStmts
)

// Statements only the writer prepares.
const (
	sCreateUser stmtID = numReadStmts + iota
	sAdvanceTOTPStep
	sUserExists
	sUpdateUser
	sCountOtherEnabledAdmins
	sDenyToken
	sPurgeDeniedTokens
	sAddSigningKey
	sPutSecret
	sCreatePerson
	sInsertCredentials1
	sInsertCredentials8
	sInsertCredentials64
	sUpdateCredentialRecords1
	sUpdateCredentialRecords8
	sUpdateCredentialRecords64
	sCreateBan
	sLiftBan
	sLinkCredentialPerson
	sSetCredentialStatus
	sAddCredentialChange
	sAddCredentialChanges8
	sAddCredentialChanges64
	sCreateAction
	sDecideAction
	sAppendAudit
	sEnqueueOutbox
	sClaimOutbox
	sFinishOutbox
	sCreateCase
	sWriteCase
	sCaseExists
	sAddCaseRevision
	sExpireCases
	sBumpPublicationGeneration
	sCreateClient // clients.go
	sSetClientDisabled
	sRotateClientKey
	sSetClientSecret
	sClientExists
	sAddClientUsage
	numStmts
)

const userCols = `username, password_hash, roles, totp_secret, totp_last_step, created_at, disabled, tokens_not_before`

const credentialCols = `certificate_no, holder_name, holder_name_folded, person_id, kind, subject,
	issuer, issued_on, registered_until, status, suspended_until, status_reason, created_at, updated_at`

// credentialColCount is the number of columns in credentialCols, and so the
// number of parameters per row of a credential INSERT.
const credentialColCount = 14

const banCols = `id, person_id, scope, starts_on, ends_on, reason, case_id, created_at, lifted_at`

const actionCols = `id, kind, object, params, reason, status, proposed_by, proposed_at,
	decided_by, decided_at, decision_reason`

const changeCols = `id, certificate_no, at, from_status, to_status, until, reason, case_id,
	action_id, proposed_by, approved_by, kind, actor, source, source_file, source_row, fields`

// changeInsertCols are the columns an added history entry sets, and
// changeColCount their number: the parameters per row of its INSERT.
const (
	changeInsertCols = `certificate_no, at, from_status, to_status, until, reason, case_id, action_id,
	proposed_by, approved_by, kind, actor, source, source_file, source_row, fields`
	changeColCount = 16
)

const auditCols = `seq, at, actor, action, object, details, digest, prev_hash, hash`

const outboxCols = `id, topic, object_key, payload, created_at, attempts, next_attempt_at,
	claimed_by, claimed_until, delivered_at, done, last_error`

// batchSize is one size of a prepared multi-row statement.
type batchSize struct {
	rows int
	id   stmtID
}

// insertCredentialSizes and updateCredentialSizes are the row counts of the
// prepared multi-row statements, largest first. A batch is cut into as many
// of the largest as fit, then the next, so 1,000 rows take 15+5 statements
// instead of 1,000, and every statement is one prepared at Open. Executing a
// statement costs more than a row in it: per-row statements held an import
// to half the rate.
var (
	insertCredentialSizes = []batchSize{{64, sInsertCredentials64}, {8, sInsertCredentials8}, {1, sInsertCredentials1}}
	updateCredentialSizes = []batchSize{{64, sUpdateCredentialRecords64}, {8, sUpdateCredentialRecords8}, {1, sUpdateCredentialRecords1}}
	addChangeSizes        = []batchSize{{64, sAddCredentialChanges64}, {8, sAddCredentialChanges8}, {1, sAddCredentialChange}}
)

// chunks calls fn for consecutive pieces of rows, each of one of sizes.
func chunks[T any](rows []T, sizes []batchSize, fn func(chunk []T, id stmtID) error) error {
	for _, size := range sizes {
		for len(rows) >= size.rows {
			if err := fn(rows[:size.rows], size.id); err != nil {
				return err
			}
			rows = rows[size.rows:]
		}
	}
	return nil
}

var stmtSQL = [numStmts]string{
	sUserByName:   `SELECT ` + userCols + ` FROM users WHERE username = ?`,
	sUsers:        `SELECT ` + userCols + ` FROM users ORDER BY username`,
	sTokenDenied:  `SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE jti = ?)`,
	sDeniedTokens: `SELECT jti, expires_at FROM denied_tokens WHERE expires_at IS NULL OR expires_at >= ?`,
	sSigningKeys: `SELECT kid, purpose, generation, private_key, created_at
		FROM signing_keys WHERE purpose = ? ORDER BY generation`,
	sSecret:               `SELECT value FROM secrets WHERE name = ?`,
	sCredentialByNumber:   `SELECT ` + credentialCols + ` FROM credentials WHERE certificate_no = ?`,
	sCredentialsByNumbers: `SELECT ` + credentialCols + ` FROM credentials WHERE certificate_no IN (SELECT value FROM json_each(?))`,
	sCountCredentialsIn:   `SELECT count(*) FROM credentials WHERE certificate_no IN (SELECT value FROM json_each(?))`,
	sPersonsByIDHashes: `SELECT id, name, id_hash, created_at FROM persons
		WHERE id_hash IN (SELECT unhex(value) FROM json_each(?))`,
	sBansForPerson: `SELECT ` + banCols + ` FROM bans WHERE person_id = ? ORDER BY id`,
	sPersonByID:    `SELECT id, name, id_hash, created_at FROM persons WHERE id = ?`,
	sBanByID:       `SELECT ` + banCols + ` FROM bans WHERE id = ?`,
	sCredentialHistory: `SELECT ` + changeCols + ` FROM credential_changes
		WHERE certificate_no = ? ORDER BY id`,
	sActionByID: `SELECT ` + actionCols + ` FROM actions WHERE id = ?`,
	// Two statements each for listing and counting, with and without a
	// status, rather than one with "?1 = '' OR status = ?1": the planner
	// cannot use the status index for a condition it cannot see through.
	sActions: `SELECT ` + actionCols + ` FROM actions ORDER BY id DESC LIMIT ? OFFSET ?`,
	sActionsByStatus: `SELECT ` + actionCols + ` FROM actions WHERE status = ?
		ORDER BY id DESC LIMIT ? OFFSET ?`,
	sCountActions:         `SELECT count(*) FROM actions`,
	sCountActionsByStatus: `SELECT count(*) FROM actions WHERE status = ?`,
	sAuditEvents:          `SELECT ` + auditCols + ` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`,
	sLastAuditEvent:       `SELECT ` + auditCols + ` FROM audit_events ORDER BY seq DESC LIMIT 1`,
	sOutboxStats:          `SELECT count(*), min(created_at) FROM outbox WHERE delivered_at IS NULL`,
	sCredentialWithBans:   credentialWithBansSQL,
	sCredentialsWithBans:  credentialsWithBansSQL,
	sCaseByID:             caseByIDSQL,
	// Separate texts with and without a status, as for actions, so that
	// each list walks its own index in order.
	sCases:         `SELECT ` + caseCols + ` FROM cases ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
	sCasesByStatus: `SELECT ` + caseCols + ` FROM cases WHERE status = ? ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
	sCasesPending: `SELECT ` + caseCols + ` FROM cases WHERE ` + pendingCases + `
		ORDER BY updated_at DESC, id LIMIT ?2 OFFSET ?3`,
	sCountCases:         `SELECT count(*) FROM cases`,
	sCountCasesByStatus: `SELECT count(*) FROM cases WHERE status = ?`,
	sCountCasesPending:  `SELECT count(*) FROM cases WHERE ` + pendingCases,
	// The store never runs ANALYZE, and without statistics the planner
	// takes the (status, updated_at) index for status = 'published' and
	// sorts what it finds; the partial indexes give the order as it is.
	sPublishedCases: `SELECT ` + caseCols + ` FROM cases INDEXED BY cases_published_id
		WHERE status = 'published' AND id > ? ORDER BY id LIMIT ?`,
	sNewestVisibleCases: `SELECT ` + caseCols + ` FROM cases INDEXED BY cases_published_feed
		WHERE status = 'published' AND (publish_until IS NULL OR publish_until >= ?)
		ORDER BY published_at DESC, id LIMIT ?`,
	sPublicationGeneration: `SELECT generation FROM publication_generation WHERE id = 1`,
	sClientByID:            `SELECT ` + clientCols + ` FROM clients WHERE id = ?`,
	sClients:               `SELECT ` + clientCols + ` FROM clients ORDER BY created_at, id`,
	sClientUsage: `SELECT ` + clientUsageCols + ` FROM client_usage WHERE client_id = ?
		ORDER BY id DESC LIMIT ? OFFSET ?`,
	sCountClientUsage:  `SELECT count(*) FROM client_usage WHERE client_id = ?`,
	sRecoveryCodesLeft: `SELECT count(*) FROM recovery_codes WHERE username = ?`,

	sCreateUser:      `INSERT INTO users (` + userCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	sAdvanceTOTPStep: `UPDATE users SET totp_last_step = ?2 WHERE username = ?1 AND totp_last_step < ?2`,
	sUserExists:      `SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)`,
	sUpdateUser: `UPDATE users SET password_hash = ?2, roles = ?3, totp_secret = ?4, totp_last_step = ?5, disabled = ?6,
		tokens_not_before = ?7 WHERE username = ?1`,
	sCountOtherEnabledAdmins: `SELECT count(*) FROM users
		WHERE username <> ? AND NOT disabled AND EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = 'admin')`,
	// A second denial keeps the later expiry, so that re-denying a token can
	// only lengthen, never shorten, the time it stays refused.
	sDenyToken: `INSERT INTO denied_tokens (jti, expires_at) VALUES (?, ?)
		ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
			WHEN expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
			ELSE max(expires_at, excluded.expires_at) END`,
	sPurgeDeniedTokens: `DELETE FROM denied_tokens WHERE expires_at < ?`,
	sAddSigningKey: `INSERT INTO signing_keys (kid, purpose, generation, private_key, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (purpose, generation) DO NOTHING`,
	sPutSecret:                 `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
	sCreatePerson:              `INSERT OR FAIL INTO persons (name, id_hash, created_at) VALUES (?, ?, ?)`,
	sInsertCredentials1:        insertCredentialsSQL(1),
	sInsertCredentials8:        insertCredentialsSQL(8),
	sInsertCredentials64:       insertCredentialsSQL(64),
	sUpdateCredentialRecords1:  updateCredentialsSQL(1),
	sUpdateCredentialRecords8:  updateCredentialsSQL(8),
	sUpdateCredentialRecords64: updateCredentialsSQL(64),
	sCreateBan: `INSERT INTO bans (person_id, scope, starts_on, ends_on, reason, case_id, created_at, lifted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	// The lift is conditional, so that of two transactions lifting one ban
	// the second changes nothing and learns of it from the row count.
	sLiftBan: `UPDATE bans SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL`,
	// Conditional on the state the change was decided from, as on
	// PostgreSQL, so that the contract is one whatever the backend.
	sLinkCredentialPerson: `UPDATE credentials SET person_id = ?, updated_at = ?
		WHERE certificate_no = ? AND person_id IS ?`,
	sSetCredentialStatus: `UPDATE credentials SET status = ?, suspended_until = ?, status_reason = ?, updated_at = ?
		WHERE certificate_no = ? AND status = ? AND suspended_until IS ?`,
	sAddCredentialChange:    addCredentialChangesSQL(1),
	sAddCredentialChanges8:  addCredentialChangesSQL(8),
	sAddCredentialChanges64: addCredentialChangesSQL(64),
	sCreateAction: `INSERT INTO actions (kind, object, params, reason, status, proposed_by, proposed_at,
		decided_by, decided_at, decision_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	// The pending condition is the guard that makes an action take effect
	// once: of two transactions deciding it, the second matches no row.
	sDecideAction: `UPDATE actions SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?
		WHERE id = ? AND status = 'pending'`,
	sAppendAudit: `INSERT INTO audit_events (` + auditCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	sEnqueueOutbox: `INSERT INTO outbox (topic, object_key, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?)`,
	sClaimOutbox:  claimOutboxSQL,
	sFinishOutbox: finishOutboxSQL,
	sCreateCase: `INSERT INTO cases (` + caseCols + `) VALUES ` + valuesRows(1, caseColCount) + `
		ON CONFLICT (id) DO NOTHING`,
	sWriteCase:                 writeCaseSQL,
	sCaseExists:                `SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?)`,
	sAddCaseRevision:           addCaseRevisionSQL,
	sExpireCases:               expireCasesSQL,
	sBumpPublicationGeneration: `UPDATE publication_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation`,
	sCreateClient: `INSERT INTO clients (` + clientCols + `) VALUES ` + valuesRows(1, clientColCount) + `
		ON CONFLICT (id) DO NOTHING`,
	// Each client write is conditional on the state it was decided from:
	// of two overlapping changes of one client, the second matches no row.
	sSetClientDisabled: `UPDATE clients SET disabled = ?3 WHERE id = ?1 AND disabled = ?2`,
	sRotateClientKey: `UPDATE clients SET key_hash = ?3, prev_key_hash = key_hash, prev_key_until = ?4
		WHERE id = ?1 AND key_hash = ?2`,
	sSetClientSecret: `UPDATE clients SET secret_version = ?3, secret_hash = ?4 WHERE id = ?1 AND secret_version = ?2`,
	sClientExists:    `SELECT EXISTS (SELECT 1 FROM clients WHERE id = ?)`,
	// The rows come as one JSON array of [client_id, at, kind, certificate_no,
	// match, receipt_id] arrays: a batch verification's 500 rows are one
	// statement, not 500.
	sAddClientUsage: `INSERT INTO client_usage (client_id, at, kind, certificate_no, match, receipt_id)
		SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
		FROM json_each(?) ORDER BY key`,
}

// valuesRows returns rows placeholder tuples of cols each: "(?, ?), (?, ?)".
func valuesRows(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

func insertCredentialsSQL(rows int) string {
	return "INSERT OR FAIL INTO credentials (" + credentialCols + ") VALUES " + valuesRows(rows, credentialColCount)
}

// addCredentialChangesSQL inserts rows history entries. The ids are
// assigned in the order of the VALUES list, so the entries of one call keep
// their order in the history.
func addCredentialChangesSQL(rows int) string {
	return "INSERT INTO credential_changes (" + changeInsertCols + ") VALUES " + valuesRows(rows, changeColCount)
}

// updateRecordCols is the number of parameters per row of a record update:
// the number and the register fields, in the order of the SET list.
const updateRecordCols = 9

// updateCredentialsSQL rewrites the register fields of rows credentials in
// one statement, joining the table to a VALUES list on the primary key. The
// status fields and created_at are not in it, so no caller can change them
// here. ?1 is the time of the update, the same for every row.
func updateCredentialsSQL(rows int) string {
	return `UPDATE OR FAIL credentials SET updated_at = ?1, holder_name = v.column2, holder_name_folded = v.column3,
		person_id = v.column4, kind = v.column5, subject = v.column6, issuer = v.column7,
		issued_on = v.column8, registered_until = v.column9
		FROM (VALUES ` + valuesRows(rows, updateRecordCols) + `) AS v
		WHERE credentials.certificate_no = v.column1`
}

// prepare prepares the statements numbered below to on db. On error the statements already
// prepared are closed.
func prepare(ctx context.Context, db *sql.DB, stmts []*sql.Stmt, to stmtID) error {
	for id := range to {
		s, err := db.PrepareContext(ctx, stmtSQL[id])
		if err != nil {
			closeStmts(stmts)
			return fmt.Errorf("sqlite: prepare %q: %w", firstLine(stmtSQL[id]), err)
		}
		stmts[id] = s
	}
	return nil
}

func closeStmts(stmts []*sql.Stmt) {
	for i, s := range stmts {
		if s != nil {
			s.Close()
			stmts[i] = nil
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// stmtSource gives the Reader methods their statements: the reader pool's
// outside a transaction, the transaction's inside one. The read code is
// written once and runs the same SQL either way.
type stmtSource interface {
	stmt(ctx context.Context, id stmtID) *sql.Stmt
}

// reader implements store.Reader on a stmtSource.
type reader struct{ src stmtSource }

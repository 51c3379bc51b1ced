-- +goose Up
-- Two-person actions, the status history of credentials, the hash-chained
-- audit log and the outbox of side effects.
--
-- Conventions as in 001. JSON values (action parameters, audit details,
-- outbox payloads) are TEXT holding the bytes the caller gave, never parsed
-- or re-encoded: an audit digest is over the exact bytes, and a parameter
-- set read back must be the one that was approved. TEXT rather than BLOB so
-- that SQLite's json functions read them as JSON text (a BLOB would be taken
-- for JSONB). NULL is a nil value, so nil and empty stay apart.

CREATE TABLE actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    object          TEXT NOT NULL,
    params          TEXT,
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    proposed_by     TEXT NOT NULL,
    proposed_at     INTEGER,
    decided_by      TEXT NOT NULL DEFAULT '', -- '' while pending
    decided_at      INTEGER,                  -- NULL while pending
    decision_reason TEXT NOT NULL DEFAULT ''
) STRICT;

-- Lists the actions of one status, newest first (walked backwards).
CREATE INDEX actions_status_id ON actions (status, id);

-- certificate_no is a foreign key: a change to a credential that does not
-- exist is refused by the schema, whoever writes it. action_id is not: a
-- history entry may come from an import that no action stands behind.
CREATE TABLE credential_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_no TEXT NOT NULL REFERENCES credentials (certificate_no),
    at             INTEGER,
    from_status    TEXT NOT NULL,
    to_status      TEXT NOT NULL,
    until          TEXT, -- end of a suspension; NULL otherwise
    reason         TEXT NOT NULL,
    case_id        TEXT NOT NULL DEFAULT '',
    action_id      INTEGER, -- NULL: no action
    proposed_by    TEXT NOT NULL,
    approved_by    TEXT NOT NULL
) STRICT;

-- Serves CredentialHistory (an index entry ends in the rowid, so the entries
-- of one number are in id order) and the foreign key check.
CREATE INDEX credential_changes_certificate_no ON credential_changes (certificate_no);

-- seq is given by AuditEvent.Seal, not by SQLite: an append reads the last
-- event and inserts its successor in one write transaction, and the primary
-- key refuses a second event with the same seq should two ever try.
CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY CHECK (seq > 0),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    details   TEXT NOT NULL,
    digest    BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
) STRICT;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    topic           TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    payload         TEXT,
    created_at      INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,                  -- NULL: due at once
    claimed_by      TEXT NOT NULL DEFAULT '', -- '' when no worker holds a lease
    claimed_until   INTEGER,                  -- NULL when no worker holds a lease
    delivered_at    INTEGER,                  -- NULL until delivered
    done            TEXT NOT NULL DEFAULT '[]', -- JSON array of consumer names
    last_error      TEXT NOT NULL DEFAULT ''
) STRICT;

-- Both indexes hold the backlog only: delivered messages pile up for ever
-- and no lookup wants them. The first is walked in id order by ClaimOutbox,
-- which reads whether a message is due from the entry itself and stops at
-- its limit (an index on next_attempt_at would need a sort, and the planner
-- then scans the whole table in id order instead); it also counts the
-- backlog for OutboxStats. The second answers "is an older message of this
-- object still undelivered?" with one probe, where an index over every
-- message would walk the object's whole delivered past.
CREATE INDEX outbox_due ON outbox (id, next_attempt_at, claimed_until, object_key)
    WHERE delivered_at IS NULL;
CREATE INDEX outbox_object_key_id ON outbox (object_key, id) WHERE delivered_at IS NULL;

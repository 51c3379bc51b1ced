-- +goose Up
-- The initial schema of the register.
--
-- Conventions, so that every table reads the same way:
--   * Times are INTEGER microseconds since the Unix epoch, UTC: they sort, compare
--     and round-trip at the precision PostgreSQL keeps. NULL is the zero time.
--   * Dates are TEXT YYYY-MM-DD (store.Date's Valuer), which sorts as dates do.
--     NULL is the zero ("no") date.
--   * Tables are STRICT so that a value of the wrong type is an error at once,
--     not a surprise on the next read.

CREATE TABLE users (
    username       TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    roles          TEXT NOT NULL DEFAULT '[]', -- JSON array of role names
    totp_secret    BLOB,                       -- NULL: no second factor
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER
) STRICT;

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    private_key BLOB NOT NULL,
    created_at  INTEGER,
    -- Two instances rotating at once must not both add generation n.
    UNIQUE (purpose, generation)
) STRICT;

CREATE TABLE denied_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER -- NULL: never purged
) STRICT;

CREATE INDEX denied_tokens_expires_at ON denied_tokens (expires_at);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- AUTOINCREMENT so that an id is never handed out twice: audit events and
-- cases refer to persons and bans by id long after the fact.
CREATE TABLE persons (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    id_hash    BLOB UNIQUE, -- NULL (unknown ID number) may occur any number of times
    created_at INTEGER
) STRICT;

-- WITHOUT ROWID: a verification is a point lookup by certificate number, and
-- clustering the rows on it saves the second b-tree search a rowid table needs.
-- person_id carries no foreign key: the register is imported before holders are
-- linked, and the store contract does not reject unknown links.
CREATE TABLE credentials (
    certificate_no     TEXT PRIMARY KEY,
    holder_name        TEXT NOT NULL,
    holder_name_folded TEXT NOT NULL,
    person_id          INTEGER, -- NULL: not linked to a person yet
    kind               TEXT NOT NULL,
    subject            TEXT NOT NULL,
    issuer             TEXT NOT NULL,
    issued_on          TEXT,
    registered_until   TEXT,
    status             TEXT NOT NULL,
    suspended_until    TEXT,
    status_reason      TEXT NOT NULL,
    created_at         INTEGER,
    updated_at         INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX credentials_person_id ON credentials (person_id) WHERE person_id IS NOT NULL;

CREATE TABLE bans (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  INTEGER NOT NULL REFERENCES persons (id),
    scope      TEXT NOT NULL,
    starts_on  TEXT,
    ends_on    TEXT, -- NULL: permanent
    reason     TEXT NOT NULL,
    case_id    TEXT NOT NULL DEFAULT '',
    created_at INTEGER,
    lifted_at  INTEGER -- NULL: not lifted
) STRICT;

-- Serves BansForPerson (in id order, which the index holds) and the foreign key check.
CREATE INDEX bans_person_id ON bans (person_id);

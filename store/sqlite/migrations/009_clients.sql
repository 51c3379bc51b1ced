-- +goose Up
-- School clients of the School API and the record of their use.
--
-- Conventions as in 001. A client's API key and webhook secret are never
-- stored: only the SHA-256 of the key (and of the previous key during its
-- grace period) and of the secret, which is derived, with its version.

CREATE TABLE clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '[]', -- JSON array of scope names
    key_hash       BLOB NOT NULL,
    prev_key_hash  BLOB,    -- NULL: no previous key
    prev_key_until INTEGER, -- NULL: no previous key
    secret_version INTEGER NOT NULL CHECK (secret_version > 0),
    secret_hash    BLOB NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     INTEGER,
    created_by     TEXT NOT NULL
) STRICT;

-- One row per check, watch created or watch removed. certificate_no is ''
-- for an eligibility check: an ID number is never kept.
CREATE TABLE client_usage (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    at             INTEGER,
    kind           TEXT NOT NULL CHECK (kind IN ('verify', 'eligibility', 'watch_create', 'watch_delete')),
    certificate_no TEXT NOT NULL DEFAULT '',
    match          INTEGER NOT NULL CHECK (match IN (0, 1)),
    receipt_id     TEXT NOT NULL DEFAULT ''
) STRICT;

-- A client's usage, newest first.
CREATE INDEX client_usage_client ON client_usage (client_id, id DESC);

-- +goose Up
-- Credentials move from a WITHOUT ROWID table keyed by certificate number
-- to a rowid table with a unique index on the number. Rows are ~300 bytes:
-- keyed by a number that arrives in no order, every imported row dirtied a
-- page of the whole table, and the table outgrew any cache. Now rows are
-- appended, and only the narrow index (about 30 bytes an entry) takes the
-- random inserts; it stays cached. A point lookup costs one more B-tree
-- step (index, then row).
PRAGMA defer_foreign_keys = ON; -- credential_changes refers to credentials while the table is swapped
CREATE TABLE credentials_new (
    id                 INTEGER PRIMARY KEY,
    certificate_no     TEXT NOT NULL UNIQUE,
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
) STRICT;
INSERT INTO credentials_new (certificate_no, holder_name, holder_name_folded, person_id, kind, subject,
    issuer, issued_on, registered_until, status, suspended_until, status_reason, created_at, updated_at)
SELECT certificate_no, holder_name, holder_name_folded, person_id, kind, subject,
    issuer, issued_on, registered_until, status, suspended_until, status_reason, created_at, updated_at
FROM credentials ORDER BY certificate_no;
DROP TABLE credentials;
ALTER TABLE credentials_new RENAME TO credentials;
CREATE INDEX credentials_person_id ON credentials (person_id) WHERE person_id IS NOT NULL;

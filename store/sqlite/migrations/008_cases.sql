-- +goose Up
-- The case register: cases, their amendments, and the publication
-- generation that search caches are keyed on.
--
-- Conventions as in 001. Categories and sanctions are JSON arrays in TEXT;
-- a revision keeps the content it replaced as one JSON object. A case
-- linked to no credential has certificate_no ''.

CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    body            TEXT NOT NULL,
    subject_name    TEXT NOT NULL,
    school          TEXT NOT NULL,
    district        TEXT NOT NULL,
    stage           TEXT NOT NULL,
    categories      TEXT NOT NULL DEFAULT '[]', -- JSON array of guideline numbers
    sanctions       TEXT NOT NULL DEFAULT '[]', -- JSON array of {"type", "detail"}
    incident_date   TEXT,
    decision_date   TEXT,
    authority       TEXT NOT NULL,
    certificate_no  TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
    publish_until   TEXT,    -- NULL: no end to the disclosure period
    created_by      TEXT NOT NULL,
    created_at      INTEGER,
    updated_at      INTEGER,
    published_at    INTEGER, -- NULL until published
    amended_at      INTEGER, -- NULL until amended
    withdrawn_at    INTEGER, -- NULL unless withdrawn
    withdraw_reason TEXT NOT NULL DEFAULT '',
    expired_at      INTEGER, -- NULL until the expiry sweep took the case out of view
    version         INTEGER NOT NULL CHECK (version > 0)
) STRICT;

-- The admin list, of one status or of all, most recently updated first.
CREATE INDEX cases_status_updated ON cases (status, updated_at DESC, id);
CREATE INDEX cases_updated ON cases (updated_at DESC, id);
-- The feed: published cases, newest first.
CREATE INDEX cases_published_feed ON cases (published_at DESC, id) WHERE status = 'published';
-- Reindexing pages through the published cases by id.
CREATE INDEX cases_published_id ON cases (id) WHERE status = 'published';
-- The expiry sweep: published cases not yet expired, by end of disclosure.
CREATE INDEX cases_expiry ON cases (publish_until, id) WHERE status = 'published' AND expired_at IS NULL;

-- seq numbers the amendments of one case from 1. action_id NULL: no action.
CREATE TABLE case_revisions (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    seq       INTEGER NOT NULL CHECK (seq > 0),
    at        INTEGER,
    note      TEXT NOT NULL,
    action_id INTEGER,
    previous  TEXT NOT NULL, -- JSON object: the content before the amendment
    PRIMARY KEY (case_id, seq)
) STRICT;

-- One row: the publication generation.
CREATE TABLE publication_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;
INSERT INTO publication_generation (id, generation) VALUES (1, 0);

-- +goose Up
-- The case register: cases, their amendments, and the publication
-- generation that search caches are keyed on.
--
-- Conventions as in 001. Categories and sanctions are JSON arrays kept as
-- text, as the SQLite store keeps them; a revision keeps the content it
-- replaced as one JSON object. A case linked to no credential has
-- certificate_no ''.

CREATE TABLE cases (
    id              text PRIMARY KEY,
    title           text NOT NULL,
    summary         text NOT NULL,
    body            text NOT NULL,
    subject_name    text NOT NULL,
    school          text NOT NULL,
    district        text NOT NULL,
    stage           text NOT NULL,
    categories      text NOT NULL DEFAULT '[]', -- JSON array of guideline numbers
    sanctions       text NOT NULL DEFAULT '[]', -- JSON array of {"type", "detail"}
    incident_date   date,
    decision_date   date,
    authority       text NOT NULL,
    certificate_no  text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
    publish_until   date,        -- NULL: no end to the disclosure period
    created_by      text NOT NULL,
    created_at      timestamptz,
    updated_at      timestamptz,
    published_at    timestamptz, -- NULL until published
    amended_at      timestamptz, -- NULL until amended
    withdrawn_at    timestamptz, -- NULL unless withdrawn
    withdraw_reason text NOT NULL DEFAULT '',
    expired_at      timestamptz, -- NULL until the expiry sweep took the case out of view
    version         bigint NOT NULL CHECK (version > 0)
);

-- The admin list, of one status or of all, most recently updated first.
-- NULLS LAST, as SQLite sorts a NULL (the zero time) in a descending
-- order, so that both stores list alike.
CREATE INDEX cases_status_updated_idx ON cases (status, updated_at DESC NULLS LAST, id);
CREATE INDEX cases_updated_idx ON cases (updated_at DESC NULLS LAST, id);
-- The feed: published cases, newest first.
CREATE INDEX cases_published_feed_idx ON cases (published_at DESC NULLS LAST, id) WHERE status = 'published';
-- Reindexing pages through the published cases by id.
CREATE INDEX cases_published_id_idx ON cases (id) WHERE status = 'published';
-- The expiry sweep: published cases not yet expired, by end of disclosure.
CREATE INDEX cases_expiry_idx ON cases (publish_until, id) WHERE status = 'published' AND expired_at IS NULL;

-- seq numbers the amendments of one case from 1. action_id NULL: no action.
CREATE TABLE case_revisions (
    case_id   text NOT NULL REFERENCES cases (id),
    seq       integer NOT NULL CHECK (seq > 0),
    at        timestamptz,
    note      text NOT NULL,
    action_id bigint,
    previous  text NOT NULL, -- JSON object: the content before the amendment
    PRIMARY KEY (case_id, seq)
);

-- One row: the publication generation.
CREATE TABLE publication_generation (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO publication_generation (id, generation) VALUES (1, 0);

-- +goose Up
-- Watches of school clients on credentials, and the webhook deliveries of
-- the events that concern them.
--
-- Conventions as in 001. client_id is plain text with no foreign key: the
-- clients table is another step's, and a watch outliving its client is
-- harmless (its deliveries cannot be signed without the client and fail).
-- A deleted watch is kept (deleted_at set) with its delivery history.

CREATE TABLE watches (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    certificate_no TEXT NOT NULL,
    callback_url   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    deleted_at     INTEGER,          -- NULL while the watch stands
    paused_at      INTEGER,          -- NULL unless paused
    failing_since  INTEGER           -- NULL unless the latest attempts failed
) STRICT;

-- One standing watch per client and certificate; and the certificate's
-- watchers, read when an event is expanded.
CREATE UNIQUE INDEX watches_client_certificate ON watches (client_id, certificate_no) WHERE deleted_at IS NULL;
CREATE INDEX watches_certificate ON watches (certificate_no) WHERE deleted_at IS NULL;
-- A client's list, newest first.
CREATE INDEX watches_client_created ON watches (client_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT NOT NULL,
    watch_id         TEXT NOT NULL REFERENCES watches (id),
    payload          TEXT NOT NULL,   -- the body, byte for byte
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT NOT NULL DEFAULT '', -- '' when no worker holds it
    lease_until      INTEGER,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    last_attempt_at  INTEGER,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    delivered_at     INTEGER,
    UNIQUE (event_id, watch_id)
) STRICT;

-- The claim's scan: pending deliveries by due time; and each watch's
-- history (and its older pending deliveries, which hold later ones back).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_watch ON webhook_deliveries (watch_id, id);

-- +goose Up
-- Every change to the register leaves a history entry, not only status
-- changes: creation, re-registration and correction too, each saying who
-- made it and from where (the API, a row of an import file, an action).
-- Entries written before this migration were all status changes made by
-- an applied action, whose approver made them.
ALTER TABLE credential_changes
    ADD COLUMN kind        text NOT NULL DEFAULT 'status',
    ADD COLUMN actor       text NOT NULL DEFAULT '',
    ADD COLUMN source      text NOT NULL DEFAULT 'action',
    ADD COLUMN source_file text NOT NULL DEFAULT '',
    ADD COLUMN source_row  integer NOT NULL DEFAULT 0,
    -- A JSON array of {"field", "from", "to"}; NULL when no register field
    -- changed (a status change). Never an ID number: its entry names the field only.
    ADD COLUMN fields      text;
UPDATE credential_changes SET actor = approved_by;

-- +goose Up
-- Every change to the register leaves a history entry, not only status
-- changes: creation, re-registration and correction too, each saying who
-- made it and from where (the API, a row of an import file, an action).
-- Entries written before this migration were all status changes made by
-- an applied action, whose approver made them.
ALTER TABLE credential_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'status';
ALTER TABLE credential_changes ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE credential_changes ADD COLUMN source TEXT NOT NULL DEFAULT 'action';
ALTER TABLE credential_changes ADD COLUMN source_file TEXT NOT NULL DEFAULT '';
ALTER TABLE credential_changes ADD COLUMN source_row INTEGER NOT NULL DEFAULT 0;
-- A JSON array of {"field", "from", "to"}; NULL when no register field
-- changed (a status change). Never an ID number: its entry names the field only.
ALTER TABLE credential_changes ADD COLUMN fields TEXT;
UPDATE credential_changes SET actor = approved_by;

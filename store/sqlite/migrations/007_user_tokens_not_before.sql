-- +goose Up
-- Tokens issued before this moment (microseconds since the epoch, UTC;
-- NULL: none refused) are refused: set when a password changes, a user is
-- disabled or enabled, or a second factor is reset, so that an old token
-- never outlives the change that should have ended it.
ALTER TABLE users ADD COLUMN tokens_not_before INTEGER;

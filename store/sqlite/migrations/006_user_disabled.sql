-- +goose Up
-- Administrators can be disabled: a disabled user cannot sign in and
-- their tokens are refused.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));

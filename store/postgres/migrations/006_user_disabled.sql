-- +goose Up
-- Administrators can be disabled: a disabled user cannot sign in and
-- their tokens are refused.
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;

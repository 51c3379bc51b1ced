-- +goose Up
-- Single-use recovery codes of administrators' second factor: only a hash
-- of each code is kept (SHA-256 of the username and the code), and a code
-- is deleted when it is used.
CREATE TABLE recovery_codes (
    username  TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    PRIMARY KEY (username, code_hash)
) STRICT, WITHOUT ROWID;

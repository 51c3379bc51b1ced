package postgres

import (
	"context"

	"ethicsportal/store"
)

// The second factor's enrolment and recovery codes.

// ConfirmTOTP is one conditional UPDATE: of two enrolments racing for one
// user, the second waits for the first's row lock, re-checks the condition
// against the committed row and changes nothing.
func (t *tx) ConfirmTOTP(ctx context.Context, username string, secret []byte, step int64) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_last_step = $3
		WHERE username = $1 AND totp_last_step = 0`, username, secret, step)
	if err != nil {
		return false, wrap("confirm TOTP", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetRecoveryCodes replaces the user's recovery codes with hashes.
func (t *tx) SetRecoveryCodes(ctx context.Context, username string, hashes [][]byte) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM recovery_codes WHERE username = $1`, username); err != nil {
		return wrap("set recovery codes", err)
	}
	if len(hashes) == 0 {
		return nil
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO recovery_codes (username, code_hash)
		SELECT $1, h FROM unnest($2::bytea[]) AS h ON CONFLICT DO NOTHING`, username, hashes); err != nil {
		return wrap("set recovery codes", err)
	}
	return nil
}

// UseRecoveryCode is one DELETE: of two uses of one code at once, the
// second waits for the first's row lock and then finds no row to delete.
func (t *tx) UseRecoveryCode(ctx context.Context, username string, hash []byte) (bool, int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM recovery_codes WHERE username = $1 AND code_hash = $2`, username, hash)
	if err != nil {
		return false, 0, wrap("use recovery code", err)
	}
	left, err := t.RecoveryCodesLeft(ctx, username)
	return tag.RowsAffected() == 1, left, err
}

// RecoveryCodesLeft counts the user's recovery codes.
func (r reader) RecoveryCodesLeft(ctx context.Context, username string) (int, error) {
	var n int
	if err := r.q.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE username = $1`, username).Scan(&n); err != nil {
		return 0, wrap("recovery codes left", err)
	}
	return n, nil
}

var _ store.Tx = (*tx)(nil)

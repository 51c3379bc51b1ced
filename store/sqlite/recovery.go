package sqlite

import (
	"context"

	"ethicsportal/store"
)

// The second factor's enrolment and recovery codes: rare writes, so their
// statements are not prepared at Open.

// ConfirmTOTP sets the secret and step while the user has no confirmed
// second factor; the condition is in the UPDATE.
func (t *txn) ConfirmTOTP(ctx context.Context, username string, secret []byte, step int64) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ?
		WHERE username = ? AND totp_last_step = 0`, blobArg(secret), step, username)
	if err != nil {
		return false, wrap("confirm totp", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("confirm totp", err)
	}
	return n == 1, nil
}

// SetRecoveryCodes replaces the user's recovery codes with hashes.
func (t *txn) SetRecoveryCodes(ctx context.Context, username string, hashes [][]byte) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE username = ?`, username); err != nil {
		return wrap("set recovery codes", err)
	}
	for _, h := range hashes {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO recovery_codes (username, code_hash) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, username, h); err != nil {
			return wrap("set recovery codes", err)
		}
	}
	return nil
}

// UseRecoveryCode deletes the code's row; the row count says whether it was there.
func (t *txn) UseRecoveryCode(ctx context.Context, username string, hash []byte) (bool, int, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE username = ? AND code_hash = ?`, username, hash)
	if err != nil {
		return false, 0, wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, 0, wrap("use recovery code", err)
	}
	left, err := t.RecoveryCodesLeft(ctx, username)
	return n == 1, left, err
}

// RecoveryCodesLeft counts the user's recovery codes.
func (r reader) RecoveryCodesLeft(ctx context.Context, username string) (int, error) {
	var n int
	if err := r.src.stmt(ctx, sRecoveryCodesLeft).QueryRowContext(ctx, username).Scan(&n); err != nil {
		return 0, wrap("recovery codes left", err)
	}
	return n, nil
}

var _ store.Tx = (*txn)(nil)

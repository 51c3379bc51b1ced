package postgres

import (
	"context"

	"ethicsportal/store"
)

// credentialsWithBansSQL is credentialWithBansSQL for an array of numbers,
// in one statement: each number reads its own row or, unknown, the decoy
// row, and the bans of a found holder, exactly as a single verification's
// read does. k.i is the number's position; the rows come grouped by it,
// bans in id order within.
const credentialsWithBansSQL = `SELECT k.i, ` + credentialWithBansCols + `
FROM unnest($1::text[]) WITH ORDINALITY AS k(no, i)
LEFT JOIN credentials AS c ON c.certificate_no = coalesce(
	(SELECT certificate_no FROM credentials WHERE certificate_no = k.no),
	(SELECT min(certificate_no) FROM credentials))
LEFT JOIN bans AS b ON b.person_id = CASE WHEN c.certificate_no = k.no THEN coalesce(c.person_id, 0) ELSE 0 END
ORDER BY k.i, b.id`

// CredentialsWithBans reads the credentials among numbers and their
// holders' bans in one statement; see store.CredentialBatchReader.
func (r reader) CredentialsWithBans(ctx context.Context, numbers []string) (map[string]store.CredentialBans, error) {
	out := make(map[string]store.CredentialBans, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, credentialsWithBansSQL, numbers)
	if err != nil {
		return nil, wrap("credentials with bans", err)
	}
	defer rows.Close()
	var (
		cur   = int64(-1) // the number being read
		c     *store.Credential
		found bool
		bans  []store.Ban
	)
	flush := func() {
		if c != nil && found { // a decoy is read and dropped
			out[c.CertificateNo] = store.CredentialBans{Credential: c, Bans: bans}
		}
	}
	for rows.Next() {
		var (
			i     int64
			isHit bool
			rc    store.Credential
			b     store.Ban
		)
		err := rows.Scan(&i, &isHit, &rc.CertificateNo, &rc.HolderName, &rc.HolderNameFolded, &rc.PersonID,
			&rc.Kind, &rc.Subject, &rc.Issuer, &rc.IssuedOn, &rc.RegisteredUntil,
			&rc.Status, &rc.SuspendedUntil, &rc.StatusReason, timeCol{&rc.CreatedAt}, timeCol{&rc.UpdatedAt},
			&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason, &b.CaseID,
			timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt})
		if err != nil {
			return nil, wrap("credentials with bans", err)
		}
		if i != cur {
			flush()
			cur, c, found, bans = i, &rc, isHit, []store.Ban{}
		}
		if b.ID != 0 {
			bans = append(bans, b)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("credentials with bans", err)
	}
	flush()
	return out, nil
}

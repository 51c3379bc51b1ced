package postgres

import (
	"context"

	"ethicsportal/store"
)

// credentialWithBansSQL reads a credential and its holder's bans in one
// statement: one round trip instead of two.
//
// A miss must take the time of a hit, or the time of an answer would tell
// a registered number from an unknown one, which the answer itself never
// does. So an unknown number reads a decoy row instead (the lowest number:
// one index probe and one heap fetch, as for a hit), found is false for it,
// and its bans are not read (person 0, whom no ban names, is probed
// instead, as for an unlinked credential). The decoy's columns are sent and
// scanned like a hit's and dropped by CredentialWithBans. COALESCE
// evaluates its second argument only for a miss. Every column is coalesced
// so that an empty table's all-NULL row scans too.
//
// The bans come one per row, the credential repeated; a row with ban id 0
// (ids start at 1) stands for none.
const credentialWithBansSQL = `SELECT ` + credentialWithBansCols + `
FROM (SELECT $1::text AS no) AS k
LEFT JOIN credentials AS c ON c.certificate_no = coalesce(
	(SELECT certificate_no FROM credentials WHERE certificate_no = k.no),
	(SELECT min(certificate_no) FROM credentials))
LEFT JOIN bans AS b ON b.person_id = CASE WHEN c.certificate_no = k.no THEN coalesce(c.person_id, 0) ELSE 0 END
ORDER BY b.id`

// credentialWithBansCols are the columns of credentialWithBansSQL and
// credentialsWithBansSQL, over credentials c and bans b for the number k.no.
const credentialWithBansCols = `coalesce(c.certificate_no = k.no, false),
	coalesce(c.certificate_no, ''), coalesce(c.holder_name, ''), coalesce(c.holder_name_folded, ''),
	coalesce(c.person_id, 0), coalesce(c.kind, ''), coalesce(c.subject, ''), coalesce(c.issuer, ''),
	c.issued_on, c.registered_until, coalesce(c.status, ''), c.suspended_until,
	coalesce(c.status_reason, ''), c.created_at, c.updated_at,
	coalesce(b.id, 0), coalesce(b.person_id, 0), coalesce(b.scope, ''), b.starts_on, b.ends_on,
	coalesce(b.reason, ''), coalesce(b.case_id, ''), b.created_at, b.lifted_at`

// CredentialWithBans returns the credential with that number and its
// holder's bans, oldest first, read in one statement; ENotFound when there
// is no such credential.
func (r reader) CredentialWithBans(ctx context.Context, certificateNo string) (*store.Credential, []store.Ban, error) {
	rows, err := r.q.Query(ctx, credentialWithBansSQL, certificateNo)
	if err != nil {
		return nil, nil, wrap("credential with bans", err)
	}
	defer rows.Close()
	var (
		c     store.Credential
		found bool
		bans  = []store.Ban{}
	)
	for rows.Next() {
		var b store.Ban
		err := rows.Scan(&found, &c.CertificateNo, &c.HolderName, &c.HolderNameFolded, &c.PersonID,
			&c.Kind, &c.Subject, &c.Issuer, &c.IssuedOn, &c.RegisteredUntil,
			&c.Status, &c.SuspendedUntil, &c.StatusReason, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt},
			&b.ID, &b.PersonID, &b.Scope, &b.StartsOn, &b.EndsOn, &b.Reason, &b.CaseID,
			timeCol{&b.CreatedAt}, timeCol{&b.LiftedAt})
		if err != nil {
			return nil, nil, wrap("credential with bans", err)
		}
		if b.ID != 0 {
			bans = append(bans, b)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap("credential with bans", err)
	}
	if !found { // the decoy, read and dropped
		return nil, nil, store.Errorf(store.ENotFound, "no such credential")
	}
	return &c, bans, nil
}

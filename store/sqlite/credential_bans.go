package sqlite

import (
	"cmp"
	"context"
	"slices"

	"ethicsportal/store"
)

// credentialWithBansSQL reads a credential and its holder's bans in one
// statement: one read transaction (one shared lock on the file and the WAL
// index) instead of two, which was most of the cost of the second read.
//
// The number is joined in from a one-row subquery, so that an unknown
// number still gives one row, with NULL credential columns, and the bans
// index is probed (for person 0, whom no ban names) as it is for a known
// number: a miss does the work of a hit. Each credential column is
// coalesced so that the miss row scans into the same types; found tells
// the two apart. The bans come one per row, the credential repeated; a row
// with ban id 0 (ids start at 1) stands for none.
const credentialWithBansSQL = `SELECT c.certificate_no IS NOT NULL,
	coalesce(c.certificate_no, ''), coalesce(c.holder_name, ''), coalesce(c.holder_name_folded, ''),
	c.person_id, coalesce(c.kind, ''), coalesce(c.subject, ''), coalesce(c.issuer, ''),
	c.issued_on, c.registered_until, coalesce(c.status, ''), c.suspended_until,
	coalesce(c.status_reason, ''), c.created_at, c.updated_at,
	coalesce(b.id, 0), coalesce(b.person_id, 0), coalesce(b.scope, ''), b.starts_on, b.ends_on,
	coalesce(b.reason, ''), coalesce(b.case_id, ''), b.created_at, b.lifted_at
FROM (SELECT ? AS no) AS k
LEFT JOIN credentials AS c ON c.certificate_no = k.no
LEFT JOIN bans AS b ON b.person_id = coalesce(c.person_id, 0)`

// CredentialWithBans returns the credential with that number and its
// holder's bans, oldest first, read in one statement; ENotFound when there
// is no such credential.
func (r reader) CredentialWithBans(ctx context.Context, certificateNo string) (*store.Credential, []store.Ban, error) {
	rows, err := r.src.stmt(ctx, sCredentialWithBans).QueryContext(ctx, certificateNo)
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
		// Every row carries the credential; scanning it again into the same
		// value is cheaper than a second statement, and a holder has few bans.
		err := rows.Scan(&found, &c.CertificateNo, &c.HolderName, &c.HolderNameFolded, idCol{&c.PersonID},
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
	if !found {
		return nil, nil, store.Errorf(store.ENotFound, "no such credential")
	}
	// The join gives no order of its own; an ORDER BY would add a sorter to
	// every read for what is almost always zero or one ban.
	slices.SortFunc(bans, func(a, b store.Ban) int { return cmp.Compare(a.ID, b.ID) })
	return &c, bans, nil
}

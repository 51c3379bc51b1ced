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
// A miss must take the time of a hit, or the time of an answer would tell
// a registered number from an unknown one, which the answer itself never
// does. So an unknown number reads a decoy instead: the row whose rowid
// ?2 (a hash of the number, from Go) picks, which costs what reading the
// number's own row would, on a page as likely to be cached; found is false
// for it, and its bans are not read (person 0, whom no ban names, is probed
// instead, as for an unlinked credential). The decoy's columns are scanned
// like a hit's and dropped by CredentialWithBans. coalesce evaluates its
// second argument only for a miss. Every column is coalesced so that an
// empty table's all-NULL row scans too.
//
// The bans come one per row, the credential repeated; a row with ban id 0
// (ids start at 1) stands for none.
const credentialWithBansSQL = `SELECT ` + credentialWithBansCols + `
FROM (SELECT ?1 AS no) AS k
LEFT JOIN credentials AS c ON c.id = coalesce(
	(SELECT id FROM credentials WHERE certificate_no = k.no),
	?2 % (SELECT max(id) FROM credentials) + 1)
LEFT JOIN bans AS b ON b.person_id = CASE WHEN c.certificate_no = k.no THEN coalesce(c.person_id, 0) ELSE 0 END`

// credentialWithBansCols are the columns of credentialWithBansSQL and
// credentialsWithBansSQL, over credentials c and bans b for the number k.no.
const credentialWithBansCols = `coalesce(c.certificate_no = k.no, 0),
	coalesce(c.certificate_no, ''), coalesce(c.holder_name, ''), coalesce(c.holder_name_folded, ''),
	c.person_id, coalesce(c.kind, ''), coalesce(c.subject, ''), coalesce(c.issuer, ''),
	c.issued_on, c.registered_until, coalesce(c.status, ''), c.suspended_until,
	coalesce(c.status_reason, ''), c.created_at, c.updated_at,
	coalesce(b.id, 0), coalesce(b.person_id, 0), coalesce(b.scope, ''), b.starts_on, b.ends_on,
	coalesce(b.reason, ''), coalesce(b.case_id, ''), b.created_at, b.lifted_at`

// decoyKey is a non-negative hash of the number (FNV-1a), so that a miss
// on one number reads the same decoy row each time, as a repeated hit reads
// the same row.
func decoyKey(no string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(no); i++ {
		h ^= uint64(no[i])
		h *= 1099511628211
	}
	return int64(h >> 1)
}

// CredentialWithBans returns the credential with that number and its
// holder's bans, oldest first, read in one statement; ENotFound when there
// is no such credential, after reading a decoy row as long as the
// credential's.
func (r reader) CredentialWithBans(ctx context.Context, certificateNo string) (*store.Credential, []store.Ban, error) {
	rows, err := r.src.stmt(ctx, sCredentialWithBans).QueryContext(ctx, certificateNo, decoyKey(certificateNo))
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
	if !found { // the decoy, read and dropped
		return nil, nil, store.Errorf(store.ENotFound, "no such credential")
	}
	// The join gives no order of its own; an ORDER BY would add a sorter to
	// every read for what is almost always zero or one ban.
	slices.SortFunc(bans, func(a, b store.Ban) int { return cmp.Compare(a.ID, b.ID) })
	return &c, bans, nil
}

package app

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"ethicsportal/store"
)

// Eligibility is the answer to a staff check before hiring (教职员工准入查询),
// for any post, not only teaching ones. When Match is false only CheckedAt
// and Receipt are meaningful, and Eligible is false: a miss says nothing
// about why.
type Eligibility struct {
	Match     bool        // a person with this ID number and name is on record
	Eligible  bool        // Match, and no ban in force
	Bans      []store.Ban // bans in force or yet to start, when Match
	CheckedAt time.Time
	Receipt   string
	ReceiptID string // the receipt's jti, as recorded of a school's checks
}

const checkEligibility = "eligibility"

// CheckEligibility answers whether the person with this resident ID number
// and name may be employed. The ID number is only ever hashed. Eligible is
// true only for a match with no ban in force. A miss, whether no one has
// this ID number or its holder is on record under another name, is Match
// false and Eligible false, with the same receipt claims and the same
// store reads either way, so that the check cannot tell whether an ID
// number is on record. Eligible false on a miss is no finding of a ban: it
// says the portal cannot vouch for a person it cannot identify (a banned
// person must not pass under a variant of their name). EInvalid/EMissing
// for input that is not an ID number or a name.
func (a *App) CheckEligibility(ctx context.Context, idNumber, name string) (*Eligibility, error) {
	id, err := NormaliseIDNumber(idNumber)
	if err != nil {
		return nil, err
	}
	folded, err := a.foldName("name", name)
	if err != nil {
		return nil, err
	}
	return a.eligibility(ctx, a.hashIDNumber(id), folded)
}

func (a *App) eligibility(ctx context.Context, hash []byte, folded string) (*Eligibility, error) {
	now := a.now().UTC().Truncate(time.Second)
	today := store.Today(now)
	persons, err := a.store.PersonsByIDHashes(ctx, [][]byte{hash})
	if err != nil {
		return nil, internal("eligibility", err)
	}
	person, found := persons[string(hash)]
	match := found && subtle.ConstantTimeCompare([]byte(a.folder.Fold(person.Name)), []byte(folded)) == 1
	// A miss of either kind reads the bans of no one (-1, not 0, which the
	// store answers without a query), so both misses make the same reads.
	personID := int64(-1)
	if match {
		personID = person.ID
	}
	bans, err := a.store.BansForPerson(ctx, personID)
	if err != nil {
		return nil, internal("eligibility bans", err)
	}
	e := &Eligibility{CheckedAt: now, Match: match, Eligible: match}
	for _, b := range bans {
		if b.Current(today) {
			e.Bans = append(e.Bans, b)
		}
		if b.InForce(today) {
			e.Eligible = false
		}
	}
	claims := ReceiptClaims{
		Check: checkEligibility, IDHash: base64.RawURLEncoding.EncodeToString(hash), Name: folded,
		Match: e.Match, Eligible: e.Eligible, CheckedAt: now.Format(time.RFC3339),
	}
	if e.Receipt, err = a.signReceipt(&claims, now); err != nil {
		return nil, err
	}
	e.ReceiptID = claims.ID
	return e, nil
}

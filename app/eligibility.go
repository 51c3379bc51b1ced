package app

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"ethicsportal/store"
)

// Eligibility is the answer to a staff check before hiring (教职员工准入查询),
// for any post, not only teaching ones.
type Eligibility struct {
	Match     bool        // a person with this ID number and name is on record
	Eligible  bool        // no ban in force
	Bans      []store.Ban // bans in force or yet to start, when Match
	CheckedAt time.Time
	Receipt   string
}

const checkEligibility = "eligibility"

// CheckEligibility answers whether the person with this resident ID number
// and name may be employed. The ID number is only ever hashed. A person
// with no record has no ban: eligible. A record whose name differs is not a
// match and not eligible either, since a ban follows the ID number: the
// school should check the applicant's papers. EInvalid/EMissing for input
// that is not an ID number or a name.
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
	personID := int64(-1)
	if found {
		personID = person.ID
	}
	bans, err := a.store.BansForPerson(ctx, personID)
	if err != nil {
		return nil, internal("eligibility bans", err)
	}
	e := &Eligibility{CheckedAt: now, Eligible: !found}
	if found && subtle.ConstantTimeCompare([]byte(a.folder.Fold(person.Name)), []byte(folded)) == 1 {
		e.Match, e.Eligible = true, true
		for _, b := range bans {
			if b.Current(today) {
				e.Bans = append(e.Bans, b)
			}
			if b.InForce(today) {
				e.Eligible = false
			}
		}
	}
	claims := ReceiptClaims{
		Check: checkEligibility, IDHash: base64.RawURLEncoding.EncodeToString(hash), Name: folded,
		Match: e.Match, Eligible: e.Eligible, CheckedAt: now.Format(time.RFC3339),
	}
	if e.Receipt, err = a.signReceipt(&claims, now); err != nil {
		return nil, err
	}
	return e, nil
}

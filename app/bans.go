package app

import (
	"context"
	"strings"

	"ethicsportal/store"
)

// BanQuery names the holder whose bans are listed: by certificate number or
// by resident ID number, exactly one of them.
type BanQuery struct {
	CertificateNo string
	IDNumber      string // as typed; normalised and hashed, never kept
}

// HolderBans lists the bans of the holder q names, lifted ones included,
// oldest first: what a registrar needs to find the ban to lift, whether it
// was imposed by certificate or by ID number.
//
// A certificate or ID number the register does not know gives an empty
// list, exactly as a holder on record with no bans does. The roles that may
// list bans include reviewers, who may not read the register, and nobody
// may learn from the register which ID numbers it holds (only a check that
// also names the holder, as eligibility does, says so); an answer that
// differed for an unknown holder would tell both. (A mistyped ID number
// is mostly caught by its check digit, before any lookup.)
//
// EMissing when neither is given, EInvalid when both are, or when the one
// given is not a certificate or ID number. The ID number is only ever
// hashed, and no error repeats it.
func (a *App) HolderBans(ctx context.Context, q BanQuery) ([]store.Ban, error) {
	certNo, idNumber := strings.TrimSpace(q.CertificateNo), strings.TrimSpace(q.IDNumber)
	switch {
	case certNo != "" && idNumber != "":
		return nil, store.FieldError(store.EInvalid, "id_number", "give certificate_no or id_number, not both")
	case certNo == "" && idNumber == "":
		return nil, store.FieldError(store.EMissing, "certificate_no", "give certificate_no or id_number")
	}
	personID, err := a.holder(ctx, certNo, idNumber)
	if err != nil {
		return nil, err
	}
	if personID == 0 {
		return []store.Ban{}, nil
	}
	bans, err := a.store.BansForPerson(ctx, personID)
	return bans, internal("holder bans", err)
}

// holder returns the person a certificate number or an ID number leads to,
// or 0 when it leads to none.
func (a *App) holder(ctx context.Context, certNo, idNumber string) (int64, error) {
	if certNo != "" {
		no, err := NormaliseCertificateNo(certNo)
		if err != nil {
			return 0, err
		}
		c, err := a.store.CredentialByNumber(ctx, no)
		if errNotFound(err) {
			return 0, nil
		}
		if err != nil {
			return 0, internal("holder bans credential", err)
		}
		return c.PersonID, nil
	}
	id, err := NormaliseIDNumber(idNumber)
	if err != nil {
		return 0, err
	}
	p, err := a.personByHash(ctx, a.store, a.hashIDNumber(id))
	if errNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, internal("holder bans person", err)
	}
	return p.ID, nil
}

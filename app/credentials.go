package app

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"ethicsportal/store"
)

// CredentialInput is one credential as a registrar enters it, by hand or as
// a CSV row. Every field is text so that both paths share one validation.
type CredentialInput struct {
	CertificateNo   string `json:"certificate_no"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number,omitempty"`
	Kind            string `json:"kind"`
	Subject         string `json:"subject"`
	Issuer          string `json:"issuer"`
	IssuedOn        string `json:"issued_on"`
	RegisteredUntil string `json:"registered_until"`
}

// validCredential is a CredentialInput that passed validation.
type validCredential struct {
	cred     store.Credential
	idNumber string // normalised; "" when not given
	idHash   []byte // its keyed hash, computed once
}

const maxTextField = 200 // characters of subject and issuer

// validate checks every field and returns the first problem as an *Error
// naming the field.
func (a *App) validate(in CredentialInput) (*validCredential, error) {
	no, err := NormaliseCertificateNo(in.CertificateNo)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.HolderName)
	folded, err := a.foldName("holder_name", name)
	if err != nil {
		return nil, err
	}
	kind := strings.TrimSpace(in.Kind)
	if kind == "" {
		return nil, store.FieldError(store.EMissing, "kind", "the kind of qualification is required (one of %s)", strings.Join(store.CredentialKindIDs(), ", "))
	}
	if !store.ValidCredentialKind(kind) {
		return nil, store.FieldError(store.EInvalid, "kind", "unknown kind %q; kinds are %s", kind, strings.Join(store.CredentialKindIDs(), ", "))
	}
	subject, issuer := strings.TrimSpace(in.Subject), strings.TrimSpace(in.Issuer)
	for _, f := range [...]struct{ field, v string }{{"subject", subject}, {"issuer", issuer}} { // in a fixed order: the first problem is always the same one
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > maxTextField {
			return nil, store.FieldError(store.EInvalid, f.field, "%s must be valid text of at most %d characters", f.field, maxTextField)
		}
		if err := checkChars(f.field, f.v, singleLine); err != nil {
			return nil, err
		}
	}
	issued, err := requiredDate("issued_on", in.IssuedOn)
	if err != nil {
		return nil, err
	}
	until, err := requiredDate("registered_until", in.RegisteredUntil)
	if err != nil {
		return nil, err
	}
	if until.Before(issued) {
		return nil, store.FieldError(store.EInvalid, "registered_until", "registered_until must not be before issued_on")
	}
	v := &validCredential{cred: store.Credential{
		CertificateNo: no, HolderName: name, HolderNameFolded: folded, Kind: kind,
		Subject: subject, Issuer: issuer, IssuedOn: issued, RegisteredUntil: until,
		Status: store.StatusActive,
	}}
	if strings.TrimSpace(in.IDNumber) != "" {
		if v.idNumber, err = NormaliseIDNumber(in.IDNumber); err != nil {
			return nil, err
		}
		v.idHash = a.hashIDNumber(v.idNumber)
	}
	return v, nil
}

func requiredDate(field, s string) (store.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return store.Date{}, store.FieldError(store.EMissing, field, "%s is required (YYYY-MM-DD)", field)
	}
	d, err := store.ParseDate(s)
	if err != nil {
		return store.Date{}, store.FieldError(store.EInvalid, field, "%s must be a date written YYYY-MM-DD", field)
	}
	return d, nil
}

// CreateCredential adds one credential to the register on behalf of actor,
// and audits it. Field errors as *Error naming the field; EConflict if the
// certificate number exists.
func (a *App) CreateCredential(ctx context.Context, actor string, in CredentialInput) (*CredentialRecord, error) {
	v, err := a.validate(in)
	if err != nil {
		return nil, err
	}
	now := a.now()
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.CredentialByNumber(ctx, v.cred.CertificateNo); err == nil {
			return store.FieldError(store.EConflict, "certificate_no", "certificate %s is already in the register", v.cred.CertificateNo)
		} else if !errNotFound(err) {
			return err
		}
		if err := a.linkPersons(ctx, tx, []*validCredential{v}, nil); err != nil {
			return err
		}
		if err := tx.InsertCredentials(ctx, []*store.Credential{&v.cred}, now); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "credential.create", "credential:"+v.cred.CertificateNo, credentialDetails(&v.cred, v.idNumber != ""))
	})
	if err != nil {
		return nil, internal("create credential", err)
	}
	return a.Credential(ctx, v.cred.CertificateNo)
}

// linkPersons sets PersonID on each credential whose row gave an ID number,
// to the person with that ID number, creating persons that do not exist yet.
// A row without an ID number keeps the link of the existing credential.
func (a *App) linkPersons(ctx context.Context, tx store.Tx, rows []*validCredential, existing map[string]*store.Credential) error {
	var hashes [][]byte
	for _, r := range rows {
		if old := existing[r.cred.CertificateNo]; old != nil {
			r.cred.PersonID = old.PersonID
		}
		if r.idHash != nil {
			hashes = append(hashes, r.idHash)
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	persons, err := tx.PersonsByIDHashes(ctx, hashes)
	if err != nil {
		return err
	}
	var fresh []*store.Person
	now := a.now()
	for _, r := range rows {
		if r.idHash == nil {
			continue
		}
		if _, ok := persons[string(r.idHash)]; !ok {
			p := &store.Person{Name: r.cred.HolderName, IDHash: r.idHash, CreatedAt: now}
			persons[string(r.idHash)] = p
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		// In hash order, for the same reason the import sorts credentials.
		slices.SortFunc(fresh, func(x, y *store.Person) int { return bytes.Compare(x.IDHash, y.IDHash) })
		if err := tx.CreatePersons(ctx, fresh); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if r.idHash != nil {
			r.cred.PersonID = persons[string(r.idHash)].ID
		}
	}
	return nil
}

// CredentialRecord is a credential as a registrar sees it: the register
// entry, its stored and effective status, and the holder's bans.
type CredentialRecord struct {
	store.Credential
	EffectiveStatus string
	Bans            []store.Ban
	History         []store.CredentialChange
}

// Credential returns the register entry for a certificate number, which is
// normalised first. ENotFound if there is none.
func (a *App) Credential(ctx context.Context, certificateNo string) (*CredentialRecord, error) {
	no, err := NormaliseCertificateNo(certificateNo)
	if err != nil {
		return nil, err
	}
	c, err := a.store.CredentialByNumber(ctx, no)
	if err != nil {
		if errNotFound(err) {
			return nil, store.Errorf(store.ENotFound, "no credential %s in the register", no)
		}
		return nil, internal("credential", err)
	}
	bans, err := a.store.BansForPerson(ctx, c.PersonID)
	if err != nil {
		return nil, internal("credential bans", err)
	}
	history, err := a.store.CredentialHistory(ctx, no)
	if err != nil {
		return nil, internal("credential history", err)
	}
	return &CredentialRecord{Credential: *c, EffectiveStatus: c.EffectiveStatus(a.today()), Bans: bans, History: history}, nil
}

// credentialDetails is what the audit log keeps of a register entry: no ID
// number, only whether one was given.
func credentialDetails(c *store.Credential, withIDNumber bool) map[string]any {
	return map[string]any{
		"certificate_no": c.CertificateNo, "holder_name": c.HolderName, "kind": c.Kind,
		"subject": c.Subject, "issuer": c.Issuer, "issued_on": c.IssuedOn.String(),
		"registered_until": c.RegisteredUntil.String(), "id_number_given": withIDNumber,
	}
}

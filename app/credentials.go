package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
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
	line     int    // the line of an imported row; 0 for the API
	// name and folded are the holder name as the row gives it and its
	// folded form; planning may put the registered spelling in cred, and
	// must be able to start again from the row's own.
	name, folded string
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
	v := &validCredential{name: name, folded: folded, cred: store.Credential{
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
// records its creation in the credential's history and audits it. Field
// errors as *Error naming the field; EConflict if the certificate number
// exists (a registered credential is re-registered by an import, and what
// identifies its holder is corrected by correct_credential, never by this
// call); EIDNameMismatch if the ID number belongs to a person registered
// under another name. A person with the ID number created by another
// transaction at the same moment is found, not refused: the creation is
// decided again on the register as that transaction left it.
func (a *App) CreateCredential(ctx context.Context, actor string, in CredentialInput) (*CredentialRecord, error) {
	v, err := a.validate(in)
	if err != nil {
		return nil, err
	}
	now := a.now()
	err = a.updateRegister(ctx, func(tx store.Tx) error {
		if _, err := tx.CredentialByNumber(ctx, v.cred.CertificateNo); err == nil {
			return store.FieldError(store.EConflict, "certificate_no", "certificate %s is already in the register; "+
				"re-register it by import, or correct what identifies its holder with a correct_credential action", v.cred.CertificateNo)
		} else if !errNotFound(err) {
			return err
		}
		plan, err := a.decideRows(ctx, tx, []*validCredential{v}, keepColumns{}, now)
		if err != nil {
			return err
		}
		if len(plan.rejects) > 0 {
			r := plan.rejects[0]
			return store.FieldError(r.Code, r.Field, "%s", r.Detail)
		}
		if err := plan.write(ctx, tx, now, registration{actor: actor, source: store.SourceAPI}); err != nil {
			return err
		}
		return a.record(ctx, tx, actor, "credential.create", "credential:"+v.cred.CertificateNo, credentialDetails(&v.cred, v.idNumber != ""))
	})
	if err != nil {
		return nil, internal("create credential", err)
	}
	return a.Credential(ctx, v.cred.CertificateNo)
}

// registerAttempts bounds how often a register transaction is run again
// after losing a race (see updateRegister). One more attempt settles a
// race with one other writer; the bound keeps a store that answers
// EConflict for some other reason from being asked forever.
const registerAttempts = 3

// lostRace marks a write of a register transaction that failed with
// EConflict because another transaction committed the same new key after
// this one decided from the register: a person with the same ID number, a
// credential with the same certificate number, or an ID number given to a
// person meanwhile. Deciding again on the register as the winner left it
// settles it (the row then links to that person, or is rejected).
type lostRace struct{ err error }

func (e *lostRace) Error() string { return e.err.Error() }
func (e *lostRace) Unwrap() error { return e.err }

// raced marks err as a lost race when it is an EConflict, and returns any
// other error as it is.
func raced(err error) error {
	if store.IsCode(err, store.EConflict) {
		return &lostRace{err: err}
	}
	return err
}

// updateRegister runs fn in a store transaction, as store.Update does, and
// runs it again in a new transaction, at most registerAttempts times in
// all, while it fails with a lost race: the new transaction reads the
// winner's writes and fn decides again from them. fn must derive all it
// writes, and all it reports, from that transaction alone, as a rolled-back
// attempt leaves nothing behind. The error of the last attempt is returned
// without its lostRace mark.
func (a *App) updateRegister(ctx context.Context, fn func(tx store.Tx) error) error {
	var err error
	for range registerAttempts {
		err = a.store.Update(ctx, fn)
		var lost *lostRace
		if !errors.As(err, &lost) {
			return err
		}
		err = lost.err
	}
	return err
}

// registration says who registers rows and from where, for their history.
type registration struct {
	actor  string
	source string // store.SourceAPI or store.SourceImport
	file   string // the import file's name
}

// rowPlan is what registering a batch of rows will write: the persons to
// create, the persons to give an ID number, the credentials to insert and
// to re-register, and the rows that must be rejected. planRows decides it
// from bulk reads; write carries it out.
type rowPlan struct {
	persons   []*store.Person
	given     []*store.Person // persons without an ID number who get one; IDHash is the new one
	inserts   []*validCredential
	updates   []*validCredential
	changes   map[*validCredential][]store.FieldChange // what each update changes
	holder    map[*validCredential]*store.Person       // the person a row's ID number links it to
	unchanged int
	rejects   []Reject
}

// planRows decides, for each valid row, whether it creates a credential,
// re-registers one, changes nothing, or is rejected, by DESIGN principle 8:
//
//   - a row that would change what identifies the holder of an existing
//     credential (holder_name, kind, issued_on, or the ID number it is
//     linked to) is rejected with EIdentityChange: those change only by a
//     correct_credential action. Holder names are compared folded, as
//     verification compares them: a row that writes the registered name in
//     Traditional characters or full width renames nobody, and the
//     registered spelling is kept;
//   - a row whose ID number belongs to a person registered under another
//     name (after folding) is rejected with EIDNameMismatch, and never
//     linked to that person; this includes persons created by earlier
//     rows of the same batch;
//   - otherwise a row with an ID number links its credential to the person
//     with that number (a new person when there is none), and a row
//     without one keeps the existing link.
//
// An existing credential that is linked to no person may be linked by a
// row: that adds a link, it changes none, and it passes the same name
// check. Likewise a credential linked to a person who has no ID number
// (one a ban by certificate number created) may be given one: when no
// other person holds it and the person bears the row's name, the person
// gets the number, and keeps their bans. When another person holds it,
// the row is rejected (EIDNameMismatch if that person's name differs,
// EIdentityChange otherwise): an import does not merge two persons, and a
// correct_credential action decides such a link.
//
// existing holds the rows' registered credentials, persons the persons
// holding their ID numbers, and holders, by ID, the persons linked to those
// registered credentials whose rows name an ID number another person (or
// nobody) holds; none of the maps is changed. Persons to create get their
// IDs in write.
func (a *App) planRows(rows []*validCredential, existing map[string]*store.Credential, persons map[string]*store.Person, holders map[int64]*store.Person, keep keepColumns, now time.Time) *rowPlan {
	persons = maps.Clone(persons) // the plan adds the persons it creates or numbers
	holders = maps.Clone(holders) // and numbers some of these
	plan := &rowPlan{changes: map[*validCredential][]store.FieldChange{}, holder: map[*validCredential]*store.Person{}}
	reject := func(r *validCredential, code, field, detail string, args ...any) {
		plan.rejects = append(plan.rejects, Reject{Row: r.line, Code: code, Field: field, Detail: fmt.Sprintf(detail, args...)})
	}
	for _, r := range rows {
		// Update may run this again after a rolled-back attempt changed them.
		r.cred.PersonID = 0
		r.cred.HolderName, r.cred.HolderNameFolded = r.name, r.folded
		old := existing[r.cred.CertificateNo]
		var person *store.Person
		if r.idHash != nil {
			person = persons[string(r.idHash)]
		}
		var numbered *store.Person // the credential's person, who gets the row's ID number
		if old != nil {
			if keep.subject {
				r.cred.Subject = old.Subject
			}
			if keep.issuer {
				r.cred.Issuer = old.Issuer
			}
			if field, was := identityChange(old, r, person); field != "" {
				own := holders[old.PersonID]
				switch {
				case field != store.FieldIDNumber || own == nil || own.IDHash != nil:
					reject(r, store.EIdentityChange, field, "certificate %s is registered with another %s%s; what identifies a holder changes only through a correct_credential action, so nothing of this row was applied", r.cred.CertificateNo, field, was)
					continue
				case person != nil && a.folder.Fold(person.Name) != r.folded:
					reject(r, store.EIDNameMismatch, "id_number", "this ID number belongs to a person registered under another name; the row was not applied")
					continue
				case person != nil:
					reject(r, store.EIdentityChange, "id_number", "the holder of certificate %s is on record without an ID number, and this ID number belongs to another person on record; an import does not merge the two, so nothing of this row was applied (a correct_credential action links the credential to that person)", r.cred.CertificateNo)
					continue
				case a.folder.Fold(own.Name) != r.folded:
					reject(r, store.EIDNameMismatch, "holder_name", "the holder of certificate %s is on record under another name; the row was not applied", r.cred.CertificateNo)
					continue
				}
				numbered = &store.Person{ID: own.ID, Name: own.Name, IDHash: r.idHash, CreatedAt: own.CreatedAt}
			}
			// The registered spelling stays: the row's folds to it.
			r.cred.HolderName, r.cred.HolderNameFolded = old.HolderName, old.HolderNameFolded
			r.cred.PersonID = old.PersonID
		}
		if numbered != nil {
			// Later rows with this ID number find this person, and later
			// rows of this person find them numbered.
			holders[numbered.ID] = numbered
			persons[string(r.idHash)] = numbered
			plan.given = append(plan.given, numbered)
			plan.updates = append(plan.updates, r)
			plan.changes[r] = reregistration(old, r, true)
			continue
		}
		if person != nil && a.folder.Fold(person.Name) != r.folded {
			reject(r, store.EIDNameMismatch, "id_number", "this ID number belongs to a person registered under another name; the row was not applied")
			continue
		}
		if r.idHash != nil && person == nil {
			person = &store.Person{Name: r.cred.HolderName, IDHash: r.idHash, CreatedAt: now}
			persons[string(r.idHash)] = person
			plan.persons = append(plan.persons, person)
		}
		if person != nil {
			plan.holder[r] = person // its ID is set in write when the person is new
		}
		if old == nil {
			plan.inserts = append(plan.inserts, r)
			continue
		}
		changes := reregistration(old, r, old.PersonID == 0 && person != nil)
		if len(changes) == 0 {
			plan.unchanged++
			continue
		}
		plan.updates = append(plan.updates, r)
		plan.changes[r] = changes
	}
	return plan
}

// decideRows plans rows (see planRows) from the register as it is inside
// tx, with two bulk reads for the whole batch, never one per row; only a
// row that names an ID number other than its credential's person's is
// followed by a read of that person (to see whether they have one at all),
// and such rows are rare. Only what the plan writes from is then locked:
// the credentials it re-registers (so that a correction committed meanwhile
// is not undone) and the persons it links to (so that none is linked under
// a name it has just lost). When a locked row turned out changed since the
// plain read, the plan is made again from the locked state. Rows the plan
// leaves alone are not locked: a rerun of a file of a million unchanged
// rows takes no lock at all. A person the plan gives an ID number is not
// locked: the credential that row re-registers is, which a rename of the
// person must also change, and giving the number is itself a conditional
// write.
func (a *App) decideRows(ctx context.Context, tx store.Tx, rows []*validCredential, keep keepColumns, now time.Time) (*rowPlan, error) {
	numbers := make([]string, len(rows))
	var hashes [][]byte
	for i, r := range rows {
		numbers[i] = r.cred.CertificateNo
		if r.idHash != nil {
			hashes = append(hashes, r.idHash)
		}
	}
	existing, err := tx.CredentialsByNumbers(ctx, numbers)
	if err != nil {
		return nil, err
	}
	persons := map[string]*store.Person{}
	if len(hashes) > 0 {
		if persons, err = tx.PersonsByIDHashes(ctx, hashes); err != nil {
			return nil, err
		}
	}
	holders := map[int64]*store.Person{}
	lockedNos, lockedPersons := map[string]bool{}, map[string]bool{}
	for {
		if err := readHolders(ctx, tx, rows, existing, persons, holders); err != nil {
			return nil, err
		}
		plan := a.planRows(rows, existing, persons, holders, keep, now)
		var nos []string
		for _, r := range plan.updates {
			if no := r.cred.CertificateNo; !lockedNos[no] {
				lockedNos[no] = true
				nos = append(nos, no)
			}
		}
		given := map[string]bool{}
		for _, p := range plan.given {
			given[string(p.IDHash)] = true
		}
		var hs [][]byte
		for _, r := range slices.Concat(plan.inserts, plan.updates) { // an unchanged row links nothing
			// A person this plan creates, or numbers, needs no lock.
			if p := plan.holder[r]; p != nil && p.ID != 0 && !given[string(p.IDHash)] && !lockedPersons[string(p.IDHash)] {
				lockedPersons[string(p.IDHash)] = true
				hs = append(hs, p.IDHash)
			}
		}
		if len(nos)+len(hs) == 0 {
			return plan, nil
		}
		moved := false
		if len(nos) > 0 {
			locked, err := tx.LockCredentials(ctx, nos)
			if err != nil {
				return nil, err
			}
			for _, no := range nos {
				if c := locked[no]; c == nil || !c.SameRecord(existing[no]) {
					moved = true
					existing[no] = c
				}
			}
		}
		if len(hs) > 0 {
			locked, err := tx.LockPersonsByIDHashes(ctx, hs)
			if err != nil {
				return nil, err
			}
			for _, h := range hs {
				if p, old := locked[string(h)], persons[string(h)]; p == nil || p.ID != old.ID || p.Name != old.Name {
					moved = true
					persons[string(h)] = p
				}
			}
		}
		if !moved {
			return plan, nil
		}
		for no, c := range existing {
			if c == nil {
				delete(existing, no)
			}
		}
		for h, p := range persons {
			if p == nil {
				delete(persons, h)
			}
		}
		clear(holders) // read again, now that links or names may differ
	}
}

// readHolders adds to holders the persons planRows needs to see beyond the
// bulk reads: those linked to a registered credential whose row names an
// ID number that their own person is not known by. Persons already in
// holders are not read again.
func readHolders(ctx context.Context, r store.Reader, rows []*validCredential, existing map[string]*store.Credential, persons map[string]*store.Person, holders map[int64]*store.Person) error {
	for _, row := range rows {
		old := existing[row.cred.CertificateNo]
		if row.idHash == nil || old == nil || old.PersonID == 0 || holders[old.PersonID] != nil {
			continue
		}
		if p := persons[string(row.idHash)]; p != nil && p.ID == old.PersonID {
			continue
		}
		p, err := r.PersonByID(ctx, old.PersonID)
		if err != nil {
			return fmt.Errorf("app: holder of %s: %w", old.CertificateNo, err)
		}
		holders[p.ID] = p
	}
	return nil
}

// identityChange names the first identifying field of old that row would
// change, and says what the register holds when that can be shown (never
// an ID number); "" when the row changes none. Names are compared folded.
// person is the one holding the row's ID number, if any.
func identityChange(old *store.Credential, row *validCredential, person *store.Person) (field, was string) {
	switch {
	case old.HolderNameFolded != row.folded:
		return "holder_name", fmt.Sprintf(" (%s)", old.HolderName)
	case old.Kind != row.cred.Kind:
		return "kind", fmt.Sprintf(" (%s)", old.Kind)
	case old.IssuedOn != row.cred.IssuedOn:
		return "issued_on", fmt.Sprintf(" (%s)", old.IssuedOn)
	case row.idHash != nil && old.PersonID != 0 && (person == nil || person.ID != old.PersonID):
		return store.FieldIDNumber, ""
	}
	return "", ""
}

// reregistration lists the fields a row changes in an existing credential
// whose identity it keeps: the registration, subject and issuer, and a
// first link to a person (links).
func reregistration(old *store.Credential, row *validCredential, links bool) []store.FieldChange {
	var out []store.FieldChange
	if old.RegisteredUntil != row.cred.RegisteredUntil {
		out = append(out, store.FieldChange{Field: "registered_until", From: old.RegisteredUntil.String(), To: row.cred.RegisteredUntil.String()})
	}
	if old.Subject != row.cred.Subject {
		out = append(out, store.FieldChange{Field: "subject", From: old.Subject, To: row.cred.Subject})
	}
	if old.Issuer != row.cred.Issuer {
		out = append(out, store.FieldChange{Field: "issuer", From: old.Issuer, To: row.cred.Issuer})
	}
	if links {
		out = append(out, store.FieldChange{Field: store.FieldIDNumber})
	}
	return out
}

// write gives the plan's persons their ID numbers, creates its persons,
// inserts and re-registers its credentials, and adds a history entry for
// each credential it changed. A write that lost a race to another
// transaction fails with a lostRace.
func (p *rowPlan) write(ctx context.Context, tx store.Tx, now time.Time, reg registration) error {
	// In ID order, so that two transactions take these rows' locks in one
	// order. An EConflict here, as in creating persons and inserting
	// credentials below, means another transaction committed the same ID
	// number or certificate number after this plan read the register: the
	// plan is made again (see updateRegister).
	slices.SortFunc(p.given, func(x, y *store.Person) int { return cmp.Compare(x.ID, y.ID) })
	for _, g := range p.given {
		if err := tx.SetPersonIDHash(ctx, g.ID, g.IDHash); err != nil {
			return raced(err)
		}
	}
	if len(p.persons) > 0 {
		// In hash order, for the same reason the import sorts credentials.
		slices.SortFunc(p.persons, func(x, y *store.Person) int { return bytes.Compare(x.IDHash, y.IDHash) })
		if err := tx.CreatePersons(ctx, p.persons); err != nil {
			return raced(err)
		}
	}
	for r, person := range p.holder {
		r.cred.PersonID = person.ID
	}
	fresh := make([]*store.Credential, len(p.inserts))
	for i, r := range p.inserts {
		fresh[i] = &r.cred
	}
	// In key order, inserts walk the B-tree from one page to the next
	// instead of jumping about it: fewer page reads and splits.
	slices.SortFunc(fresh, func(x, y *store.Credential) int { return strings.Compare(x.CertificateNo, y.CertificateNo) })
	if err := tx.InsertCredentials(ctx, fresh, now); err != nil {
		return raced(err)
	}
	changed := make([]*store.Credential, len(p.updates))
	for i, r := range p.updates {
		changed[i] = &r.cred
	}
	if err := tx.UpdateCredentialRecords(ctx, changed, now); err != nil {
		return err
	}
	entries := make([]*store.CredentialChange, 0, len(p.inserts)+len(p.updates))
	entry := func(r *validCredential, kind string, fields []store.FieldChange) {
		e := &store.CredentialChange{CertificateNo: r.cred.CertificateNo, At: now, Kind: kind, Actor: reg.actor,
			Source: reg.source, Fields: fields}
		if reg.source == store.SourceImport {
			e.SourceFile, e.SourceRow = reg.file, r.line
		}
		entries = append(entries, e)
	}
	for _, r := range p.inserts {
		var fields []store.FieldChange
		if r.cred.PersonID != 0 {
			fields = []store.FieldChange{{Field: store.FieldIDNumber}}
		}
		entry(r, store.ChangeCreated, fields)
	}
	for _, r := range p.updates {
		entry(r, store.ChangeReregistered, p.changes[r])
	}
	// In number order, as for the inserts: the history's index on the
	// number then takes its entries page by page. A batch holds one entry
	// per credential, so no credential's entries change order.
	slices.SortFunc(entries, func(x, y *store.CredentialChange) int { return strings.Compare(x.CertificateNo, y.CertificateNo) })
	return tx.AddCredentialChanges(ctx, entries)
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

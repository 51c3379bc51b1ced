package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"ethicsportal/store"
)

// The parameters each kind keeps, once checked. They are what a reviewer
// sees before approving, so they hold normalised values, and never an ID
// number: only its keyed hash.
type (
	caseParams struct {
		CaseID       string          `json:"case_id"`
		Version      int64           `json:"version,omitempty"`       // the case's version at proposal: what the reviewer approves
		Changes      json.RawMessage `json:"changes,omitempty"`       // amend_case: a CaseInput
		Note         string          `json:"note,omitempty"`          // amend_case: the public note
		PublishUntil string          `json:"publish_until,omitempty"` // publish_case: YYYY-MM-DD, overriding the default period
	}
	credentialParams struct {
		CertificateNo string `json:"certificate_no"`
		Until         string `json:"until,omitempty"` // end of a suspension, YYYY-MM-DD
		CaseID        string `json:"case_id,omitempty"`
	}
	banParams struct {
		CertificateNo string  `json:"certificate_no,omitempty"`
		IDHash        string  `json:"id_hash,omitempty"`   // HMAC of the ID number, base64url as in receipts
		PersonID      int64   `json:"person_id,omitempty"` // the person when known at proposal
		Name          string  `json:"name"`
		Scope         string  `json:"scope"`
		StartsOn      string  `json:"starts_on"`
		EndsOn        *string `json:"ends_on"` // null: permanent
		CaseID        string  `json:"case_id,omitempty"`
	}
	liftParams struct {
		BanID    int64 `json:"ban_id"`
		PersonID int64 `json:"person_id"`
	}
)

// caseRef reads the case_id parameter of a credential or ban action: a
// case that must exist (EUnknownRef otherwise), or "" when not given.
func caseRef(ctx context.Context, r store.Reader, p map[string]json.RawMessage) (string, error) {
	var id string
	ok, err := param(p, "case_id", &id)
	if err != nil || !ok {
		return "", err
	}
	if _, err := caseParam(ctx, r, id); err != nil {
		return "", err
	}
	return id, nil
}

// credentialFor normalises the certificate_no parameter and reads it.
func credentialFor(ctx context.Context, r store.Reader, p map[string]json.RawMessage) (*store.Credential, error) {
	var raw string
	if _, err := param(p, "certificate_no", &raw); err != nil {
		return nil, err
	}
	no, err := NormaliseCertificateNo(raw)
	if err != nil {
		return nil, err
	}
	c, err := r.CredentialByNumber(ctx, no)
	if errNotFound(err) {
		return nil, store.FieldError(store.EUnknownRef, "certificate_no", "no credential %s in the register", no)
	}
	return c, err
}

// statusAllows says whether kind can act on a credential with this stored
// status: revocation is final, and only a suspension can be reinstated.
func statusAllows(kind string, c *store.Credential) error {
	switch {
	case c.Status == store.StatusRevoked && kind == store.ActionRevokeCredential:
		return store.FieldError(store.EConflict, "certificate_no", "credential %s is already revoked", c.CertificateNo)
	case c.Status == store.StatusRevoked:
		return store.FieldError(store.EConflict, "certificate_no", "credential %s is revoked, and revocation is final", c.CertificateNo)
	case kind == store.ActionReinstateCredential && c.Status != store.StatusSuspended:
		return store.FieldError(store.EConflict, "certificate_no", "credential %s is not suspended", c.CertificateNo)
	}
	return nil
}

func checkCredentialAction(kind string) func(context.Context, *App, store.Reader, map[string]json.RawMessage) (any, string, error) {
	return func(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
		c, err := credentialFor(ctx, r, p)
		if err != nil {
			return nil, "", err
		}
		if err := statusAllows(kind, c); err != nil {
			return nil, "", err
		}
		out := credentialParams{CertificateNo: c.CertificateNo}
		if out.CaseID, err = caseRef(ctx, r, p); err != nil {
			return nil, "", err
		}
		var until string
		if ok, err := param(p, "until", &until); err != nil {
			return nil, "", err
		} else if ok {
			d, err := store.ParseDate(until)
			if err != nil {
				return nil, "", store.FieldError(store.EInvalid, "until", "until must be a date written YYYY-MM-DD")
			}
			if d.Before(a.today()) {
				return nil, "", store.FieldError(store.EInvalid, "until", "until must not be in the past")
			}
			out.Until = d.String()
		}
		return out, "credential:" + c.CertificateNo, nil
	}
}

var newStatus = map[string]string{
	store.ActionRevokeCredential:    store.StatusRevoked,
	store.ActionSuspendCredential:   store.StatusSuspended,
	store.ActionReinstateCredential: store.StatusActive,
}

// applyCredentialStatus decides on the credential as it is inside the
// approving transaction, read under its lock: an approval racing another
// on the same credential waits for it and then decides on what it left, so
// it fails only when the change no longer applies (nothing undoes a
// revocation), and otherwise applies after it, as a serial order would.
// The write is conditional on the status read all the same, so that no
// path can overwrite a change it did not see.
func applyCredentialStatus(ctx context.Context, a *App, tx store.Tx, act *store.Action, approver string) (outcome, error) {
	var p credentialParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return outcome{}, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	c, err := tx.CredentialForUpdate(ctx, p.CertificateNo)
	if err != nil {
		return outcome{}, err
	}
	if err := statusAllows(act.Kind, c); err != nil { // the register may have moved since the proposal
		return outcome{}, err
	}
	until, _ := store.ParseDate(p.Until) // checked at proposal; "" is the zero Date
	now, to := a.now(), store.CredentialStatus{Status: newStatus[act.Kind], SuspendedUntil: until}
	from := c.EffectiveStatus(store.Today(now))
	if err := tx.SetCredentialStatus(ctx, c.CertificateNo, c.StoredStatus(), to, act.Reason, now); err != nil {
		if store.IsCode(err, store.EConflict) {
			return outcome{}, store.FieldError(store.EConflict, "certificate_no",
				"credential %s changed while this approval was being applied; look at it again before approving", c.CertificateNo)
		}
		return outcome{}, err
	}
	change := &store.CredentialChange{CertificateNo: c.CertificateNo, At: now, FromStatus: from, ToStatus: to.Status, Until: until,
		Reason: act.Reason, CaseID: p.CaseID, ActionID: act.ID, ProposedBy: act.ProposedBy, ApprovedBy: approver,
		Kind: store.ChangeStatus, Actor: approver, Source: store.SourceAction}
	if err := tx.AddCredentialChange(ctx, change); err != nil {
		return outcome{}, err
	}
	c.Status, c.SuspendedUntil = to.Status, until
	if err := a.enqueue(ctx, tx, "credential.status", "credential:"+c.CertificateNo, map[string]any{
		"certificate_no": c.CertificateNo, "person_id": c.PersonID, "from": from,
		"status": c.EffectiveStatus(store.Today(now)), "until": p.Until, "action_id": act.ID,
	}); err != nil {
		return outcome{}, err
	}
	return outcome{}, a.enqueueHolderChanged(ctx, tx, holderChange{typ: EventStatusChanged, kind: changeStatus,
		nos: []string{c.CertificateNo}, old: map[string]string{c.CertificateNo: from}, personID: c.PersonID, act: act})
}

// checkImposeBan validates an impose_ban proposal against the register as
// it is now. A name that is not the one on record for the certificate or
// the ID number is EIDNameMismatch on field name, the register's code for
// an identifier and a name that do not belong together; an ID number not
// on record yet is a ban on a person the approval will create.
func checkImposeBan(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	var out banParams
	var name, idNumber, certNo, startsOn, endsOn string
	// In a fixed order, so that of several bad parameters the same one is reported every time.
	for _, f := range [...]struct {
		field string
		dst   *string
	}{{"name", &name}, {"id_number", &idNumber}, {"certificate_no", &certNo}, {"scope", &out.Scope}, {"starts_on", &startsOn}} {
		if _, err := param(p, f.field, f.dst); err != nil {
			return nil, "", err
		}
	}
	hasEnd, err := param(p, "ends_on", &endsOn)
	if err != nil {
		return nil, "", err
	}
	folded, err := a.foldName("name", name)
	if err != nil {
		return nil, "", err
	}
	out.Name = name
	if !store.ValidBanScope(out.Scope) {
		return nil, "", store.FieldError(store.EInvalid, "scope", "scope is %s or %s", store.BanScopeEducation, store.BanScopeTeaching)
	}
	starts, err := requiredDate("starts_on", startsOn)
	if err != nil {
		return nil, "", err
	}
	out.StartsOn = starts.String()
	if hasEnd {
		ends, err := store.ParseDate(endsOn)
		if err != nil {
			return nil, "", store.FieldError(store.EInvalid, "ends_on", "ends_on must be a date written YYYY-MM-DD, or null for a permanent ban")
		}
		if ends.Before(starts) {
			return nil, "", store.FieldError(store.EInvalid, "ends_on", "ends_on must not be before starts_on")
		}
		s := ends.String()
		out.EndsOn = &s
	}
	if out.CaseID, err = caseRef(ctx, r, p); err != nil {
		return nil, "", err
	}
	switch {
	case certNo != "" && idNumber != "":
		return nil, "", store.FieldError(store.EInvalid, "id_number", "give certificate_no or id_number, not both")
	case certNo != "":
		c, err := credentialFor(ctx, r, p)
		if err != nil {
			return nil, "", err
		}
		if c.HolderNameFolded != folded {
			// The register's code, as for an ID number: the identifier given
			// and the name do not belong together (422, not a malformed field).
			return nil, "", store.FieldError(store.EIDNameMismatch, "name", "the name does not match the register entry for certificate %s", c.CertificateNo)
		}
		out.CertificateNo, out.PersonID = c.CertificateNo, c.PersonID
		return out, "credential:" + c.CertificateNo, nil
	case idNumber != "":
		id, err := NormaliseIDNumber(idNumber)
		if err != nil {
			return nil, "", err
		}
		h := a.hashIDNumber(id)
		out.IDHash = base64.RawURLEncoding.EncodeToString(h)
		persons, err := r.PersonsByIDHashes(ctx, [][]byte{h})
		if err != nil {
			return nil, "", err
		}
		if person, ok := persons[string(h)]; ok {
			if a.folder.Fold(person.Name) != folded {
				return nil, "", store.FieldError(store.EIDNameMismatch, "name", "this ID number belongs to a person registered under another name")
			}
			out.PersonID = person.ID
			return out, fmt.Sprintf("person:%d", person.ID), nil
		}
		return out, "person:new", nil
	}
	return nil, "", store.FieldError(store.EMissing, "certificate_no", "impose_ban needs certificate_no or id_number")
}

func applyImposeBan(ctx context.Context, a *App, tx store.Tx, act *store.Action, _ string) (outcome, error) {
	var p banParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return outcome{}, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	now := a.now()
	personID, err := a.banTarget(ctx, tx, p, now)
	if err != nil {
		return outcome{}, err
	}
	b := &store.Ban{PersonID: personID, Scope: p.Scope, Reason: act.Reason, CaseID: p.CaseID, CreatedAt: now}
	b.StartsOn, _ = store.ParseDate(p.StartsOn)
	if p.EndsOn != nil {
		b.EndsOn, _ = store.ParseDate(*p.EndsOn)
	}
	if err := tx.CreateBan(ctx, b); err != nil {
		return outcome{}, err
	}
	if err := a.enqueue(ctx, tx, "ban.imposed", fmt.Sprintf("person:%d", personID), map[string]any{
		"ban_id": b.ID, "person_id": personID, "certificate_no": p.CertificateNo, "scope": b.Scope,
		"starts_on": p.StartsOn, "ends_on": p.EndsOn, "action_id": act.ID,
	}); err != nil {
		return outcome{}, err
	}
	// A ban falls on the person: every credential of theirs is concerned.
	return outcome{banID: b.ID}, a.enqueueBanChanged(ctx, tx, EventBanImposed, personID, act)
}

// banTarget finds, or creates, the person a ban falls on: the holder of the
// certificate (linking a new person to the credential if it had none), or
// the person with the ID number's hash. It decides on the register as it
// is in the approving transaction, which may differ from what the proposal
// saw, and refuses (EConflict) when the name the ban was proposed under is
// no longer the holder's there.
//
// Two bans approved at once on one holder must fall on one person, or one
// of them would sit on a person no check ever finds. The credential is
// therefore read under its lock, so the second approval waits and finds the
// person the first linked; and a person is created by ID hash only if none
// has it, the second creation yielding (EConflict) to the first, whose
// person is then read and used.
func (a *App) banTarget(ctx context.Context, tx store.Tx, p banParams, now time.Time) (int64, error) {
	folded := a.folder.Fold(p.Name)
	if p.CertificateNo != "" {
		c, err := tx.CredentialForUpdate(ctx, p.CertificateNo)
		if err != nil {
			return 0, err
		}
		if c.HolderNameFolded != folded {
			return 0, store.FieldError(store.EConflict, "name",
				"the holder of certificate %s is no longer registered under the name this ban names", c.CertificateNo)
		}
		if c.PersonID != 0 {
			return c.PersonID, nil
		}
		person := &store.Person{Name: c.HolderName, CreatedAt: now}
		if err := tx.CreatePersons(ctx, []*store.Person{person}); err != nil {
			return 0, err
		}
		return person.ID, tx.LinkCredentialPerson(ctx, c.CertificateNo, 0, person.ID, now)
	}
	h, err := base64.RawURLEncoding.DecodeString(p.IDHash)
	if err != nil {
		return 0, fmt.Errorf("app: ban id hash: %w", err)
	}
	person, err := a.personByHash(ctx, tx, h)
	if errNotFound(err) {
		person = &store.Person{Name: p.Name, IDHash: h, CreatedAt: now}
		err = tx.CreatePersons(ctx, []*store.Person{person})
		if store.IsCode(err, store.EConflict) { // created a moment ago by another transaction
			person, err = a.personByHash(ctx, tx, h)
		}
	}
	if err != nil {
		return 0, err
	}
	if a.folder.Fold(person.Name) != folded {
		return 0, store.FieldError(store.EConflict, "name", "the ID number is on record under another name than this ban names")
	}
	return person.ID, nil
}

// personByHash returns the person with that ID hash, or ENotFound.
func (a *App) personByHash(ctx context.Context, r store.Reader, h []byte) (*store.Person, error) {
	persons, err := r.PersonsByIDHashes(ctx, [][]byte{h})
	if err != nil {
		return nil, err
	}
	if p, ok := persons[string(h)]; ok {
		return p, nil
	}
	return nil, store.Errorf(store.ENotFound, "no person with this ID number")
}

func checkLiftBan(ctx context.Context, _ *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	var id int64
	if ok, err := param(p, "ban_id", &id); err != nil || !ok || id < 1 {
		return nil, "", store.FieldError(store.EInvalid, "ban_id", "ban_id is the number of a ban")
	}
	b, err := r.BanByID(ctx, id)
	if errNotFound(err) {
		return nil, "", store.FieldError(store.EUnknownRef, "ban_id", "no ban %d", id)
	}
	if err != nil {
		return nil, "", err
	}
	if !b.LiftedAt.IsZero() {
		return nil, "", store.FieldError(store.EConflict, "ban_id", "ban %d was lifted already", id)
	}
	return liftParams{BanID: id, PersonID: b.PersonID}, fmt.Sprintf("ban:%d", id), nil
}

// applyLiftBan lifts the ban with a write conditional on its not being
// lifted, so of two lifts approved at once the second is EConflict.
func applyLiftBan(ctx context.Context, a *App, tx store.Tx, act *store.Action, _ string) (outcome, error) {
	var p liftParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return outcome{}, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	if err := tx.LiftBan(ctx, p.BanID, a.now()); err != nil {
		if store.IsCode(err, store.EConflict) {
			return outcome{}, store.Errorf(store.EConflict, "ban %d was lifted already", p.BanID)
		}
		return outcome{}, err
	}
	if err := a.enqueue(ctx, tx, "ban.lifted", fmt.Sprintf("person:%d", p.PersonID), map[string]any{
		"ban_id": p.BanID, "person_id": p.PersonID, "action_id": act.ID,
	}); err != nil {
		return outcome{}, err
	}
	return outcome{}, a.enqueueBanChanged(ctx, tx, EventBanLifted, p.PersonID, act)
}

package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"ethicsportal/store"
)

// correct_credential changes what identifies the holder of a registered
// credential: the holder's name, the ID number the credential is linked
// to, its kind and its issue date (DESIGN principle 8). A registrar
// proposes, a reviewer approves; the change is applied only while the
// credential still holds the values the proposal was decided from.
//
// The credential's kind is the parameter credential_kind: in a proposal
// body the parameters sit beside the action's own "kind".

// identity is the part of a credential a correction may change, as kept in
// the action's parameters.
type identity struct {
	HolderName string `json:"holder_name"`
	Kind       string `json:"kind"`
	IssuedOn   string `json:"issued_on"`
	PersonID   int64  `json:"person_id,omitempty"` // the linked person; 0 when none
}

// correctParams are the checked parameters of correct_credential. From is
// the state it was decided from and To the state it leads to; IDHash, when
// set, is the keyed hash of the corrected ID number (never the number).
type correctParams struct {
	CertificateNo string   `json:"certificate_no"`
	From          identity `json:"from"`
	To            identity `json:"to"`
	IDHash        string   `json:"id_hash,omitempty"`
}

func identityOf(c *store.Credential) identity {
	return identity{HolderName: c.HolderName, Kind: c.Kind, IssuedOn: c.IssuedOn.String(), PersonID: c.PersonID}
}

func checkCorrectCredential(ctx context.Context, a *App, r store.Reader, p map[string]json.RawMessage) (any, string, error) {
	c, err := credentialFor(ctx, r, p)
	if err != nil {
		return nil, "", err
	}
	var name, idNumber, kind, issuedOn string
	for field, dst := range map[string]*string{"holder_name": &name, "id_number": &idNumber, "credential_kind": &kind, "issued_on": &issuedOn} {
		if _, err := param(p, field, dst); err != nil {
			return nil, "", err
		}
	}
	out := correctParams{CertificateNo: c.CertificateNo, From: identityOf(c), To: identityOf(c)}
	out.To.PersonID = 0 // decided at approval, from the register as it is then
	folded := c.HolderNameFolded
	if name = strings.TrimSpace(name); name != "" {
		if folded, err = a.foldName("holder_name", name); err != nil {
			return nil, "", err
		}
		out.To.HolderName = name
	}
	if kind = strings.TrimSpace(kind); kind != "" {
		if !store.ValidCredentialKind(kind) {
			return nil, "", store.FieldError(store.EInvalid, "credential_kind", "unknown kind %q; kinds are %s", kind, strings.Join(store.CredentialKindIDs(), ", "))
		}
		out.To.Kind = kind
	}
	if strings.TrimSpace(issuedOn) != "" {
		d, err := requiredDate("issued_on", issuedOn)
		if err != nil {
			return nil, "", err
		}
		if c.RegisteredUntil.Before(d) {
			return nil, "", store.FieldError(store.EInvalid, "issued_on", "issued_on must not be after registered_until (%s)", c.RegisteredUntil)
		}
		out.To.IssuedOn = d.String()
	}
	relink := false
	if strings.TrimSpace(idNumber) != "" {
		id, err := NormaliseIDNumber(idNumber)
		if err != nil {
			return nil, "", err
		}
		h := a.hashIDNumber(id)
		persons, err := r.PersonsByIDHashes(ctx, [][]byte{h})
		if err != nil {
			return nil, "", err
		}
		target := persons[string(h)]
		if target == nil || target.ID != c.PersonID { // the same link is no correction
			if target != nil && a.folder.Fold(target.Name) != folded {
				return nil, "", store.FieldError(store.EIDNameMismatch, "id_number", "this ID number belongs to a person registered under another name")
			}
			if err := a.relinkKeepsBans(ctx, r, c.PersonID, target); err != nil {
				return nil, "", err
			}
			out.IDHash = base64.RawURLEncoding.EncodeToString(h)
			relink = true
		}
	}
	if !relink && out.To.HolderName == out.From.HolderName && out.To.Kind == out.From.Kind && out.To.IssuedOn == out.From.IssuedOn {
		return nil, "", store.FieldError(store.EInvalid, "certificate_no", "the correction changes nothing in credential %s", c.CertificateNo)
	}
	return out, "credential:" + c.CertificateNo, nil
}

// relinkKeepsBans refuses to move a credential away from a person who has
// no ID number but has bans, to another person (target) who exists: such
// a person stands for this holder only (a ban by certificate number made
// them), and the move would drop those bans from the credential without
// anyone lifting them. With no target the person is kept and given the ID
// number instead (see applyCorrectCredential), so the bans stay.
func (a *App) relinkKeepsBans(ctx context.Context, r store.Reader, from int64, target *store.Person) error {
	if from == 0 || target == nil {
		return nil
	}
	p, err := r.PersonByID(ctx, from)
	if err != nil || p.IDHash != nil {
		return err
	}
	bans, err := r.BansForPerson(ctx, from)
	if err != nil {
		return err
	}
	if len(bans) > 0 {
		return store.FieldError(store.EConflict, "id_number", "the holder of this credential has bans recorded without an ID number, "+
			"and another person holds this ID number: linking the credential to them would drop those bans; "+
			"impose the bans on that person first, or lift them")
	}
	return nil
}

func applyCorrectCredential(ctx context.Context, a *App, tx store.Tx, act *store.Action, approver string) (outcome, error) {
	var p correctParams
	if err := json.Unmarshal(act.Params, &p); err != nil {
		return outcome{}, fmt.Errorf("app: action %d params: %w", act.ID, err)
	}
	c, err := tx.CredentialByNumber(ctx, p.CertificateNo)
	if err != nil {
		return outcome{}, err
	}
	if identityOf(c) != p.From {
		return outcome{}, store.FieldError(store.EConflict, "certificate_no", "credential %s changed after this correction was proposed; propose it again", c.CertificateNo)
	}
	now := a.now()
	to := *c
	to.HolderName, to.Kind = p.To.HolderName, p.To.Kind
	if to.HolderNameFolded, err = a.foldName("holder_name", to.HolderName); err != nil {
		return outcome{}, err
	}
	if to.IssuedOn, err = store.ParseDate(p.To.IssuedOn); err != nil {
		return outcome{}, fmt.Errorf("app: action %d issued_on: %w", act.ID, err)
	}
	renamed := to.HolderName != c.HolderName
	// rename is the person whose name, with every credential of theirs,
	// follows the corrected one; 0 when no person is to be renamed.
	rename, relinked := c.PersonID, false
	if p.IDHash != "" {
		if to.PersonID, rename, relinked, err = a.correctLink(ctx, tx, c, &to, p.IDHash, now); err != nil {
			return outcome{}, err
		}
	}
	if err := tx.CorrectCredential(ctx, c, &to, now); err != nil {
		return outcome{}, err
	}
	history := []*store.CredentialChange{a.correctionEntry(act, approver, now, c.CertificateNo, identityChanges(c, &to, relinked))}
	if renamed && rename != 0 {
		person, err := tx.PersonByID(ctx, rename)
		if err != nil {
			return outcome{}, err
		}
		former, err := tx.RenamePerson(ctx, rename, person.Name, to.HolderName, to.HolderNameFolded, now)
		if err != nil {
			return outcome{}, err
		}
		for no, old := range former {
			if no != c.CertificateNo && old != to.HolderName {
				history = append(history, a.correctionEntry(act, approver, now, no,
					[]store.FieldChange{{Field: "holder_name", From: old, To: to.HolderName}}))
			}
		}
	}
	if err := tx.AddCredentialChanges(ctx, history); err != nil {
		return outcome{}, err
	}
	nos := make([]string, 0, len(history))
	for _, h := range history {
		if err := a.enqueue(ctx, tx, "credential.corrected", "credential:"+h.CertificateNo, map[string]any{
			"certificate_no": h.CertificateNo, "person_id": to.PersonID, "action_id": act.ID, "changes": h.Fields,
		}); err != nil {
			return outcome{}, err
		}
		nos = append(nos, h.CertificateNo)
	}
	return outcome{}, a.enqueueHolderChanged(ctx, tx, holderChange{typ: EventCorrected, kind: changeIdentity,
		nos: nos, personID: to.PersonID, act: act})
}

// correctLink decides the person the corrected ID number links the
// credential to, as the register is now: the person holding that number
// (who must bear the corrected name: EIDNameMismatch otherwise), else the
// credential's own person when they have no ID number yet (they are given
// this one, so their bans stay with them), else a new person. It returns
// that person, the one to rename when the name changes too (0: none, as a
// person found by the number bears the name already and a new one is
// created with it), and whether the link changed at all.
func (a *App) correctLink(ctx context.Context, tx store.Tx, c, to *store.Credential, idHash string, now time.Time) (personID, rename int64, changed bool, err error) {
	h, err := base64.RawURLEncoding.DecodeString(idHash)
	if err != nil {
		return 0, 0, false, fmt.Errorf("app: correction id hash: %w", err)
	}
	persons, err := tx.LockPersonsByIDHashes(ctx, [][]byte{h})
	if err != nil {
		return 0, 0, false, err
	}
	if target := persons[string(h)]; target != nil {
		if target.ID == c.PersonID { // linked so since the proposal
			return c.PersonID, c.PersonID, false, nil
		}
		if a.folder.Fold(target.Name) != to.HolderNameFolded {
			return 0, 0, false, store.FieldError(store.EIDNameMismatch, "id_number", "this ID number belongs to a person registered under another name")
		}
		if err := a.relinkKeepsBans(ctx, tx, c.PersonID, target); err != nil {
			return 0, 0, false, err
		}
		return target.ID, 0, true, nil
	}
	if c.PersonID != 0 {
		own, err := tx.PersonByID(ctx, c.PersonID)
		if err != nil {
			return 0, 0, false, err
		}
		if own.IDHash == nil {
			if err := tx.SetPersonIDHash(ctx, own.ID, h); err != nil {
				return 0, 0, false, err
			}
			return own.ID, own.ID, true, nil
		}
	}
	person := &store.Person{Name: to.HolderName, IDHash: h, CreatedAt: now}
	if err := tx.CreatePersons(ctx, []*store.Person{person}); err != nil {
		return 0, 0, false, err
	}
	return person.ID, 0, true, nil
}

func (a *App) correctionEntry(act *store.Action, approver string, now time.Time, no string, fields []store.FieldChange) *store.CredentialChange {
	return &store.CredentialChange{CertificateNo: no, At: now, Kind: store.ChangeCorrected, Actor: approver,
		Source: store.SourceAction, Fields: fields, Reason: act.Reason, ActionID: act.ID,
		ProposedBy: act.ProposedBy, ApprovedBy: approver}
}

// identityChanges lists what a correction changed; the ID-number link
// (relinked) only as having changed.
func identityChanges(from, to *store.Credential, relinked bool) []store.FieldChange {
	var out []store.FieldChange
	if from.HolderName != to.HolderName {
		out = append(out, store.FieldChange{Field: "holder_name", From: from.HolderName, To: to.HolderName})
	}
	if relinked {
		out = append(out, store.FieldChange{Field: store.FieldIDNumber})
	}
	if from.Kind != to.Kind {
		out = append(out, store.FieldChange{Field: "kind", From: from.Kind, To: to.Kind})
	}
	if from.IssuedOn != to.IssuedOn {
		out = append(out, store.FieldChange{Field: "issued_on", From: from.IssuedOn.String(), To: to.IssuedOn.String()})
	}
	return out
}

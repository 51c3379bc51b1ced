package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's register pages: a credential looked up by its certificate
// number with its history and bans, registering a new one, re-registering
// one, proposing the two-person actions on it, and importing a CSV file.

// consoleImportPath is the console's upload route: like the API's import
// (importPath) it may take a body up to the CSV limit, for a request that
// carries a session cookie (bodyLimitFor, consoleBodyLimit).
const consoleImportPath = "/admin/credentials/import"

// consoleBodyLimit holds the console's requests to the JSON limit, except
// the upload of an import file, which gets the CSV limit.
func consoleBodyLimit(jsonBody, csvBody fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Method() == fiber.MethodPost && strings.TrimSuffix(c.Path(), "/") == consoleImportPath {
			return csvBody(c)
		}
		return jsonBody(c)
	}
}

// credentialForm is the registration form's data, as entered.
type credentialForm struct {
	CertificateNo, HolderName, IDNumber, Kind, Subject, Issuer, IssuedOn, RegisteredUntil string
}

func readCredentialForm(c *fiber.Ctx) credentialForm {
	return credentialForm{CertificateNo: formValue(c, "certificate_no"), HolderName: formValue(c, "holder_name"),
		IDNumber: formValue(c, "id_number"), Kind: formValue(c, "kind"), Subject: formValue(c, "subject"),
		Issuer: formValue(c, "issuer"), IssuedOn: formValue(c, "issued_on"), RegisteredUntil: formValue(c, "registered_until")}
}

// registerView is the data of the registration page.
type registerView struct {
	registerLabels
	Fields []registerField
	Errors []fieldError
}

// credentialView is the data of the look-up page: the form, and the
// credential when one was asked for and found.
type credentialView struct {
	registerLabels
	Query      string // the certificate number as typed
	NotFound   bool
	Record     *app.CredentialRecord
	Notice     string // a catalogue key: what the last change did
	Proposed   int64  // the action just proposed
	Form       string // the form the errors belong to
	Errors     []fieldError
	Err        map[string]string
	Values     map[string]string // what was entered in the failed form, by field id
	LookupErr  string
	Reregister []registerField
	Actions    []actionForm
}

func taxonomyKinds() []store.Term  { return store.DefaultTaxonomy().CredentialKinds }
func taxonomyScopes() []store.Term { return store.DefaultTaxonomy().BanScopes }

// errMap indexes form errors by field id, for the message beside each field.
func errMap(errs []fieldError) map[string]string {
	m := map[string]string{}
	for _, e := range errs {
		if _, ok := m[e.Field]; !ok {
			m[e.Field] = e.Message
		}
	}
	return m
}

// registerErrorKeys are the catalogue's words for the app's error codes.
var registerErrorKeys = map[string]string{
	store.EInvalid:        uiKey("register.code.invalid_field"),
	store.EMissing:        uiKey("register.code.missing_field"),
	store.EIdentityChange: uiKey("register.code.identity_change"),
	store.EIDNameMismatch: uiKey("register.code.id_name_mismatch"),
	store.EConflict:       uiKey("register.code.conflict"),
	store.EUnknownRef:     uiKey("register.code.unknown_reference"),
	"duplicate_row":       uiKey("register.code.duplicate_row"),
	store.EMalformedRow:   uiKey("register.code.malformed_row"),
	store.EEmptyRow:       uiKey("register.code.empty_row"),
	store.EUnknownField:   uiKey("register.code.unknown_field"),
	store.EInvalidHeader:  uiKey("register.code.invalid_header"),
	store.EDuplicateItem:  uiKey("register.code.duplicate_row"),
	store.EForbidden:      uiKey("register.code.forbidden"),
	store.EFourEyes:       uiKey("register.code.forbidden"),
}

// credentialsPage is the look-up: a form, and with ?certificate_no= the
// credential, its history and bans, and the forms that change it.
func (s *Server) credentialsPage(c *fiber.Ctx) error {
	v := credentialView{Query: strings.TrimSpace(utilsCopy(c.Query("certificate_no"))),
		Err: map[string]string{}, Values: map[string]string{}}
	switch {
	case c.Query("registered") != "":
		v.Notice = uiKey("register.notice.registered")
	case c.Query("reregistered") != "":
		v.Notice = uiKey("register.notice.reregistered")
	}
	if p, err := strconv.ParseInt(c.Query("proposed"), 10, 64); err == nil && p > 0 {
		v.Proposed = p
	}
	status := fiber.StatusOK
	if v.Query != "" {
		rec, err := s.app.Credential(c.UserContext(), v.Query)
		switch {
		case store.IsCode(err, store.ENotFound):
			v.NotFound, status = true, fiber.StatusNotFound
		case err != nil:
			errs := s.fieldErrors(pageLang(c), err, map[string]string{"": "certificate_no", "certificate_no": "certificate_no"})
			if errs == nil {
				return err
			}
			v.LookupErr, status = errs[0].Message, fiber.StatusBadRequest
		default:
			v.Record = rec
			s.fillCredentialForms(pageLang(c), &v)
		}
	}
	return s.render(c, status, "credentials", "register.title", v)
}

// registerPage is the form for a new credential.
func (s *Server) registerPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "credentials_new", "register.new.title",
		registerView{Fields: s.buildFields(pageLang(c), "", registerSpecs, map[string]string{}, map[string]string{})})
}

func (s *Server) registerForm(c *fiber.Ctx) error {
	f := readCredentialForm(c)
	rec, err := s.app.CreateCredential(c.UserContext(), principal(c).Username, app.CredentialInput{
		CertificateNo: f.CertificateNo, HolderName: f.HolderName, IDNumber: f.IDNumber, Kind: f.Kind,
		Subject: f.Subject, Issuer: f.Issuer, IssuedOn: f.IssuedOn, RegisteredUntil: f.RegisteredUntil})
	if err != nil {
		// A field the app names is the input of the same name; a mismatch of
		// the ID number with a registered name is shown beside the ID number.
		errs := s.fieldErrors(pageLang(c), err, map[string]string{"": "certificate_no", "person": "id_number"})
		if errs == nil {
			return err
		}
		if store.IsCode(err, store.EIDNameMismatch) && errs[0].Field != "holder_name" {
			errs[0].Field = "id_number"
		}
		values := map[string]string{"certificate_no": f.CertificateNo, "holder_name": f.HolderName, "kind": f.Kind,
			"subject": f.Subject, "issuer": f.Issuer, "issued_on": f.IssuedOn, "registered_until": f.RegisteredUntil}
		// The ID number is never echoed back into the page.
		return s.render(c, statusOfForm(err), "credentials_new", "register.new.title",
			registerView{Fields: s.buildFields(pageLang(c), "", registerSpecs, values, errMap(errs)), Errors: errs})
	}
	return c.Redirect("/admin/credentials?registered=1&certificate_no="+url.QueryEscape(rec.CertificateNo), fiber.StatusSeeOther)
}

// statusOfForm is the status of a form shown again with its errors.
func statusOfForm(err error) int {
	if st := statusOf[store.ErrorCode(err)]; st == fiber.StatusBadRequest || st == fiber.StatusConflict {
		return st
	}
	return fiber.StatusUnprocessableEntity
}

// showCredentialErrors shows the credential page again with a failed
// form's errors and entered values.
func (s *Server) showCredentialErrors(c *fiber.Ctx, certNo, form string, err error, errs []fieldError, values map[string]string) error {
	rec, rerr := s.app.Credential(c.UserContext(), certNo)
	if rerr != nil {
		return rerr
	}
	v := credentialView{Query: rec.CertificateNo, Record: rec,
		Form: form, Errors: errs, Err: errMap(errs), Values: values}
	s.fillCredentialForms(pageLang(c), &v)
	return s.render(c, statusOfForm(err), "credentials", "register.title", v)
}

// reregisterForm renews a credential's registration: registered_until,
// subject and issuer. The app re-registers a credential through its import
// (a registrar's own act, in the history with the row's source), so the
// form becomes a one-row file with the identity as the register holds it;
// a file without an id_number column leaves the holder's link alone.
func (s *Server) reregisterForm(c *fiber.Ctx) error {
	certNo := formValue(c, "certificate_no")
	rec, err := s.app.Credential(c.UserContext(), certNo)
	if err != nil {
		return err
	}
	values := map[string]string{"rr-registered_until": formValue(c, "registered_until"),
		"rr-subject": formValue(c, "subject"), "rr-issuer": formValue(c, "issuer")}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"certificate_no", "holder_name", "kind", "subject", "issuer", "issued_on", "registered_until"})
	_ = w.Write([]string{rec.CertificateNo, rec.HolderName, rec.Kind, values["rr-subject"], values["rr-issuer"],
		rec.IssuedOn.String(), values["rr-registered_until"]})
	w.Flush()
	rep, err := s.app.ImportCredentials(c.UserContext(), principal(c).Username, &buf,
		app.ImportOptions{Encoding: "utf-8", FileName: reregisterSource})
	if err != nil {
		return err
	}
	if rep.RejectedCount > 0 {
		rj := rep.Rejected[0]
		ferr := store.FieldError(rj.Code, rj.Field, "%s", rj.Detail)
		id := "rr-registered_until"
		if rj.Field == "subject" || rj.Field == "issuer" {
			id = "rr-" + rj.Field
		}
		errs := s.fieldErrors(pageLang(c), ferr, map[string]string{rj.Field: id})
		if errs == nil {
			errs = []fieldError{{Field: id, Message: s.site.catalog.text(pageLang(c), "form.invalid")}}
		}
		return s.showCredentialErrors(c, rec.CertificateNo, "reregister", ferr, errs, values)
	}
	return c.Redirect("/admin/credentials?reregistered=1&certificate_no="+url.QueryEscape(rec.CertificateNo), fiber.StatusSeeOther)
}

// reregisterSource is the "file" a re-registration from the console names
// in the credential's history.
const reregisterSource = "console"

// credentialActionFields are the inputs of each proposal form on the
// credential page, beside its reason; each input's id is the form's name,
// a hyphen and the field.
var credentialActionFields = map[string][]string{
	store.ActionRevokeCredential:    {"case_id"},
	store.ActionSuspendCredential:   {"until", "case_id"},
	store.ActionReinstateCredential: nil,
	store.ActionCorrectCredential:   {"holder_name", "id_number", "credential_kind", "issued_on"},
	store.ActionImposeBan:           {"scope", "starts_on", "ends_on", "permanent", "case_id"},
}

// proposeCredentialAction proposes one of the two-person actions on a
// credential, through the same use case as POST /api/v1/admin/actions.
func (s *Server) proposeCredentialAction(c *fiber.Ctx) error {
	kind, certNo := formValue(c, "kind"), formValue(c, "certificate_no")
	fields, ok := credentialActionFields[kind]
	if !ok {
		return store.FieldError(store.EInvalid, "kind", "unknown kind of action %q", kind)
	}
	rec, err := s.app.Credential(c.UserContext(), certNo)
	if err != nil {
		return err
	}
	params := map[string]json.RawMessage{"certificate_no": jsonString(rec.CertificateNo)}
	values := map[string]string{kind + "-reason": formValue(c, "reason")}
	for _, f := range fields {
		v := strings.TrimSpace(formValue(c, f))
		values[kind+"-"+f] = v
		if v == "" || f == "permanent" || f == "ends_on" {
			continue
		}
		params[f] = jsonString(v)
	}
	if kind == store.ActionImposeBan {
		params["name"] = jsonString(rec.HolderName)
		ends := values[kind+"-ends_on"]
		switch {
		case values[kind+"-permanent"] != "":
			params["ends_on"] = json.RawMessage("null")
		case ends != "":
			params["ends_on"] = jsonString(ends)
		default:
			ferr := store.FieldError(store.EMissing, "ends_on", "give an end date, or choose a permanent ban")
			errs := []fieldError{{Field: kind + "-ends_on", Message: s.site.catalog.text(pageLang(c), "register.ban.ends_missing")}}
			return s.showCredentialErrors(c, rec.CertificateNo, kind, ferr, errs, values)
		}
	}
	values[kind+"-id_number"] = "" // never echoed back into the page
	act, err := s.app.ProposeAction(c.UserContext(), principal(c), app.Proposal{Kind: kind, Reason: values[kind+"-reason"], Params: params})
	if err != nil {
		ids := map[string]string{"": kind + "-reason", "reason": kind + "-reason"}
		for _, f := range fields {
			ids[f] = kind + "-" + f
		}
		errs := s.fieldErrors(pageLang(c), err, ids)
		if errs == nil {
			return err
		}
		if !strings.HasPrefix(errs[0].Field, kind+"-") { // a parameter the form sets itself
			errs[0].Field = kind + "-reason"
		}
		return s.showCredentialErrors(c, rec.CertificateNo, kind, err, errs, values)
	}
	return c.Redirect("/admin/credentials?proposed="+strconv.FormatInt(act.ID, 10)+"&certificate_no="+url.QueryEscape(rec.CertificateNo), fiber.StatusSeeOther)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// importView is the import page's data: the form, and after an upload the
// report.
type importView struct {
	registerLabels
	Report   *app.ImportReport
	FileName string
	Errors   []fieldError
	Err      map[string]string
	Limit    int // bytes
}

func (s *Server) importPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "credentials_import", "register.import.title",
		importView{Err: map[string]string{}, Limit: s.app.Config().CSVBodyLimit})
}

// importForm takes the upload (multipart/form-data), imports it with the
// same use case as the API's import, and shows the row report. The report
// is shown at once rather than after a redirect: it is the outcome of this
// one upload and is kept nowhere else.
func (s *Server) importForm(c *fiber.Ctx) error {
	v := importView{Err: map[string]string{}, Limit: s.app.Config().CSVBodyLimit}
	lang := pageLang(c)
	up, err := s.readUpload(c)
	if err == nil && up.file == nil {
		err = store.FieldError(store.EMissing, "file", "choose a CSV file to upload")
	}
	if err != nil {
		v.Errors = []fieldError{{Field: "file", Message: s.site.catalog.text(lang, "register.import.no_file")}}
		v.Err = errMap(v.Errors)
		return s.render(c, fiber.StatusBadRequest, "credentials_import", "register.import.title", v)
	}
	v.FileName = up.name
	rep, err := s.app.ImportCredentials(c.UserContext(), principal(c).Username, bytes.NewReader(up.file),
		app.ImportOptions{Encoding: up.charset, FileName: up.name})
	if err != nil {
		errs := s.fieldErrors(lang, err, map[string]string{"": "file"})
		if errs == nil {
			return err
		}
		for i := range errs {
			errs[i].Field = "file"
		}
		if lang == langEN {
			errs[0].Message = store.ErrorMessage(err)
		} else {
			errs[0].Message = s.site.catalog.text(lang, "register.import.unreadable")
		}
		v.Errors, v.Err = errs, errMap(errs)
		return s.render(c, fiber.StatusUnprocessableEntity, "credentials_import", "register.import.title", v)
	}
	v.Report = rep
	return s.render(c, fiber.StatusOK, "credentials_import", "register.import.title", v)
}

// upload is a multipart form read from the request body in memory.
type upload struct {
	token   string // the form token
	file    []byte // nil when no file was sent
	name    string // the file's base name, safe to keep
	charset string // from the part's Content-Type, when it names one
}

const localUpload = "upload"

// maxUploadParts bounds the parts of an upload form: it has two.
const maxUploadParts = 8

// readUpload reads a multipart/form-data body from memory: every field
// bounded, nothing written to disk (the server never pre-parses multipart
// forms). The result is kept for the rest of the request: consoleForms
// reads the token from it before the handler reads the file.
func (s *Server) readUpload(c *fiber.Ctx) (*upload, error) {
	if up, ok := c.Locals(localUpload).(*upload); ok {
		return up, nil
	}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return nil, store.Errorf(store.EUnsupported, "send the file as multipart/form-data")
	}
	limit := s.app.Config().CSVBodyLimit
	mr := multipart.NewReader(bytes.NewReader(c.Body()), params["boundary"])
	up := &upload{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || n >= maxUploadParts {
			return nil, store.Errorf(store.EInvalid, "the form could not be read")
		}
		switch part.FormName() {
		case formField:
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return nil, store.Errorf(store.EInvalid, "the form could not be read")
			}
			up.token = string(b)
		case "file":
			if part.FileName() == "" && up.file == nil {
				continue // the browser's empty file input
			}
			b, err := io.ReadAll(io.LimitReader(part, int64(limit)+1))
			if err != nil {
				return nil, store.Errorf(store.EInvalid, "the form could not be read")
			}
			if len(b) > limit {
				return nil, store.Errorf(store.ETooLarge, "the file is over the limit of %d bytes", limit)
			}
			up.file = b
			up.name = uploadName(part.Header.Get(fiber.HeaderContentDisposition))
			if _, ps, err := mime.ParseMediaType(part.Header.Get(fiber.HeaderContentType)); err == nil {
				switch cs := strings.ToLower(ps["charset"]); cs {
				case "utf-8", "utf8", "gb18030", "gbk", "gb2312":
					up.charset = cs
				}
			}
		}
		part.Close()
	}
	c.Locals(localUpload, up)
	return up, nil
}

// postedFormToken is a console form's token: from the body of a multipart
// upload read in memory (readUpload), or from an ordinary form.
func (s *Server) postedFormToken(c *fiber.Ctx) string {
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		up, err := s.readUpload(c)
		if err != nil {
			return ""
		}
		return up.token
	}
	return postedField(c, formField)
}

// registerLabels gives the register's templates the catalogue keys and
// names of the values they show; the views embed it.
type registerLabels struct{}

var (
	statusKeys = map[string]string{
		store.StatusActive: uiKey("register.status.active"), store.StatusLapsed: uiKey("register.status.lapsed"),
		store.StatusSuspended: uiKey("register.status.suspended"), store.StatusRevoked: uiKey("register.status.revoked"),
	}
	changeKeys = map[string]string{
		store.ChangeCreated: uiKey("register.change.created"), store.ChangeReregistered: uiKey("register.change.reregistered"),
		store.ChangeCorrected: uiKey("register.change.corrected"), store.ChangeStatus: uiKey("register.change.status"),
	}
	sourceKeys = map[string]string{
		store.SourceAPI: uiKey("register.source.api"), store.SourceImport: uiKey("register.source.import"),
		store.SourceAction: uiKey("register.source.action"),
	}
	actionKeys = map[string]string{
		store.ActionRevokeCredential: uiKey("register.action.revoke_credential"), store.ActionSuspendCredential: uiKey("register.action.suspend_credential"),
		store.ActionReinstateCredential: uiKey("register.action.reinstate_credential"), store.ActionCorrectCredential: uiKey("register.action.correct_credential"),
		store.ActionImposeBan: uiKey("register.action.impose_ban"), store.ActionLiftBan: uiKey("register.action.lift_ban"),
	}
)

// keyOr is m[k], or fallback for a value the catalogue has no words for.
func keyOr(m map[string]string, k, fallback string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return fallback
}

func (registerLabels) StatusKey(s string) string {
	return keyOr(statusKeys, s, uiKey("register.unknown"))
}
func (registerLabels) ChangeKey(s string) string {
	return keyOr(changeKeys, s, uiKey("register.unknown"))
}
func (registerLabels) SourceKey(s string) string {
	return keyOr(sourceKeys, s, uiKey("register.unknown"))
}
func (registerLabels) ActionKey(s string) string {
	return keyOr(actionKeys, s, uiKey("register.unknown"))
}

// CodeKey is the words for an import's reject code.
func (registerLabels) CodeKey(code string) string {
	return keyOr(registerErrorKeys, code, uiKey("register.code.other"))
}

// StatusTag is the tag class of a status.
func (registerLabels) StatusTag(s string) string {
	switch s {
	case store.StatusActive:
		return "good"
	case store.StatusRevoked:
		return "bad"
	}
	return "warn"
}

func (registerLabels) KindName(lang, id string) string  { return termName(taxonomyKinds(), id, lang) }
func (registerLabels) ScopeName(lang, id string) string { return termName(taxonomyScopes(), id, lang) }

// Desc is an input's aria-describedby: its hint and its error, as present.
func (registerLabels) Desc(errs map[string]string, id, hint string) string {
	out := hint
	if _, ok := errs[id]; ok {
		if out != "" {
			out += " "
		}
		out += id + "-error"
	}
	return out
}

// registerField is one input of a register form, with its words already in the
// page's language, so that one template draws every field alike.
type registerField struct {
	ID, Name, Type string // Type: text, date, textarea, select, checkbox
	Label, Hint    string
	Value, Error   string
	Options        []fieldOption
	Required       bool
	Checked        bool
	Autocomplete   string
	InputMode      string
	MaxLength      int
}

type fieldOption struct {
	Value, Label string
	Selected     bool
}

// Describedby is the input's aria-describedby: its hint and its error.
func (f registerField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// fieldSpec describes a field before it is put in a language.
type fieldSpec struct {
	name, typ, label, hint string
	required               bool
	options                string // "kinds", "scopes" or "" for none
	max                    int
}

// buildFields puts specs in lang, with the form's values and errors; ids
// are prefix+name.
func (s *Server) buildFields(lang, prefix string, specs []fieldSpec, values, errs map[string]string) []registerField {
	out := make([]registerField, 0, len(specs))
	for _, sp := range specs {
		id := prefix + sp.name
		f := registerField{ID: id, Name: sp.name, Type: sp.typ, Label: s.site.catalog.text(lang, sp.label),
			Value: values[id], Error: errs[id], Required: sp.required, MaxLength: sp.max, Autocomplete: "off"}
		if sp.hint != "" {
			f.Hint = s.site.catalog.text(lang, sp.hint)
		}
		if sp.typ == "checkbox" {
			f.Checked, f.Value = values[id] != "", "1"
		}
		var terms []store.Term
		switch sp.options {
		case "kinds":
			terms = taxonomyKinds()
		case "scopes":
			terms = taxonomyScopes()
		}
		if terms != nil {
			if !sp.required {
				f.Options = append(f.Options, fieldOption{Value: "", Label: s.site.catalog.text(lang, "register.option.none")})
			}
			for _, t := range terms {
				f.Options = append(f.Options, fieldOption{Value: t.ID, Label: termName(terms, t.ID, lang), Selected: values[id] == t.ID})
			}
		}
		out = append(out, f)
	}
	return out
}

var (
	registerSpecs = []fieldSpec{
		{name: "certificate_no", typ: "text", label: uiKey("register.field.certificate_no"), hint: uiKey("register.hint.certificate_no"), required: true},
		{name: "holder_name", typ: "text", label: uiKey("register.field.holder_name"), required: true},
		{name: "id_number", typ: "text", label: uiKey("register.field.id_number"), hint: uiKey("register.hint.id_number")},
		{name: "kind", typ: "select", label: uiKey("register.field.kind"), required: true, options: "kinds"},
		{name: "subject", typ: "text", label: uiKey("register.field.subject"), max: 200},
		{name: "issuer", typ: "text", label: uiKey("register.field.issuer"), max: 200},
		{name: "issued_on", typ: "date", label: uiKey("register.field.issued_on"), hint: uiKey("register.hint.date"), required: true},
		{name: "registered_until", typ: "date", label: uiKey("register.field.registered_until"), hint: uiKey("register.hint.date"), required: true},
	}
	reregisterSpecs = []fieldSpec{
		{name: "registered_until", typ: "date", label: uiKey("register.field.registered_until"), hint: uiKey("register.hint.date"), required: true},
		{name: "subject", typ: "text", label: uiKey("register.field.subject"), max: 200},
		{name: "issuer", typ: "text", label: uiKey("register.field.issuer"), max: 200},
	}
	reasonSpec = fieldSpec{name: "reason", typ: "textarea", label: uiKey("register.field.reason"), hint: uiKey("register.hint.reason"), required: true}
	caseSpec   = fieldSpec{name: "case_id", typ: "text", label: uiKey("register.field.case_id"), hint: uiKey("register.hint.case_id")}
	// actionSpecs are the proposal forms of the credential page, in order;
	// their fields are credentialActionFields' and a reason.
	actionSpecs = []struct {
		kind, intro string
		fields      []fieldSpec
	}{
		{store.ActionRevokeCredential, uiKey("register.intro.revoke_credential"), []fieldSpec{caseSpec, reasonSpec}},
		{store.ActionSuspendCredential, uiKey("register.intro.suspend_credential"), []fieldSpec{
			{name: "until", typ: "date", label: uiKey("register.field.until"), hint: uiKey("register.hint.until")}, caseSpec, reasonSpec}},
		{store.ActionReinstateCredential, uiKey("register.intro.reinstate_credential"), []fieldSpec{reasonSpec}},
		{store.ActionCorrectCredential, uiKey("register.intro.correct_credential"), []fieldSpec{
			{name: "holder_name", typ: "text", label: uiKey("register.field.new_holder_name")},
			{name: "id_number", typ: "text", label: uiKey("register.field.id_number"), hint: uiKey("register.hint.new_id_number")},
			{name: "credential_kind", typ: "select", label: uiKey("register.field.kind"), options: "kinds"},
			{name: "issued_on", typ: "date", label: uiKey("register.field.issued_on"), hint: uiKey("register.hint.date")},
			reasonSpec}},
		{store.ActionImposeBan, uiKey("register.intro.impose_ban"), []fieldSpec{
			{name: "scope", typ: "select", label: uiKey("register.field.scope"), required: true, options: "scopes"},
			{name: "starts_on", typ: "date", label: uiKey("register.field.starts_on"), hint: uiKey("register.hint.date"), required: true},
			{name: "ends_on", typ: "date", label: uiKey("register.field.ends_on"), hint: uiKey("register.hint.ends_on")},
			{name: "permanent", typ: "checkbox", label: uiKey("register.field.permanent")},
			caseSpec, reasonSpec}},
	}
)

// actionForm is one proposal form of the credential page.
type actionForm struct {
	Kind, Title, Intro string
	Fields             []registerField
	Errors             []fieldError
	Open               bool
}

// fillCredentialForms builds the credential page's forms in lang.
func (s *Server) fillCredentialForms(lang string, v *credentialView) {
	rec := v.Record
	rr := map[string]string{"rr-registered_until": rec.RegisteredUntil.String(), "rr-subject": rec.Subject, "rr-issuer": rec.Issuer}
	if v.Form == "reregister" {
		rr = v.Values
	}
	v.Reregister = s.buildFields(lang, "rr-", reregisterSpecs, rr, v.Err)
	for _, a := range actionSpecs {
		f := actionForm{Kind: a.kind, Title: s.site.catalog.text(lang, actionKeys[a.kind]), Intro: s.site.catalog.text(lang, a.intro)}
		values, errs := map[string]string{}, map[string]string{}
		if v.Form == a.kind {
			values, errs, f.Errors, f.Open = v.Values, v.Err, v.Errors, true
		}
		f.Fields = s.buildFields(lang, a.kind+"-", a.fields, values, errs)
		v.Actions = append(v.Actions, f)
	}
}

// LimitMiB is the upload limit in MiB, for the form's hint.
func (v importView) LimitMiB() float64 { return float64(v.Limit) / (1 << 20) }

// fieldLabelKeys are the catalogue's names of the app's field names, for a
// history's changed fields, an import's rejected column and the words of
// a form error.
var fieldLabelKeys = map[string]string{
	"certificate_no": uiKey("register.field.certificate_no"), "holder_name": uiKey("register.field.holder_name"),
	"id_number": uiKey("register.field.id_number"), "kind": uiKey("register.field.kind"), "credential_kind": uiKey("register.field.kind"),
	"subject": uiKey("register.field.subject"), "issuer": uiKey("register.field.issuer"), "issued_on": uiKey("register.field.issued_on"),
	"registered_until": uiKey("register.field.registered_until"), "reason": uiKey("register.field.reason"),
	"case_id": uiKey("register.field.case_id"), "until": uiKey("register.field.until"), "scope": uiKey("register.field.scope"),
	"starts_on": uiKey("register.field.starts_on"), "ends_on": uiKey("register.field.ends_on"),
}

// FieldKey is the catalogue key of an app field's name; "" when it has none.
func (registerLabels) FieldKey(field string) string { return fieldLabelKeys[field] }

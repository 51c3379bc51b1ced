package handlers

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's cases: the list by status, the draft form (new, edit, and
// the amendment of a published case, all one form), and a case's page with
// the redaction check's findings beside the fields they concern and the
// proposals an editor makes from it. Every change goes through the same
// app methods as the admin API (cases_admin.go, actions.go).

// caseStatuses are the list's tabs, in order; the first is the default.
var caseStatuses = []string{store.CaseDraft, app.CasePending, store.CasePublished, store.CaseWithdrawn}

// caseStatusKey is the catalogue key of a case status's name.
func caseStatusKey(status string) string {
	switch status {
	case store.CaseDraft:
		return uiKey("console.cases.status.draft")
	case app.CasePending:
		return uiKey("console.cases.status.pending")
	case store.CasePublished:
		return uiKey("console.cases.status.published")
	case store.CaseWithdrawn:
		return uiKey("console.cases.status.withdrawn")
	}
	return uiKey("console.cases.status.unknown")
}

// findingKinds names each kind of finding in words (app.Finding*).
var findingKinds = map[string]string{
	app.FindingIDNumber:      uiKey("console.cases.finding.id_number"),
	app.FindingPhone:         uiKey("console.cases.finding.phone"),
	app.FindingEmail:         uiKey("console.cases.finding.email"),
	app.FindingHolderName:    uiKey("console.cases.finding.holder_name"),
	app.FindingUnmaskedName:  uiKey("console.cases.finding.unmasked_name"),
	app.FindingCertificateNo: uiKey("console.cases.finding.certificate_no"),
	app.FindingBankCard:      uiKey("console.cases.finding.bank_card"),
	app.FindingLicencePlate:  uiKey("console.cases.finding.licence_plate"),
	app.FindingBirthDate:     uiKey("console.cases.finding.birth_date"),
	app.FindingAccount:       uiKey("console.cases.finding.social_account"),
	app.FindingAddress:       uiKey("console.cases.finding.address"),
}

// caseFieldKeys names each field of a case (and of the texts published
// beside one) in words, for labels, findings and messages.
var caseFieldKeys = map[string]string{
	"title":          uiKey("console.cases.field.title"),
	"summary":        uiKey("console.cases.field.summary"),
	"body":           uiKey("console.cases.field.body"),
	"subject_name":   uiKey("console.cases.field.subject_name"),
	"school":         uiKey("console.cases.field.school"),
	"district":       uiKey("console.cases.field.district"),
	"stage":          uiKey("console.cases.field.stage"),
	"categories":     uiKey("console.cases.field.categories"),
	"sanctions":      uiKey("console.cases.field.sanctions"),
	"incident_date":  uiKey("console.cases.field.incident_date"),
	"decision_date":  uiKey("console.cases.field.decision_date"),
	"authority":      uiKey("console.cases.field.authority"),
	"certificate_no": uiKey("console.cases.field.certificate_no"),
	"note":           uiKey("console.cases.field.note"),
	"reason":         uiKey("console.cases.field.reason"),
	"publish_until":  uiKey("console.cases.field.publish_until"),
}

// findingView is one finding of the redaction check as a page shows it.
type findingView struct {
	Field      string // the app's field: "body", "sanctions[0].detail", "note"
	FieldKey   string // the field's name in words (catalogue key)
	KindKey    string // the kind in words (catalogue key); "" for a kind this page does not know
	Kind       string
	Excerpt    string
	Suggestion string
}

func findingViews(fs []app.Finding) []findingView {
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		base := f.Field
		if strings.HasPrefix(base, "sanctions[") {
			base = "sanctions"
		}
		out = append(out, findingView{Field: f.Field, FieldKey: caseFieldKeys[base], KindKey: findingKinds[f.Kind],
			Kind: f.Kind, Excerpt: f.Excerpt, Suggestion: f.Suggestion})
	}
	return out
}

// findingsFor picks the findings of one field; "sanctions" takes those of
// every sanction's detail.
func findingsFor(fs []findingView, field string) []findingView {
	var out []findingView
	for _, f := range fs {
		if f.Field == field || field == "sanctions" && strings.HasPrefix(f.Field, "sanctions[") {
			out = append(out, f)
		}
	}
	return out
}

// errFor is the message of the form field id, "" when it has none.
func errFor(errs []fieldError, id string) string {
	for _, e := range errs {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

// formErrors is s.fieldErrors with messages that name the field in the
// page's language when the app's own message cannot be shown in it, and a
// link to the form's first field for an error that names none.
func (s *Server) formErrors(lang string, err error, fieldIDs map[string]string, first string) []fieldError {
	errs := s.fieldErrors(lang, err, fieldIDs)
	if len(errs) == 0 {
		return nil
	}
	var e *store.Error
	if !errors.As(err, &e) {
		return errs
	}
	generic := s.site.catalog.text(lang, "form.invalid")
	for i := range errs {
		name := e.Field
		if strings.HasPrefix(name, "sanctions[") {
			name = "sanctions"
		}
		if key, ok := caseFieldKeys[name]; ok && errs[i].Message == generic {
			label := s.site.catalog.text(lang, key)
			switch e.Code {
			case store.EMissing:
				errs[i].Message = s.site.catalog.text(lang, "console.cases.error.missing", label)
			case store.EUnknownRef:
				errs[i].Message = s.site.catalog.text(lang, "console.cases.error.unknown_ref", label)
			default:
				errs[i].Message = s.site.catalog.text(lang, "console.cases.error.invalid", label)
			}
		}
		if errs[i].Message == generic && e.Code == store.EConflict {
			errs[i].Message = s.site.catalog.text(lang, "console.cases.error.conflict")
		}
		if errs[i].Field == "" {
			errs[i].Field = first
		}
	}
	return errs
}

// ---- The list ----

type caseListData struct {
	Status   string
	Statuses []string
	Cases    []store.Case
	Total    int
	Page     int
	Pages    int
	Query    url.Values
	CanDraft bool
}

// StatusKey is the catalogue key of a status's name, for the template.
func (caseListData) StatusKey(status string) string { return caseStatusKey(status) }

// DistrictName is a district's name in lang.
func (caseListData) DistrictName(lang, id string) string {
	return termName(store.DefaultTaxonomy().Districts, id, lang)
}

func (s *Server) consoleCases(c *fiber.Ctx) error {
	status, err := singleQuery(c, "status")
	if err != nil {
		return err
	}
	if status == "" {
		status = store.CaseDraft
	}
	if !slices.Contains(caseStatuses, status) {
		return store.FieldError(store.EInvalid, "status", "status is draft, pending, published or withdrawn")
	}
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	cs, total, err := s.app.AdminCases(c.UserContext(), status, page)
	if err != nil {
		return err
	}
	q := url.Values{"status": {status}}
	if page.PerPage != defaultPerPage {
		q.Set("per_page", strconv.Itoa(page.PerPage))
	}
	data := caseListData{Status: status, Statuses: caseStatuses, Cases: cs, Total: total, Page: page.Number,
		Pages: (total + page.PerPage - 1) / page.PerPage, Query: q, CanDraft: principal(c).HasRole(store.RoleEditor)}
	return s.render(c, fiber.StatusOK, "cases", "console.cases.title", data)
}

// ---- The form: new draft, edit a draft, amend a published case ----

const (
	formNew   = "new"
	formEdit  = "edit"
	formAmend = "amend"

	minSanctionRows = 3

	defaultPerPage = 20 // parsePage's
)

// sanctionRow is one row of the sanctions table of the form.
type sanctionRow struct {
	N            int
	Type, Detail string
}

// caseForm is the draft form's data: the values as typed, the errors, and
// (when editing) the findings of the case as saved.
type caseForm struct {
	Mode          string
	ID            string
	Title         string // the case's title as saved, for the heading of edit and amend
	Version       int64
	Values        store.CaseContent
	CertificateNo string
	Incident      string // dates as typed
	Decision      string
	Checked       map[int]bool
	Rows          []sanctionRow
	Note, Reason  string // an amendment's
	RowAdded      bool   // shown again after "add another sanction", unsaved
	Errors        []fieldError
	Findings      []findingView
	Taxonomy      store.Taxonomy
}

// Err is the message of the field id.
func (f *caseForm) Err(id string) string { return errFor(f.Errors, id) }

// FindingsFor are the findings of the case as saved on one field.
func (f *caseForm) FindingsFor(field string) []findingView { return findingsFor(f.Findings, field) }

// newCaseForm is the form filled with a case as saved (nil: empty).
func newCaseForm(mode string, r *app.CaseRecord) *caseForm {
	f := &caseForm{Mode: mode, Checked: map[int]bool{}, Taxonomy: store.DefaultTaxonomy()}
	if r != nil {
		f.ID, f.Title, f.Version, f.Values, f.CertificateNo = r.ID, r.Title, r.Version, r.CaseContent, r.CertificateNo
		if !r.IncidentDate.IsZero() {
			f.Incident = r.IncidentDate.String()
		}
		if !r.DecisionDate.IsZero() {
			f.Decision = r.DecisionDate.String()
		}
		for _, n := range r.Categories {
			f.Checked[n] = true
		}
		for _, s := range r.Sanctions {
			f.Rows = append(f.Rows, sanctionRow{Type: s.Type, Detail: s.Detail})
		}
		f.Findings = findingViews(r.Findings)
	}
	f.padRows(0)
	return f
}

// padRows gives the form extra empty sanction rows: at least one after
// the last filled one, at least minSanctionRows in all, extra more when
// asked, and no more than there are types.
func (f *caseForm) padRows(extra int) {
	filled := 0
	for i, r := range f.Rows {
		if strings.TrimSpace(r.Type) != "" || strings.TrimSpace(r.Detail) != "" {
			filled = i + 1
		}
	}
	want := max(len(f.Rows)+extra, filled+1, minSanctionRows)
	want = min(want, max(len(f.Taxonomy.Sanctions), len(f.Rows)))
	for len(f.Rows) < want {
		f.Rows = append(f.Rows, sanctionRow{})
	}
	for i := range f.Rows {
		f.Rows[i].N = i
	}
}

// maxSanctionRows bounds the rows a posted form may have.
const maxSanctionRows = 20

// readCaseForm reads the posted form into f and the app's input. rowOf
// maps a sanction's index in the input to its row in the form. A form
// error found here (a category that is no number) is returned as errs.
func readCaseForm(c *fiber.Ctx, f *caseForm) (in app.CaseInput, rowOf []int, errs []fieldError) {
	text := func(name string, dst *string) *string {
		v := formValue(c, name)
		*dst = v
		return &v
	}
	in.Title = text("title", &f.Values.Title)
	in.Summary = text("summary", &f.Values.Summary)
	in.Body = text("body", &f.Values.Body)
	in.SubjectName = text("subject_name", &f.Values.SubjectName)
	in.School = text("school", &f.Values.School)
	in.District = text("district", &f.Values.District)
	in.Stage = text("stage", &f.Values.Stage)
	in.IncidentDate = text("incident_date", &f.Incident)
	in.DecisionDate = text("decision_date", &f.Decision)
	in.Authority = text("authority", &f.Values.Authority)
	in.CertificateNo = text("certificate_no", &f.CertificateNo)
	f.Note, f.Reason = formValue(c, "note"), formValue(c, "reason")

	cats := []int{}
	f.Checked = map[int]bool{}
	for _, raw := range c.Request().PostArgs().PeekMulti("categories") {
		n, err := strconv.Atoi(string(raw))
		if err != nil || !store.ValidCategory(n) {
			errs = append(errs, fieldError{Field: "category-1", Message: "console.cases.error.category"})
			continue
		}
		if !f.Checked[n] {
			cats = append(cats, n)
		}
		f.Checked[n] = true
	}
	in.Categories = &cats

	rows, _ := strconv.Atoi(formValue(c, "rows"))
	rows = min(max(rows, 1), maxSanctionRows)
	sanctions := []app.SanctionInput{}
	f.Rows = nil
	for i := range rows {
		n := strconv.Itoa(i)
		row := sanctionRow{Type: formValue(c, "sanction_type_"+n), Detail: formValue(c, "sanction_detail_"+n)}
		f.Rows = append(f.Rows, row)
		if strings.TrimSpace(row.Type) == "" && strings.TrimSpace(row.Detail) == "" {
			continue
		}
		sanctions = append(sanctions, app.SanctionInput{Type: row.Type, Detail: row.Detail})
		rowOf = append(rowOf, i)
	}
	in.Sanctions = &sanctions
	for i := range f.Rows {
		f.Rows[i].N = i
	}
	return in, rowOf, errs
}

// caseFieldIDs maps the app's field names to the form's input ids.
func caseFieldIDs(rowOf []int) map[string]string {
	m := map[string]string{"categories": "category-1", "sanctions": "sanction-0-type", "changes": "title", "case_id": "title"}
	for i, row := range rowOf {
		for _, part := range []string{"type", "detail"} {
			m["sanctions["+strconv.Itoa(i)+"]."+part] = "sanction-" + strconv.Itoa(row) + "-" + part
		}
	}
	return m
}

func (s *Server) consoleCaseNew(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "case_edit", "console.cases.new.title", newCaseForm(formNew, nil))
}

// renderCaseForm shows the form again with its errors, translating the
// form's own error keys.
func (s *Server) renderCaseForm(c *fiber.Ctx, status int, f *caseForm) error {
	lang := pageLang(c)
	for i := range f.Errors {
		if strings.HasPrefix(f.Errors[i].Message, "console.cases.") {
			f.Errors[i].Message = s.site.catalog.text(lang, f.Errors[i].Message)
		}
	}
	title := uiKey("console.cases.new.title")
	switch f.Mode {
	case formEdit:
		title = uiKey("console.cases.edit.title")
	case formAmend:
		title = uiKey("console.cases.amend.title")
	}
	return s.renderKey(c, status, "case_edit", title, f)
}

// renderKey is render with a title key chosen in code (already marked
// with uiKey).
func (s *Server) renderKey(c *fiber.Ctx, status int, name, titleKey string, data any) error {
	v := s.newView(c, titleKey, data)
	v.Status = status
	return s.renderView(c, status, name, v)
}

// addRowAsked reports whether the form was posted by its "add another
// sanction" button: the form is shown again with one more row, unsaved.
func addRowAsked(c *fiber.Ctx) bool { return formValue(c, "add_row") != "" }

func (s *Server) consoleCaseCreate(c *fiber.Ctx) error {
	f := newCaseForm(formNew, nil)
	in, rowOf, errs := readCaseForm(c, f)
	if addRowAsked(c) {
		f.padRows(1)
		f.RowAdded = true
		return s.renderCaseForm(c, fiber.StatusOK, f)
	}
	if len(errs) > 0 {
		f.Errors = errs
		f.padRows(0)
		return s.renderCaseForm(c, fiber.StatusBadRequest, f)
	}
	r, err := s.app.CreateCase(c.UserContext(), principal(c).Username, in)
	if err != nil {
		return s.caseFormFailed(c, f, err, rowOf)
	}
	return c.Redirect(consolePath+"/cases/"+r.ID+"?saved=1", fiber.StatusSeeOther)
}

// caseFormFailed shows the form again for an error of the input, or
// returns any other error.
func (s *Server) caseFormFailed(c *fiber.Ctx, f *caseForm, err error, rowOf []int) error {
	f.Errors = s.formErrors(pageLang(c), err, caseFieldIDs(rowOf), "title")
	if f.Errors == nil {
		return err
	}
	f.padRows(0)
	return s.renderCaseForm(c, statusOf[store.ErrorCode(err)], f)
}

// consoleCaseEdit shows a draft's form; a case that is no longer a draft
// is shown on its own page, which explains how it changes.
func (s *Server) consoleCaseEdit(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	if r.Status != store.CaseDraft {
		return c.Redirect(consolePath+"/cases/"+r.ID+"?not_draft=1", fiber.StatusSeeOther)
	}
	return s.renderCaseForm(c, fiber.StatusOK, newCaseForm(formEdit, r))
}

func (s *Server) consoleCaseUpdate(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	f := newCaseForm(formEdit, r)
	in, rowOf, errs := readCaseForm(c, f)
	version, err := strconv.ParseInt(formValue(c, "version"), 10, 64)
	if err != nil || version < 1 {
		// The form always carries the version it was read at; without it
		// the save could not be made conditional on it (no lost updates).
		return store.FieldError(store.EInvalid, "version", "the form lacks the version of the case it was read from; reload the page")
	}
	f.Version = version
	if addRowAsked(c) {
		f.padRows(1)
		f.RowAdded = true
		return s.renderCaseForm(c, fiber.StatusOK, f)
	}
	if len(errs) > 0 {
		f.Errors = errs
		f.padRows(0)
		return s.renderCaseForm(c, fiber.StatusBadRequest, f)
	}
	if _, err := s.app.UpdateCase(c.UserContext(), principal(c).Username, r.ID, in, f.Version); err != nil {
		return s.caseFormFailed(c, f, err, rowOf)
	}
	return c.Redirect(consolePath+"/cases/"+r.ID+"?saved=1", fiber.StatusSeeOther)
}

// caseParam reads the case the path names.
func (s *Server) caseParam(c *fiber.Ctx) (*app.CaseRecord, error) {
	id, err := pathParam(c, "id", "case id")
	if err != nil {
		return nil, err
	}
	return s.app.AdminCase(c.UserContext(), id)
}

// ---- Amendment: the same form, proposed as an amend_case action ----

func (s *Server) consoleCaseAmend(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	if r.Status != store.CasePublished {
		return c.Redirect(consolePath+"/cases/"+r.ID, fiber.StatusSeeOther)
	}
	return s.renderCaseForm(c, fiber.StatusOK, newCaseForm(formAmend, r))
}

func (s *Server) consoleCaseAmendPropose(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	f := newCaseForm(formAmend, r)
	in, rowOf, errs := readCaseForm(c, f)
	if addRowAsked(c) {
		f.padRows(1)
		f.RowAdded = true
		return s.renderCaseForm(c, fiber.StatusOK, f)
	}
	if len(errs) > 0 {
		f.Errors = errs
		f.padRows(0)
		return s.renderCaseForm(c, fiber.StatusBadRequest, f)
	}
	changes, err := json.Marshal(caseChanges(&r.Case, in))
	if err != nil {
		return err
	}
	if string(changes) == "{}" {
		f.Errors = []fieldError{{Field: "title", Message: "console.cases.error.no_changes"}}
		f.padRows(0)
		return s.renderCaseForm(c, fiber.StatusBadRequest, f)
	}
	params := map[string]json.RawMessage{"case_id": jsonString(r.ID), "changes": changes, "note": jsonString(f.Note)}
	act, err := s.app.ProposeAction(c.UserContext(), principal(c), app.Proposal{Kind: store.ActionAmendCase, Reason: f.Reason, Params: params})
	if err != nil {
		return s.caseFormFailed(c, f, err, rowOf)
	}
	return c.Redirect(consolePath+"/actions/"+strconv.FormatInt(act.ID, 10)+"?result=proposed", fiber.StatusSeeOther)
}

// caseChanges keeps of in only the fields that differ from the case as it
// is, so that the amendment names what it changes.
func caseChanges(cur *store.Case, in app.CaseInput) app.CaseInput {
	var out app.CaseInput
	same := func(a *string, b string, multiline bool) bool {
		v := strings.TrimSpace(*a)
		if multiline {
			v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
		}
		return v == b
	}
	pick := func(dst **string, v *string, cur string, multiline bool) {
		if v != nil && !same(v, cur, multiline) {
			*dst = v
		}
	}
	pick(&out.Title, in.Title, cur.Title, false)
	pick(&out.Summary, in.Summary, cur.Summary, true)
	pick(&out.Body, in.Body, cur.Body, true)
	pick(&out.SubjectName, in.SubjectName, cur.SubjectName, false)
	pick(&out.School, in.School, cur.School, false)
	pick(&out.District, in.District, cur.District, false)
	pick(&out.Stage, in.Stage, cur.Stage, false)
	pick(&out.Authority, in.Authority, cur.Authority, false)
	pick(&out.CertificateNo, in.CertificateNo, cur.CertificateNo, false)
	dateStr := func(d store.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	pick(&out.IncidentDate, in.IncidentDate, dateStr(cur.IncidentDate), false)
	pick(&out.DecisionDate, in.DecisionDate, dateStr(cur.DecisionDate), false)
	if in.Categories != nil {
		cats := slices.Clone(*in.Categories)
		slices.Sort(cats)
		if !slices.Equal(cats, cur.Categories) {
			out.Categories = in.Categories
		}
	}
	if in.Sanctions != nil {
		differ := len(*in.Sanctions) != len(cur.Sanctions)
		for i, s := range *in.Sanctions {
			if !differ && (strings.TrimSpace(s.Type) != cur.Sanctions[i].Type || strings.TrimSpace(s.Detail) != cur.Sanctions[i].Detail) {
				differ = true
			}
		}
		if differ {
			out.Sanctions = in.Sanctions
		}
	}
	return out
}

// ---- A case's page, and the proposals made from it ----

// caseProposal is a proposal form's values on a case's page.
type caseProposal struct {
	Reason, Until string
}

type draftView struct {
	Case     *app.CaseRecord
	Findings []findingView
	Taxonomy store.Taxonomy
	Editor   bool
	Saved    bool
	NotDraft bool
	Publish  caseProposal
	Withdraw caseProposal
	Errors   []fieldError
}

// FindingsFor are the findings on one field of the case.
func (v *draftView) FindingsFor(field string) []findingView { return findingsFor(v.Findings, field) }

// Err is the message of the field id.
func (v *draftView) Err(id string) string { return errFor(v.Errors, id) }

// StatusKey is the catalogue key of the case's status.
func (v *draftView) StatusKey() string { return caseStatusKey(v.Case.Status) }

// SanctionName, StageName, DistrictName and CategoryName are taxonomy
// names in lang.
func (v *draftView) SanctionName(lang, id string) string {
	return termName(v.Taxonomy.Sanctions, id, lang)
}

func (v *draftView) StageName(lang, id string) string { return termName(v.Taxonomy.Stages, id, lang) }

func (v *draftView) DistrictName(lang, id string) string {
	return termName(v.Taxonomy.Districts, id, lang)
}

func (v *draftView) CategoryName(lang string, n int) string { return categoryName(n, lang) }

func (s *Server) newCaseView(c *fiber.Ctx, r *app.CaseRecord) *draftView {
	return &draftView{Case: r, Findings: findingViews(r.Findings), Taxonomy: store.DefaultTaxonomy(),
		Editor: principal(c).HasRole(store.RoleEditor)}
}

func (s *Server) consoleCase(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	v := s.newCaseView(c, r)
	v.Saved = c.Query("saved") == "1"
	v.NotDraft = c.Query("not_draft") == "1"
	return s.render(c, fiber.StatusOK, "cases_view", "console.cases.view.title", v)
}

// consoleCasePropose proposes publish_case or withdraw_case from a case's
// page; errors come back beside the proposal's fields.
func (s *Server) consoleCasePropose(c *fiber.Ctx) error {
	r, err := s.caseParam(c)
	if err != nil {
		return err
	}
	v := s.newCaseView(c, r)
	kind := formValue(c, "kind")
	params := map[string]json.RawMessage{"case_id": jsonString(r.ID)}
	var in app.Proposal
	var ids map[string]string
	first := ""
	switch kind {
	case store.ActionPublishCase:
		v.Publish = caseProposal{Reason: formValue(c, "reason"), Until: formValue(c, "publish_until")}
		if strings.TrimSpace(v.Publish.Until) != "" {
			params["publish_until"] = jsonString(strings.TrimSpace(v.Publish.Until))
		}
		in = app.Proposal{Kind: kind, Reason: v.Publish.Reason, Params: params}
		ids, first = map[string]string{"reason": "publish-reason", "publish_until": "publish-until", "case_id": "publish-reason"}, "publish-reason"
	case store.ActionWithdrawCase:
		v.Withdraw = caseProposal{Reason: formValue(c, "reason")}
		in = app.Proposal{Kind: kind, Reason: v.Withdraw.Reason, Params: params}
		ids, first = map[string]string{"reason": "withdraw-reason", "case_id": "withdraw-reason"}, "withdraw-reason"
	default:
		return store.FieldError(store.EInvalid, "kind", "kind is publish_case or withdraw_case")
	}
	act, err := s.app.ProposeAction(c.UserContext(), principal(c), in)
	if err != nil {
		v.Errors = s.formErrors(pageLang(c), err, ids, first)
		if v.Errors == nil {
			return err
		}
		return s.render(c, statusOf[store.ErrorCode(err)], "cases_view", "console.cases.view.title", v)
	}
	return c.Redirect(consolePath+"/actions/"+strconv.FormatInt(act.ID, 10)+"?result=proposed", fiber.StatusSeeOther)
}

// findingBox is the argument of the "cases-findings" template.
type findingBox struct {
	View      *view
	ID        string // the field's id: the list's id is ID-findings
	Findings  []findingView
	ShowField bool
}

// hintedFields are the form's fields with a hint (console.cases.hint.<id>).
var hintedFields = map[string]bool{"title": true, "summary": true, "body": true, "subject_name": true, "school": true,
	"incident_date": true, "decision_date": true, "authority": true, "certificate_no": true, "categories": true,
	"sanctions": true, "note": true, "reason": true, "publish-until": true, "publish-reason": true, "withdraw-reason": true}

// describedBy is the aria-describedby of the field id: its hint, its
// error and its findings, as far as the page shows them.
func describedBy(id string, errs []fieldError, findings []findingView) string {
	var parts []string
	if hintedFields[id] {
		parts = append(parts, id+"-hint")
	}
	if errFor(errs, id) != "" {
		parts = append(parts, id+"-error")
	}
	if len(findings) > 0 {
		parts = append(parts, id+"-findings")
	}
	return strings.Join(parts, " ")
}

// Box is the findings beside the field of the form.
func (f *caseForm) Box(v *view, field string) findingBox {
	return findingBox{View: v, ID: field, Findings: f.FindingsFor(field)}
}

// Desc is the aria-describedby of the form's field id (field: the case's
// field it shows, for its findings; "" for none).
func (f *caseForm) Desc(id, field string) string {
	var fs []findingView
	if field != "" {
		fs = f.FindingsFor(field)
	}
	return describedBy(id, f.Errors, fs)
}

// Box is the findings beside a field of the case.
func (v *draftView) Box(vw *view, field string) findingBox {
	return findingBox{View: vw, ID: field, Findings: v.FindingsFor(field)}
}

// Desc is the aria-describedby of a proposal's field id.
func (v *draftView) Desc(id string) string { return describedBy(id, v.Errors, nil) }

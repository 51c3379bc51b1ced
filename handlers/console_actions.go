package handlers

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's queue of two-person actions: every kind, pending first,
// each with its parameters in words, and the approval and rejection forms.
// The four-eyes rule shows: a reviewer's own proposals have no approve
// button but a note that another person must approve them, and an
// approval posted anyway is refused with the app's message. An approval
// that would publish text with findings of the redaction check lists them
// and asks for the acknowledgement the app requires.

var actionStatuses = []string{store.ActionPending, store.ActionApplied, store.ActionRejected}

func actionStatusKey(status string) string {
	switch status {
	case store.ActionPending:
		return uiKey("console.actions.status.pending")
	case store.ActionApplied:
		return uiKey("console.actions.status.applied")
	case store.ActionRejected:
		return uiKey("console.actions.status.rejected")
	}
	return uiKey("console.actions.status.unknown")
}

// actionKindKeys names each kind of action in words.
var actionKindKeys = map[string]string{
	store.ActionPublishCase:         uiKey("console.actions.kind.publish_case"),
	store.ActionAmendCase:           uiKey("console.actions.kind.amend_case"),
	store.ActionWithdrawCase:        uiKey("console.actions.kind.withdraw_case"),
	store.ActionRevokeCredential:    uiKey("console.actions.kind.revoke_credential"),
	store.ActionSuspendCredential:   uiKey("console.actions.kind.suspend_credential"),
	store.ActionReinstateCredential: uiKey("console.actions.kind.reinstate_credential"),
	store.ActionImposeBan:           uiKey("console.actions.kind.impose_ban"),
	store.ActionLiftBan:             uiKey("console.actions.kind.lift_ban"),
	store.ActionCorrectCredential:   uiKey("console.actions.kind.correct_credential"),
}

// actionParamKeys names each parameter an action keeps (app/action_kinds.go).
var actionParamKeys = map[string]string{
	"case_id":         uiKey("console.actions.param.case_id"),
	"version":         uiKey("console.actions.param.version"),
	"changes":         uiKey("console.actions.param.changes"),
	"note":            uiKey("console.actions.param.note"),
	"publish_until":   uiKey("console.actions.param.publish_until"),
	"certificate_no":  uiKey("console.actions.param.certificate_no"),
	"until":           uiKey("console.actions.param.until"),
	"id_hash":         uiKey("console.actions.param.id_hash"),
	"person_id":       uiKey("console.actions.param.person_id"),
	"name":            uiKey("console.actions.param.name"),
	"scope":           uiKey("console.actions.param.scope"),
	"starts_on":       uiKey("console.actions.param.starts_on"),
	"ends_on":         uiKey("console.actions.param.ends_on"),
	"ban_id":          uiKey("console.actions.param.ban_id"),
	"holder_name":     uiKey("console.actions.param.holder_name"),
	"credential_kind": uiKey("console.actions.param.credential_kind"),
	"kind":            uiKey("console.actions.param.credential_kind"),
	"issued_on":       uiKey("console.actions.param.issued_on"),
}

// paramRow is one parameter of an action as a page shows it. Key is a
// catalogue key, or "" with Name the parameter's own name; Text is the
// value (TextKey when it is a word of the catalogue); Link, when set, is a
// console page about the object.
type paramRow struct {
	Key, Name     string
	Text, TextKey string
	Link          string
	Sub           string     // shown after the value as code: a case's id after its title
	List          []paramRow // an amendment's changes, field by field
}

// actionView is an action as the queue shows it.
type actionView struct {
	store.Action
	KindKey   string
	StatusKey string
	Params    []paramRow
	Own       bool // proposed by the user looking at it
}

// paramRows describes an action's parameters in the order they matter.
func paramRows(lang string, a *store.Action) []paramRow {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(a.Params, &raw); err != nil {
		return []paramRow{{Name: "params", Text: string(a.Params)}}
	}
	order := []string{"case_id", "certificate_no", "ban_id", "name", "holder_name", "id_hash", "person_id", "scope",
		"starts_on", "ends_on", "until", "credential_kind", "kind", "issued_on", "publish_until", "note", "changes", "version"}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.SliceStable(names, func(i, j int) bool {
		ii, jj := slices.Index(order, names[i]), slices.Index(order, names[j])
		if ii < 0 {
			ii = len(order)
		}
		if jj < 0 {
			jj = len(order)
		}
		return ii < jj || ii == jj && names[i] < names[j]
	})
	var out []paramRow
	for _, k := range names {
		v := raw[k]
		row := paramRow{Key: actionParamKeys[k], Name: k}
		switch k {
		case "case_id":
			row.Text = jsonText(v)
			row.Link = consolePath + "/cases/" + url.PathEscape(row.Text)
		case "certificate_no":
			row.Text = jsonText(v)
			row.Link = consolePath + "/credentials/" + url.PathEscape(row.Text)
		case "id_hash":
			row.TextKey = uiKey("console.actions.param.id_hash.value")
		case "ends_on":
			if string(v) == "null" {
				row.TextKey = uiKey("console.actions.param.permanent")
			} else {
				row.Text = jsonText(v)
			}
		case "scope":
			row.Text = termName(store.DefaultTaxonomy().BanScopes, jsonText(v), lang)
		case "credential_kind", "kind":
			row.Text = termName(store.DefaultTaxonomy().CredentialKinds, jsonText(v), lang)
		case "changes":
			row.List = changeRows(lang, v)
		default:
			row.Text = jsonText(v)
		}
		out = append(out, row)
	}
	return out
}

// jsonText is a JSON value as plain text: a string unquoted, anything
// else as written.
func jsonText(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(v)
}

// changeRows describes an amendment's changes: each field with its new value.
func changeRows(lang string, raw json.RawMessage) []paramRow {
	var in app.CaseInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return []paramRow{{Name: "changes", Text: string(raw)}}
	}
	tax := store.DefaultTaxonomy()
	var out []paramRow
	str := func(field string, v *string, name func(string) string) {
		if v == nil {
			return
		}
		text := *v
		if name != nil {
			text = name(text)
		}
		out = append(out, paramRow{Key: caseFieldKeys[field], Name: field, Text: text})
	}
	str("title", in.Title, nil)
	str("summary", in.Summary, nil)
	str("body", in.Body, nil)
	str("subject_name", in.SubjectName, nil)
	str("school", in.School, nil)
	str("district", in.District, func(id string) string { return termName(tax.Districts, id, lang) })
	str("stage", in.Stage, func(id string) string { return termName(tax.Stages, id, lang) })
	if in.Categories != nil {
		var names []string
		for _, n := range *in.Categories {
			names = append(names, categoryName(n, lang))
		}
		out = append(out, paramRow{Key: caseFieldKeys["categories"], Name: "categories", Text: strings.Join(names, "; ")})
	}
	if in.Sanctions != nil {
		var names []string
		for _, s := range *in.Sanctions {
			n := termName(tax.Sanctions, s.Type, lang)
			if s.Detail != "" {
				n += ": " + s.Detail
			}
			names = append(names, n)
		}
		out = append(out, paramRow{Key: caseFieldKeys["sanctions"], Name: "sanctions", Text: strings.Join(names, "; ")})
	}
	str("incident_date", in.IncidentDate, nil)
	str("decision_date", in.DecisionDate, nil)
	str("authority", in.Authority, nil)
	str("certificate_no", in.CertificateNo, nil)
	return out
}

func (s *Server) toActionView(c *fiber.Ctx, a *store.Action) actionView {
	return actionView{Action: *a, KindKey: actionKindKeys[a.Kind], StatusKey: actionStatusKey(a.Status),
		Params: paramRows(pageLang(c), a), Own: a.ProposedBy == principal(c).Username}
}

// nameCases shows the title of the case an action names, with its id
// after it; titles holds those read already (by id). A case that is no
// longer there keeps its id alone.
func (s *Server) nameCases(c *fiber.Ctx, av *actionView, titles map[string]string) error {
	for i := range av.Params {
		row := &av.Params[i]
		if row.Name != "case_id" {
			continue
		}
		title, ok := titles[row.Text]
		if !ok {
			r, err := s.app.AdminCase(c.UserContext(), row.Text)
			switch {
			case err == nil:
				title = r.Title
			case !store.IsCode(err, store.ENotFound):
				return err
			}
			titles[row.Text] = title
		}
		if title != "" {
			row.Sub, row.Text = row.Text, title
		}
	}
	return nil
}

// ---- The queue ----

type actionListData struct {
	Status   string
	Statuses []string
	Actions  []actionView
	Total    int
	Page     int
	Pages    int
	Query    url.Values
	Reviewer bool
	FourEyes bool
}

// StatusKey is the catalogue key of a status's name.
func (actionListData) StatusKey(status string) string { return actionStatusKey(status) }

func (s *Server) consoleActions(c *fiber.Ctx) error {
	status, err := singleQuery(c, "status")
	if err != nil {
		return err
	}
	if status == "" {
		status = store.ActionPending
	}
	if !slices.Contains(actionStatuses, status) {
		return store.FieldError(store.EInvalid, "status", "status is pending, applied or rejected")
	}
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	acts, total, err := s.app.Actions(c.UserContext(), status, page)
	if err != nil {
		return err
	}
	data := actionListData{Status: status, Statuses: actionStatuses, Total: total, Page: page.Number,
		Pages: (total + page.PerPage - 1) / page.PerPage, Query: url.Values{"status": {status}},
		Reviewer: principal(c).HasRole(store.RoleReviewer), FourEyes: s.app.Config().FourEyes}
	titles := map[string]string{}
	for i := range acts {
		av := s.toActionView(c, &acts[i])
		if err := s.nameCases(c, &av, titles); err != nil {
			return err
		}
		data.Actions = append(data.Actions, av)
	}
	return s.render(c, fiber.StatusOK, "actions", "console.actions.title", data)
}

// ---- One action, and its decision ----

type actionPage struct {
	Action     actionView
	Case       *app.CaseRecord // the case a case action acts on, when it still exists
	Reviewer   bool
	FourEyes   bool
	CanDecide  bool // a reviewer, and the action pending
	CanApprove bool // and not their own (unless four-eyes is off)
	Findings   []findingView
	Ack        string
	Reject     string
	Errors     []fieldError
	Message    string // a refusal or conflict, in words
	Result     string // "proposed", "applied" or "rejected", after a redirect
	BanID      int64
}

// Err is the message of the field id.
func (p *actionPage) Err(id string) string { return errFor(p.Errors, id) }

// loadActionPage reads the action the path names and what its page shows.
func (s *Server) loadActionPage(c *fiber.Ctx) (*actionPage, error) {
	id, err := actionID(c)
	if err != nil {
		return nil, err
	}
	act, err := s.app.Action(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	p := principal(c)
	ap := &actionPage{Action: s.toActionView(c, act), Reviewer: p.HasRole(store.RoleReviewer), FourEyes: s.app.Config().FourEyes}
	if err := s.nameCases(c, &ap.Action, map[string]string{}); err != nil {
		return nil, err
	}
	ap.CanDecide = ap.Reviewer && act.Status == store.ActionPending
	ap.CanApprove = ap.CanDecide && !(ap.FourEyes && ap.Action.Own)
	if strings.HasPrefix(act.Object, "case:") {
		r, err := s.app.AdminCase(c.UserContext(), strings.TrimPrefix(act.Object, "case:"))
		switch {
		case err == nil:
			ap.Case = r
		case !store.IsCode(err, store.ENotFound):
			return nil, err
		}
	}
	if act.Status == store.ActionPending {
		fs, err := s.app.ActionFindings(c.UserContext(), id)
		if err != nil {
			return nil, err
		}
		ap.Findings = findingViews(fs)
	}
	return ap, nil
}

func (s *Server) consoleAction(c *fiber.Ctx) error {
	ap, err := s.loadActionPage(c)
	if err != nil {
		return err
	}
	// The result comes back in the address after a decision (303); it is
	// shown only when the action's state bears it out, so that a link
	// cannot tell a reviewer a pending action was already decided.
	switch r := c.Query("result"); {
	case r == "proposed" && ap.Action.Status == store.ActionPending,
		(r == store.ActionApplied || r == store.ActionRejected) && ap.Action.Status == r:
		ap.Result = r
	}
	if n, err := strconv.ParseInt(c.Query("ban_id"), 10, 64); err == nil && n > 0 && ap.Action.Kind == store.ActionImposeBan {
		ap.BanID = n
	}
	return s.render(c, fiber.StatusOK, "actions_view", "console.actions.view.title", ap)
}

// decisionFailed shows the action's page again with why a decision was
// refused: beside the acknowledgement or the rejection's reason for an
// error of that input, or as a message for a refusal (four eyes) or a
// conflict (decided by someone else, or the object changed meanwhile).
func (s *Server) decisionFailed(c *fiber.Ctx, ap *actionPage, err error, field string) error {
	lang := pageLang(c)
	code := store.ErrorCode(err)
	status := statusOf[code]
	// Read again: the action may have been decided meanwhile.
	fresh, lerr := s.loadActionPage(c)
	if lerr != nil {
		return lerr
	}
	fresh.Ack, fresh.Reject = ap.Ack, ap.Reject
	var found *app.FindingsError
	if errors.As(err, &found) {
		fresh.Findings = findingViews(found.Findings)
	}
	switch {
	case code == store.EFourEyes:
		fresh.Message = s.site.catalog.text(lang, "console.actions.error.four_eyes")
	case code == store.EConflict && fresh.Action.Status != store.ActionPending:
		fresh.Message = s.site.catalog.text(lang, "console.actions.error.decided", fresh.Action.DecidedBy,
			s.site.catalog.text(lang, fresh.Action.StatusKey))
	case code == store.EConflict:
		fresh.Message = s.site.catalog.text(lang, "console.actions.error.conflict")
		if d := s.problemDetail(lang, Problem{Code: code, Detail: store.ErrorMessage(err), Status: status}); d != "" {
			fresh.Message += " " + d
		}
	case code == store.ERedactionFindings:
		fresh.Errors = []fieldError{{Field: "acknowledge", Message: s.site.catalog.text(lang, "console.actions.error.acknowledge")}}
	default:
		fresh.Errors = s.fieldErrors(lang, err, map[string]string{"acknowledge_findings": "acknowledge", "reason": field})
		if fresh.Errors == nil {
			return err
		}
		for i := range fresh.Errors {
			if fresh.Errors[i].Field == "" {
				fresh.Errors[i].Field = field
			}
			if fresh.Errors[i].Message == s.site.catalog.text(lang, "form.invalid") && code == store.EMissing {
				fresh.Errors[i].Message = s.site.catalog.text(lang, "console.actions.error.reason_missing")
			}
		}
	}
	return s.render(c, status, "actions_view", "console.actions.view.title", fresh)
}

func (s *Server) consoleApprove(c *fiber.Ctx) error {
	id, err := actionID(c)
	if err != nil {
		return err
	}
	ap := &actionPage{Ack: formValue(c, "acknowledge_findings")}
	out, err := s.app.ApproveActionWith(c.UserContext(), principal(c), id, app.ApprovalInput{AcknowledgeFindings: ap.Ack})
	if err != nil {
		if store.IsCode(err, store.ENotFound) {
			return err
		}
		return s.decisionFailed(c, ap, err, "acknowledge")
	}
	to := consolePath + "/actions/" + strconv.FormatInt(id, 10) + "?result=applied"
	if out.BanID != 0 {
		to += "&ban_id=" + strconv.FormatInt(out.BanID, 10)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (s *Server) consoleReject(c *fiber.Ctx) error {
	id, err := actionID(c)
	if err != nil {
		return err
	}
	ap := &actionPage{Reject: formValue(c, "reason")}
	if _, err := s.app.RejectAction(c.UserContext(), principal(c), id, ap.Reject); err != nil {
		if store.IsCode(err, store.ENotFound) {
			return err
		}
		return s.decisionFailed(c, ap, err, "reject-reason")
	}
	return c.Redirect(consolePath+"/actions/"+strconv.FormatInt(id, 10)+"?result=rejected", fiber.StatusSeeOther)
}

// Box is every finding the approval would publish, each naming its field.
func (p *actionPage) Box(v *view) findingBox {
	return findingBox{View: v, ID: "approve", Findings: p.Findings, ShowField: true}
}

// Desc is the aria-describedby of the decision's field id.
func (p *actionPage) Desc(id string) string {
	var fs []findingView
	if id == "acknowledge" {
		fs = p.Findings
	}
	d := describedBy(id, p.Errors, nil)
	if len(fs) > 0 {
		d = strings.TrimSpace(d + " approve-findings")
	}
	return strings.TrimSpace(id + "-hint " + d)
}

// paramBox is the argument of the "actions-params" template.
type paramBox struct {
	View *view
	Rows []paramRow
}

// ParamBox is an action's parameters for the template.
func (actionListData) ParamBox(v *view, rows []paramRow) paramBox {
	return paramBox{View: v, Rows: rows}
}

// ParamBox is the action's parameters for the template.
func (p *actionPage) ParamBox(v *view) paramBox { return paramBox{View: v, Rows: p.Action.Params} }

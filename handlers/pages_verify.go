package handlers

import (
	"errors"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The verification pages: a clerk's check of a qualification by certificate
// number and name, its printable receipt with a QR code, and the check of a
// receipt, pasted or scanned. They call the same use cases as the JSON API
// (app.Verify, app.CheckReceipt), so a page never answers differently.
//
// A result is shown in the answer to the POST, with Cache-Control no-store,
// rather than after a redirect: it holds a name and a certificate number,
// which a redirect would have to carry in its address (and so into
// histories and logs) or keep on the server.

// verifyFormView is the verification page's data: the form, its errors,
// and the result once checked.
type verifyFormView struct {
	CertificateNo string
	Name          string
	Errors        []fieldError
	Result        *verifyResultView
}

// verifyResultView is one check's answer, ready for a result card.
type verifyResultView struct {
	Match bool
	// State picks the card: eligible, banned (active but a ban in force),
	// lapsed, suspended, revoked or nomatch.
	State      string
	Status     string // active, lapsed, suspended, revoked; "" for no match
	Eligible   bool
	Credential *verifiedCredential
	Bans       []banView
	CheckedAt  time.Time
	Receipt    string
	Text       stateText // the card's words
	StatusKey  string    // the status in words; "" for no match
}

// stateText is the catalogue keys of a result card: a short tag, a title
// and a sentence that says what the result means.
type stateText struct{ Tag, Title, Body string }

func stateKeys(state string) stateText {
	switch state {
	case "eligible":
		return stateText{uiKey("verify.state.eligible.tag"), uiKey("verify.state.eligible.title"), uiKey("verify.state.eligible.body")}
	case "banned":
		return stateText{uiKey("verify.state.banned.tag"), uiKey("verify.state.banned.title"), uiKey("verify.state.banned.body")}
	case store.StatusLapsed:
		return stateText{uiKey("verify.state.lapsed.tag"), uiKey("verify.state.lapsed.title"), uiKey("verify.state.lapsed.body")}
	case store.StatusSuspended:
		return stateText{uiKey("verify.state.suspended.tag"), uiKey("verify.state.suspended.title"), uiKey("verify.state.suspended.body")}
	case store.StatusRevoked:
		return stateText{uiKey("verify.state.revoked.tag"), uiKey("verify.state.revoked.title"), uiKey("verify.state.revoked.body")}
	case "person_eligible":
		return stateText{uiKey("verify.state.person_eligible.tag"), uiKey("verify.state.person_eligible.title"), uiKey("verify.state.person_eligible.body")}
	case "person_banned":
		return stateText{uiKey("verify.state.person_banned.tag"), uiKey("verify.state.person_banned.title"), uiKey("verify.state.person_banned.body")}
	}
	return stateText{uiKey("verify.state.nomatch.tag"), uiKey("verify.state.nomatch.title"), uiKey("verify.state.nomatch.body")}
}

// statusKey is a credential status in words.
func statusKey(status string) string {
	switch status {
	case store.StatusActive:
		return uiKey("verify.status.active")
	case store.StatusLapsed:
		return uiKey("verify.status.lapsed")
	case store.StatusSuspended:
		return uiKey("verify.status.suspended")
	case store.StatusRevoked:
		return uiKey("verify.status.revoked")
	}
	return ""
}

type verifiedCredential struct {
	CertificateNo, HolderName, Kind, Subject, Issuer, IssuedOn, RegisteredUntil string
}

// banView is a ban in the page's language. StartsOn and EndsOn are
// YYYY-MM-DD for TDate; EndsOn is "" for a permanent ban.
type banView struct {
	Scope     string
	StartsOn  string
	EndsOn    string
	Permanent bool
	InForce   bool // false for a ban yet to start
}

// Card is the result to show, for the shared result card.
func (f verifyFormView) Card() *verifyResultView { return f.Result }

// ErrorFor is the message of the field with id, "" for none.
func (f verifyFormView) ErrorFor(id string) string { return errorFor(f.Errors, id) }

func errorFor(errs []fieldError, id string) string {
	for _, e := range errs {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

// verifyFields maps the app's field names to the form's input ids.
var verifyFields = map[string]string{"certificate_no": "certificate_no", "name": "name"}

func (s *Server) verifyPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "verify", "verify.title", verifyFormView{})
}

func (s *Server) verifyForm(c *fiber.Ctx) error {
	form := verifyFormView{CertificateNo: formValue(c, "certificate_no"), Name: formValue(c, "name")}
	lang := pageLang(c)
	v, err := s.app.Verify(c.UserContext(), form.CertificateNo, form.Name)
	if err != nil {
		errs := s.verifyFieldErrors(lang, err)
		if errs == nil {
			return err
		}
		// The app stops at the first fault; an empty name is worth
		// saying at the same time as a fault in the number.
		if errs[0].Field == "certificate_no" && strings.TrimSpace(form.Name) == "" {
			errs = append(errs, fieldError{Field: "name", Message: s.site.catalog.text(lang, "verify.error.name.missing")})
		}
		form.Errors = errs
		return s.render(c, fiber.StatusBadRequest, "verify", "verify.title", form)
	}
	form.Result = verificationView(lang, v)
	return s.render(c, fiber.StatusOK, "verify", "verify.result.title", form)
}

// verifyFieldErrors is the form's errors for err, worded for the form
// where the page has its own words for the field and problem, else as
// fieldErrors words them; nil for an error that is no fault of the input.
func (s *Server) verifyFieldErrors(lang string, err error) []fieldError {
	errs := s.fieldErrors(lang, err, verifyFields)
	var e *store.Error
	if errs == nil || !errors.As(err, &e) {
		return errs
	}
	key := ""
	switch {
	case e.Field == "certificate_no" && e.Code == store.EMissing:
		key = uiKey("verify.error.certificate_no.missing")
	case e.Field == "certificate_no":
		key = uiKey("verify.error.certificate_no.invalid")
	case e.Field == "name" && e.Code == store.EMissing:
		key = uiKey("verify.error.name.missing")
	case e.Field == "name":
		key = uiKey("verify.error.name.invalid")
	}
	if key != "" {
		errs[0].Message = s.site.catalog.text(lang, key)
	}
	return errs
}

// verificationView turns the app's answer into a result card in lang.
func verificationView(lang string, v *app.Verification) *verifyResultView {
	out := &verifyResultView{Match: v.Match, State: "nomatch", CheckedAt: v.CheckedAt, Receipt: v.Receipt, Text: stateKeys("nomatch")}
	if !v.Match || v.Credential == nil {
		out.Match = false
		return out
	}
	out.Status, out.Eligible, out.StatusKey = v.Status, v.Eligible, statusKey(v.Status)
	out.State = resultState(v.Status, v.Eligible)
	out.Text = stateKeys(out.State)
	tax := store.DefaultTaxonomy()
	c := v.Credential
	out.Credential = &verifiedCredential{
		CertificateNo: c.CertificateNo, HolderName: c.HolderName, Kind: termName(tax.CredentialKinds, c.Kind, lang),
		Subject: c.Subject, Issuer: c.Issuer, IssuedOn: dateText(c.IssuedOn), RegisteredUntil: dateText(c.RegisteredUntil),
	}
	out.Bans = banViews(lang, v.Bans, store.Today(v.CheckedAt))
	return out
}

// resultState is the result card for a matched check.
func resultState(status string, eligible bool) string {
	switch {
	case status == store.StatusActive && eligible:
		return "eligible"
	case status == store.StatusActive:
		return "banned"
	case status == store.StatusLapsed, status == store.StatusSuspended, status == store.StatusRevoked:
		return status
	}
	return "nomatch"
}

func banViews(lang string, bans []store.Ban, today store.Date) []banView {
	tax := store.DefaultTaxonomy()
	var out []banView
	for i := range bans {
		b := &bans[i]
		out = append(out, banView{
			Scope: termName(tax.BanScopes, b.Scope, lang), StartsOn: dateText(b.StartsOn), EndsOn: dateText(b.EndsOn),
			Permanent: b.Permanent(), InForce: b.InForce(today),
		})
	}
	return out
}

// dateText is d as YYYY-MM-DD for TDate, "" for no date.
func dateText(d store.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// receiptView is the printable receipt's data, or the check of a receipt:
// what a valid receipt says, the same check made now, and whether its
// answer changed.
type receiptView struct {
	Input   string       // the receipt as entered, for the form
	Errors  []fieldError // an empty receipt
	Checked bool         // a receipt was checked (the result is shown)
	Valid   bool
	Reason  string // why not valid, in the page's language
	Claims  *receiptClaimsView
	// Current is the qualification check made now; CurrentEligibility the
	// eligibility check, for an eligibility receipt.
	Current            *verifyResultView
	CurrentEligibility *eligibilityView
	Changed            bool
	Receipt            string        // the verified compact JWS
	QR                 template.HTML // the QR code, an inline SVG
	CheckURL           string        // the absolute address the QR code leads to
}

// Card is the same check made now, for the shared result card.
func (r receiptView) Card() *verifyResultView { return r.Current }

// ErrorFor is the message of the field with id, "" for none.
func (r receiptView) ErrorFor(id string) string { return errorFor(r.Errors, id) }

// receiptClaimsView is what a verified receipt says, in plain words.
type receiptClaimsView struct {
	ID            string
	Issuer        string
	IssuedAt      time.Time
	CheckedAt     time.Time
	Check         string // qualification or eligibility
	CertificateNo string
	Name          string
	Match         bool
	Status        string
	Eligible      bool
	State         string // as verifyResultView.State
	Text          stateText
	StatusKey     string
}

type eligibilityView struct {
	State           string // person_eligible, person_banned or nomatch
	Text            stateText
	Match, Eligible bool
	Bans            []banView
	CheckedAt       time.Time
}

// receiptPage is the printable receipt of a check made on /verify: the
// form there posts the receipt here. The receipt is verified first; a page
// never shows what an unverified token claims.
func (s *Server) receiptPage(c *fiber.Ctx) error {
	input := cleanReceipt(formValue(c, "receipt"))
	if input == "" {
		return c.Redirect("/verify", fiber.StatusSeeOther)
	}
	view, err := s.checkReceiptView(c, input)
	if err != nil {
		return err
	}
	if !view.Valid {
		return s.render(c, fiber.StatusBadRequest, "receipt", "receipt.invalid.title", view)
	}
	view.CheckURL = receiptCheckURL(s.app.Config().BaseURL, view.Receipt)
	lang := pageLang(c)
	qr, err := qrSVG(view.CheckURL, s.site.catalog.text(lang, "receipt.qr.label"))
	if err != nil {
		return err
	}
	view.QR = qr
	return s.render(c, fiber.StatusOK, "receipt", "receipt.title", view)
}

// receiptRedirect answers a GET of the receipt page's address (a reload,
// a bookmark): a receipt given there goes to the receipt check, anything
// else to the verification form.
func (s *Server) receiptRedirect(c *fiber.Ctx) error {
	pageLang(c) // the language switch of the receipt page leads here: remember the choice
	if r := cleanReceipt(c.Query("receipt")); r != "" {
		return c.Redirect("/receipts/check?"+url.Values{"receipt": {r}}.Encode(), fiber.StatusSeeOther)
	}
	return c.Redirect("/verify", fiber.StatusSeeOther)
}

// receiptCheckURL is the absolute address of the receipt check of receipt
// under the portal's base URL.
func receiptCheckURL(base, receipt string) string {
	return strings.TrimRight(base, "/") + "/receipts/check?" + url.Values{"receipt": {receipt}}.Encode()
}

// receiptCheckPage is the receipt check: with ?receipt= (where a receipt's
// QR code leads) it checks at once; without, it is the form to paste one.
func (s *Server) receiptCheckPage(c *fiber.Ctx) error {
	input := cleanReceipt(c.Query("receipt"))
	if input == "" {
		return s.render(c, fiber.StatusOK, "receipt_check", "receipt_check.title", receiptView{})
	}
	return s.renderReceiptCheck(c, input)
}

func (s *Server) receiptCheckForm(c *fiber.Ctx) error {
	return s.renderReceiptCheck(c, cleanReceipt(formValue(c, "receipt")))
}

func (s *Server) renderReceiptCheck(c *fiber.Ctx, input string) error {
	view, err := s.checkReceiptView(c, input)
	if err != nil {
		errs := s.fieldErrors(pageLang(c), err, nil)
		if errs == nil {
			return err
		}
		errs[0].Field, errs[0].Message = "receipt", s.site.catalog.text(pageLang(c), "receipt_check.error.missing")
		return s.render(c, fiber.StatusBadRequest, "receipt_check", "receipt_check.title", receiptView{Errors: errs[:1]})
	}
	return s.render(c, fiber.StatusOK, "receipt_check", "receipt_check.result.title", view)
}

// checkReceiptView checks input with the app and words the answer for the
// page. An invalid receipt is a view with Valid false, not an error.
func (s *Server) checkReceiptView(c *fiber.Ctx, input string) (receiptView, error) {
	lang := pageLang(c)
	rc, err := s.app.CheckReceipt(c.UserContext(), input)
	if err != nil {
		return receiptView{}, err
	}
	view := receiptView{Input: input, Checked: true, Valid: rc.Valid, Changed: rc.Changed}
	if !rc.Valid || rc.Claims == nil {
		view.Valid = false
		view.Reason = s.site.catalog.text(lang, receiptReasonKey(rc.Reason))
		return view, nil
	}
	view.Receipt = input
	cl := rc.Claims
	cv := &receiptClaimsView{
		ID: cl.ID, Issuer: cl.Issuer, Check: cl.Check, CertificateNo: cl.CertificateNo, Name: cl.Name,
		Match: cl.Match, Eligible: cl.Eligible,
	}
	if cl.IssuedAt != nil {
		cv.IssuedAt = cl.IssuedAt.Time
	}
	if t, err := time.Parse(time.RFC3339, cl.CheckedAt); err == nil {
		cv.CheckedAt = t
	} else {
		cv.CheckedAt = cv.IssuedAt
	}
	if cl.Status != nil {
		cv.Status = *cl.Status
	}
	cv.State = "nomatch"
	switch {
	case cl.Match && cl.Check == "eligibility" && cl.Eligible:
		cv.State = "person_eligible"
	case cl.Match && cl.Check == "eligibility":
		cv.State = "person_banned"
	case cl.Match:
		cv.State = resultState(cv.Status, cl.Eligible)
		cv.StatusKey = statusKey(cv.Status)
	}
	cv.Text = stateKeys(cv.State)
	view.Claims = cv
	switch {
	case rc.Current != nil:
		view.Current = verificationView(lang, rc.Current)
	case rc.CurrentEligibility != nil:
		e := rc.CurrentEligibility
		ev := &eligibilityView{Match: e.Match, Eligible: e.Eligible, CheckedAt: e.CheckedAt, State: "nomatch",
			Bans: banViews(lang, e.Bans, store.Today(e.CheckedAt))}
		switch {
		case e.Match && e.Eligible:
			ev.State = "person_eligible"
		case e.Match:
			ev.State = "person_banned"
		}
		ev.Text = stateKeys(ev.State)
		view.CurrentEligibility = ev
	}
	return view, nil
}

// receiptReasonKey is the catalogue key of a reason CheckReceipt gives.
func receiptReasonKey(reason string) string {
	switch {
	case reason == app.ReasonNotAReceipt:
		return uiKey("receipt.reason.not_a_receipt")
	case reason == app.ReasonOtherPortal:
		return uiKey("receipt.reason.other_portal")
	case reason == app.ReasonAltered:
		return uiKey("receipt.reason.altered")
	case reason == app.ReasonFromTheFuture:
		return uiKey("receipt.reason.future")
	case strings.Contains(reason, "malformed"):
		return uiKey("receipt.reason.malformed")
	}
	return uiKey("receipt.reason.unknown")
}

// cleanReceipt is a receipt as pasted or scanned: white space (a receipt
// copied from paper breaks across lines) removed, and the receipt taken
// out of a receipt check's address when the whole address was pasted.
func cleanReceipt(s string) string {
	s = strings.Clone(strings.Join(strings.Fields(s), "")) // Join of one field is that field, which may be Fiber's

	if i := strings.Index(s, "receipt="); i >= 0 && strings.Contains(s[:i], "/receipts/check?") {
		if q, err := url.ParseQuery(s[strings.Index(s, "?")+1:]); err == nil && q.Get("receipt") != "" {
			return q.Get("receipt")
		}
	}
	return s
}

// ifQuery runs h only for requests that carry the query parameter name:
// the receipt check's address counts against the verification allowance
// when it checks a receipt, not when it shows the empty form.
func ifQuery(name string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Query(name) == "" {
			return c.Next()
		}
		return h(c)
	}
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"ethicsportal/store"
)

// CaseInput is a case as an editor writes it: every field of a draft, for
// POST, or the fields to change, for PATCH and for an amendment's changes.
// A nil field is not given: missing when creating, left as it is when
// changing. An empty incident_date or certificate_no clears it.
type CaseInput struct {
	Title         *string          `json:"title,omitempty"`
	Summary       *string          `json:"summary,omitempty"`
	Body          *string          `json:"body,omitempty"`
	SubjectName   *string          `json:"subject_name,omitempty"`
	School        *string          `json:"school,omitempty"`
	District      *string          `json:"district,omitempty"`
	Stage         *string          `json:"stage,omitempty"`
	Categories    *[]int           `json:"categories,omitempty"`
	Sanctions     *[]SanctionInput `json:"sanctions,omitempty"`
	IncidentDate  *string          `json:"incident_date,omitempty"`
	DecisionDate  *string          `json:"decision_date,omitempty"`
	Authority     *string          `json:"authority,omitempty"`
	CertificateNo *string          `json:"certificate_no,omitempty"`
}

// SanctionInput is one sanction as an editor writes it.
type SanctionInput struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
}

// Limits of a case's text, in characters after trimming. They leave room
// for the longest decisions seen in published notices (a body of a few
// thousand characters) several times over, and keep a title to what fits a
// line of search results.
const (
	maxCaseTitle     = 100
	maxCaseSummary   = 500
	maxCaseBody      = 20000
	maxCaseName      = 32 // subject_name, as published: normally masked (张某某)
	maxCaseSchool    = 100
	maxCaseAuthority = 100
	maxSanctionText  = 200
)

// earliestDecision bounds dates from below: earlier ones are typing errors.
var earliestDecision = store.NewDate(1949, time.October, 1)

var (
	// Where the HTML tokenizer leaves text: "<" followed by an ASCII
	// letter (a start tag: <p>, <svg/onload=...>, <o:p>), "/" (an end tag,
	// or a bogus comment), "!" (a comment, doctype or CDATA section) or "?"
	// (a processing instruction, read as a bogus comment). Whether a ">"
	// follows does not matter: a browser, or an editor pasting into one,
	// takes the rest as markup. "5<6" and "a < b" stay text.
	htmlTag = regexp.MustCompile(`<[A-Za-z/!?]`)
	// A character reference ending in ";" (&amp; &#20320; &#x4f60; and
	// unknown names such as &foo;): a text that holds one was escaped for
	// HTML somewhere and would show the reference. References without the
	// ";" that browsers still decode (&amp, &lt, &copy, &#60) are found by
	// decodedReference.
	htmlEntity = regexp.MustCompile(`(?i)&(?:[a-z][a-z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-f]{1,6});`)
)

// decodedReference returns the first "&" reference in s that a browser
// decodes in text: any numeric one (&#60, &#x3c) and the named ones it
// decodes without a ";" (&amp, &lt, &copy, also at the start of a longer
// word: &copyright), so that "AT&T" and "R&D" stay text. html.UnescapeString
// follows the HTML standard's table and rules for text. "" when none.
func decodedReference(s string) string {
	for i := strings.IndexByte(s, '&'); i >= 0; {
		end := i + 1
		for end < len(s) && end-i < 40 && (isASCIIAlnum(s[end]) || s[end] == '#' && end == i+1 || s[end] == ';') {
			end++
			if s[end-1] == ';' {
				break
			}
		}
		if tok := s[i:end]; html.UnescapeString(tok) != tok {
			return tok
		}
		next := strings.IndexByte(s[end:], '&')
		if next < 0 {
			break
		}
		i = end + next
	}
	return ""
}

// caseText is one text field's rule.
type caseText struct {
	field     string
	dst       *string
	max       int
	multiline bool // summary and body: paragraphs allowed
	required  bool
}

// cleanCaseText trims s and, in a multi-line text, makes every line break a
// line feed.
func cleanCaseText(s string, multiline bool) string {
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimSpace(s)
}

// checkCaseText checks one text field: UTF-8, the characters every admin
// text follows (checkChars), its length, and that it is plain text.
func checkCaseText(t caseText) error {
	s := *t.dst
	if s == "" {
		if t.required {
			return store.FieldError(store.EMissing, t.field, "%s is required", t.field)
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return store.FieldError(store.EInvalid, t.field, "%s is not valid UTF-8", t.field)
	}
	if err := checkChars(t.field, s, t.multiline); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s); n > t.max {
		return store.FieldError(store.EInvalid, t.field, "%s has %d characters; at most %d", t.field, n, t.max)
	}
	return checkPlainText(t.field, s)
}

// checkPlainText refuses a text that holds HTML: it is published as plain
// text, and markup in it was either pasted from a web page or meant to run
// in a reader's browser. EInvalid naming field; the message states the
// rule, so that an editor can tell what to change.
func checkPlainText(field, s string) error {
	if loc := htmlTag.FindStringIndex(s); loc != nil {
		return store.FieldError(store.EInvalid, field,
			"%s is plain text and must not contain HTML (found %q): \"<\" directly followed by an ASCII letter, \"/\", \"!\" or \"?\" starts a tag; write \"<\" with a space after it (a < b), and paragraphs as text separated by a blank line",
			field, clip(s[loc[0]:], 20))
	}
	m := htmlEntity.FindString(s)
	if m == "" {
		m = decodedReference(s)
	}
	if m != "" {
		return store.FieldError(store.EInvalid, field,
			"%s is plain text and must not contain HTML character references (found %q): \"&\" followed by a character's name or \"#\" and digits, with or without \";\", reads as a character in a browser; write the character itself, or \"&\" with a space after it",
			field, clip(m, 20))
	}
	return nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// mergeCaseInput applies in to c (a copy the caller owns) and validates the
// whole result, reporting the first problem in a fixed field order. It
// returns the names of the fields whose value changed. The certificate
// number is normalised here; whether it is in the register is checked by
// the caller, against the store. today is for "not in the future".
func mergeCaseInput(c *store.Case, in CaseInput, today store.Date) ([]string, error) {
	before := *c
	before.Categories = slices.Clone(c.Categories)
	before.Sanctions = slices.Clone(c.Sanctions)
	texts := []caseText{
		{"title", &c.Title, maxCaseTitle, false, true},
		{"summary", &c.Summary, maxCaseSummary, true, true},
		{"body", &c.Body, maxCaseBody, true, true},
		{"subject_name", &c.SubjectName, maxCaseName, false, true},
		{"school", &c.School, maxCaseSchool, false, true},
	}
	given := map[string]*string{"title": in.Title, "summary": in.Summary, "body": in.Body, "subject_name": in.SubjectName, "school": in.School}
	for _, t := range texts {
		if v := given[t.field]; v != nil {
			*t.dst = cleanCaseText(*v, t.multiline)
		}
		if err := checkCaseText(t); err != nil {
			return nil, err
		}
	}
	if in.District != nil {
		c.District = strings.TrimSpace(*in.District)
	}
	switch {
	case c.District == "":
		return nil, store.FieldError(store.EMissing, "district", "district is required: one of the sixteen districts of Beijing, such as 海淀区")
	case !store.ValidDistrict(c.District):
		return nil, store.FieldError(store.EInvalid, "district", "unknown district %q; districts are %s", clip(c.District, 20), strings.Join(taxonomyIDs(store.DefaultTaxonomy().Districts), " "))
	}
	if in.Stage != nil {
		c.Stage = strings.TrimSpace(*in.Stage)
	}
	switch {
	case c.Stage == "":
		return nil, store.FieldError(store.EMissing, "stage", "stage is required: one of %s", strings.Join(taxonomyIDs(store.DefaultTaxonomy().Stages), ", "))
	case !store.ValidStage(c.Stage):
		return nil, store.FieldError(store.EInvalid, "stage", "unknown stage %q; stages are %s", clip(c.Stage, 20), strings.Join(taxonomyIDs(store.DefaultTaxonomy().Stages), ", "))
	}
	if in.Categories != nil {
		c.Categories = slices.Clone(*in.Categories)
	}
	if err := checkCategories(c.Categories); err != nil {
		return nil, err
	}
	slices.Sort(c.Categories)
	if in.Sanctions != nil {
		c.Sanctions = make([]store.Sanction, len(*in.Sanctions))
		for i, s := range *in.Sanctions {
			c.Sanctions[i] = store.Sanction{Type: strings.TrimSpace(s.Type), Detail: cleanCaseText(s.Detail, false)}
		}
	}
	if err := checkSanctions(c.Sanctions); err != nil {
		return nil, err
	}
	if in.IncidentDate != nil {
		d, err := optionalDate("incident_date", *in.IncidentDate)
		if err != nil {
			return nil, err
		}
		c.IncidentDate = d
	}
	if in.DecisionDate != nil {
		d, err := optionalDate("decision_date", *in.DecisionDate)
		if err != nil {
			return nil, err
		}
		c.DecisionDate = d
	}
	if err := checkCaseDates(c.IncidentDate, c.DecisionDate, today); err != nil {
		return nil, err
	}
	if in.Authority != nil {
		c.Authority = cleanCaseText(*in.Authority, false)
	}
	if err := checkCaseText(caseText{"authority", &c.Authority, maxCaseAuthority, false, true}); err != nil {
		return nil, err
	}
	if in.CertificateNo != nil {
		c.CertificateNo = ""
		if strings.TrimSpace(*in.CertificateNo) != "" {
			no, err := NormaliseCertificateNo(*in.CertificateNo)
			if err != nil {
				return nil, err
			}
			c.CertificateNo = no
		}
	}
	return changedCaseFields(&before, c), nil
}

func taxonomyIDs(ts []store.Term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func checkCategories(cs []int) error {
	if len(cs) == 0 {
		return store.FieldError(store.EMissing, "categories", "categories is required: at least one of the Ten Guidelines, 1 to 10")
	}
	seen := map[int]bool{}
	for _, n := range cs {
		if !store.ValidCategory(n) {
			return store.FieldError(store.EInvalid, "categories", "category %d is not one of the Ten Guidelines, 1 to 10", n)
		}
		if seen[n] {
			return store.FieldError(store.EInvalid, "categories", "category %d is given twice", n)
		}
		seen[n] = true
	}
	return nil
}

func checkSanctions(ss []store.Sanction) error {
	types := taxonomyIDs(store.DefaultTaxonomy().Sanctions)
	if len(ss) == 0 {
		return store.FieldError(store.EMissing, "sanctions", "sanctions is required: at least one, each {\"type\", \"detail\"} with type one of %s (detail, what was imposed, may be left empty)", strings.Join(types, ", "))
	}
	seen := map[string]bool{}
	for i, s := range ss {
		field := sanctionField(i, "type")
		switch {
		case s.Type == "":
			return store.FieldError(store.EMissing, field, "%s is required: one of %s", field, strings.Join(types, ", "))
		case !store.ValidSanction(s.Type):
			return store.FieldError(store.EInvalid, field, "unknown sanction type %q; types are %s", clip(s.Type, 40), strings.Join(types, ", "))
		case seen[s.Type]:
			return store.FieldError(store.EInvalid, field, "sanction %s is given twice; describe it once, in its detail", s.Type)
		}
		seen[s.Type] = true
		detail := s.Detail
		if err := checkCaseText(caseText{sanctionField(i, "detail"), &detail, maxSanctionText, false, false}); err != nil {
			return err
		}
	}
	return nil
}

// optionalDate parses a YYYY-MM-DD date; "" is the zero Date.
func optionalDate(field, s string) (store.Date, error) {
	if s = strings.TrimSpace(s); s == "" {
		return store.Date{}, nil
	}
	d, err := store.ParseDate(s)
	if err != nil {
		return store.Date{}, store.FieldError(store.EInvalid, field, "%s must be a date written YYYY-MM-DD", field)
	}
	return d, nil
}

// checkCaseDates: a decision date is required and not in the future; an
// incident, when known, happened on or before the decision.
func checkCaseDates(incident, decision, today store.Date) error {
	switch {
	case decision.IsZero():
		return store.FieldError(store.EMissing, "decision_date", "decision_date is required (YYYY-MM-DD)")
	case decision.After(today):
		return store.FieldError(store.EInvalid, "decision_date", "decision_date %s is in the future", decision)
	case decision.Before(earliestDecision):
		return store.FieldError(store.EInvalid, "decision_date", "decision_date %s is before %s", decision, earliestDecision)
	case incident.IsZero():
		return nil
	case incident.After(decision):
		return store.FieldError(store.EInvalid, "incident_date", "incident_date %s is after the decision_date %s", incident, decision)
	case incident.Before(earliestDecision):
		return store.FieldError(store.EInvalid, "incident_date", "incident_date %s is before %s", incident, earliestDecision)
	}
	return nil
}

// changedCaseFields names the fields of an editor's input whose values
// differ between a and b.
func changedCaseFields(a, b *store.Case) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"title", a.Title == b.Title}, {"summary", a.Summary == b.Summary}, {"body", a.Body == b.Body},
		{"subject_name", a.SubjectName == b.SubjectName}, {"school", a.School == b.School},
		{"district", a.District == b.District}, {"stage", a.Stage == b.Stage},
		{"categories", slices.Equal(a.Categories, b.Categories)}, {"sanctions", slices.Equal(a.Sanctions, b.Sanctions)},
		{"incident_date", a.IncidentDate == b.IncidentDate}, {"decision_date", a.DecisionDate == b.DecisionDate},
		{"authority", a.Authority == b.Authority}, {"certificate_no", a.CertificateNo == b.CertificateNo},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// linkedCredential reads the credential a case links to; nil when it links
// to none. EUnknownRef on certificate_no when the number is not in the
// register.
func linkedCredential(ctx context.Context, r store.Reader, no string) (*store.Credential, error) {
	if no == "" {
		return nil, nil
	}
	cred, err := r.CredentialByNumber(ctx, no)
	if errNotFound(err) {
		return nil, store.FieldError(store.EUnknownRef, "certificate_no", "no credential %s in the register", no)
	}
	return cred, err
}

// decodeCaseChanges reads an amendment's changes as strictly as a PATCH
// body is read: an unknown member is EUnknownField, a value of the wrong
// type EInvalid, each naming the member under changes.
func decodeCaseChanges(raw json.RawMessage) (CaseInput, error) {
	var in CaseInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	if err == nil {
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return in, store.FieldError(store.EInvalid, "changes", "changes must be one JSON object")
		}
		return in, nil
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return in, store.FieldError(store.EInvalid, "changes."+typ.Field, "changes.%s has the wrong type", typ.Field)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return in, store.FieldError(store.EUnknownField, "changes."+name, "a case has no field %q", name)
	}
	return in, store.FieldError(store.EInvalid, "changes", "changes must be an object naming the fields to change: %s", strings.Join(caseFieldNames, ", "))
}

// caseFieldNames are the members of CaseInput, for messages.
var caseFieldNames = []string{"title", "summary", "body", "subject_name", "school", "district", "stage",
	"categories", "sanctions", "incident_date", "decision_date", "authority", "certificate_no"}

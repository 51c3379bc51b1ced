// Package casecodec is how both stores keep the parts of a case that are
// not columns of their own: the categories and sanctions as JSON arrays, and
// the content a revision replaced as one JSON object. One encoding for both
// backends, so that a case moved between them reads the same.
//
// Reads give non-nil slices: a case with no categories or sanctions has
// empty ones, whether it was written with nil or with empty slices, so that
// every layer above renders "[]" and never "null".
package casecodec

import (
	"encoding/json"
	"fmt"

	"ethicsportal/store"
)

// Check refuses a case that no table would take: an empty ID or an unknown
// status. The schema refuses them too, but on PostgreSQL a refused statement
// would abort the whole transaction, where an error from here leaves it
// usable.
func Check(c *store.Case) error {
	if c.ID == "" {
		return store.FieldError(store.EInvalid, "id", "a case needs an id")
	}
	switch c.Status {
	case store.CaseDraft, store.CasePublished, store.CaseWithdrawn:
		return nil
	}
	return store.FieldError(store.EInvalid, "status", "%q is not a case status", c.Status)
}

// Categories encodes the guideline numbers as a JSON array ("[]" for none).
func Categories(cs []int) string {
	if len(cs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(cs) // []int always encodes
	return string(b)
}

// Sanctions encodes the sanctions as a JSON array ("[]" for none).
func Sanctions(ss []store.Sanction) (string, error) {
	if len(ss) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ss)
	if err != nil {
		return "", fmt.Errorf("encode sanctions: %w", err)
	}
	return string(b), nil
}

// DecodeCategories reads what Categories wrote.
func DecodeCategories(s string) ([]int, error) {
	cs := []int{}
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		return nil, fmt.Errorf("decode categories %q: %w", s, err)
	}
	if cs == nil { // "null"
		cs = []int{}
	}
	return cs, nil
}

// DecodeSanctions reads what Sanctions wrote.
func DecodeSanctions(s string) ([]store.Sanction, error) {
	ss := []store.Sanction{}
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decode sanctions: %w", err)
	}
	if ss == nil {
		ss = []store.Sanction{}
	}
	return ss, nil
}

// content is the stored form of a store.CaseContent. Its names are the
// schema's, fixed here rather than taken from the Go fields, so that
// renaming a field cannot change what old revisions decode to.
type content struct {
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	Body         string           `json:"body"`
	SubjectName  string           `json:"subject_name"`
	School       string           `json:"school"`
	District     string           `json:"district"`
	Stage        string           `json:"stage"`
	Categories   []int            `json:"categories"`
	Sanctions    []store.Sanction `json:"sanctions"`
	IncidentDate store.Date       `json:"incident_date"`
	DecisionDate store.Date       `json:"decision_date"`
	Authority    string           `json:"authority"`
}

// Content encodes c as a JSON object.
func Content(c store.CaseContent) (string, error) {
	v := content(c)
	if v.Categories == nil {
		v.Categories = []int{}
	}
	if v.Sanctions == nil {
		v.Sanctions = []store.Sanction{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode case content: %w", err)
	}
	return string(b), nil
}

// DecodeContent reads what Content wrote.
func DecodeContent(s string) (store.CaseContent, error) {
	var v content
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return store.CaseContent{}, fmt.Errorf("decode case content: %w", err)
	}
	if v.Categories == nil {
		v.Categories = []int{}
	}
	if v.Sanctions == nil {
		v.Sanctions = []store.Sanction{}
	}
	return store.CaseContent(v), nil
}

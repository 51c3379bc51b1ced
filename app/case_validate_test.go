package app

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"ethicsportal/store"
)

func validInput() CaseInput {
	s := func(v string) *string { return &v }
	return CaseInput{
		Title: s("某小学教师体罚学生"), Summary: s("多次体罚学生。"), Body: s("经查属实。\r\n\r\n给予处分。"),
		SubjectName: s("张某某"), School: s("某小学"), District: s("海淀区"), Stage: s("primary"),
		Categories: &[]int{7, 5}, Sanctions: &[]SanctionInput{{Type: "demerit", Detail: "记过"}},
		IncidentDate: s("2026-03-02"), DecisionDate: s("2026-04-20"), Authority: s("某区教委"),
	}
}

func TestMergeCaseInput(t *testing.T) {
	today := store.NewDate(2026, time.June, 1)
	c := &store.Case{}
	changed, err := mergeCaseInput(c, validInput(), today)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 12 || c.Body != "经查属实。\n\n给予处分。" || !slices.Equal(c.Categories, []int{5, 7}) {
		t.Fatalf("merged %v: %+v", changed, c)
	}
	s := func(v string) *string { return &v }
	// A change of one field is validated with the rest.
	changed, err = mergeCaseInput(c, CaseInput{Title: s("  新标题 ")}, today)
	if err != nil || !slices.Equal(changed, []string{"title"}) || c.Title != "新标题" {
		t.Fatalf("one change: %v %v %q", changed, err, c.Title)
	}
	if changed, err := mergeCaseInput(c, CaseInput{Title: s("新标题")}, today); err != nil || len(changed) != 0 {
		t.Fatalf("no change: %v %v", changed, err)
	}
	for _, tc := range []struct {
		name  string
		set   func(in *CaseInput)
		code  string
		field string
	}{
		{"no title", func(in *CaseInput) { in.Title = nil }, store.EMissing, "title"},
		{"blank title", func(in *CaseInput) { in.Title = s("  ") }, store.EMissing, "title"},
		{"long title", func(in *CaseInput) { in.Title = s(strings.Repeat("字", maxCaseTitle+1)) }, store.EInvalid, "title"},
		{"title on two lines", func(in *CaseInput) { in.Title = s("一\n二") }, store.EInvalid, "title"},
		{"control character", func(in *CaseInput) { in.Summary = s("一\x07二") }, store.EInvalid, "summary"},
		{"bidi override", func(in *CaseInput) { in.Body = s("一\u202e二") }, store.EInvalid, "body"},
		{"html paragraph", func(in *CaseInput) { in.Body = s("<p>经查</p>") }, store.EInvalid, "body"},
		{"html script", func(in *CaseInput) { in.Body = s("经查<script >alert(1)</script>") }, store.EInvalid, "body"},
		{"html comment", func(in *CaseInput) { in.Body = s("经查<!-- x -->") }, store.EInvalid, "body"},
		{"html entity", func(in *CaseInput) { in.Summary = s("甲&amp;乙") }, store.EInvalid, "summary"},
		{"html in school", func(in *CaseInput) { in.School = s("<b>某小学</b>") }, store.EInvalid, "school"},
		{"long body", func(in *CaseInput) { in.Body = s(strings.Repeat("字", maxCaseBody+1)) }, store.EInvalid, "body"},
		{"unknown district", func(in *CaseInput) { in.District = s("浦东新区") }, store.EInvalid, "district"},
		{"no district", func(in *CaseInput) { in.District = nil }, store.EMissing, "district"},
		{"unknown stage", func(in *CaseInput) { in.Stage = s("university") }, store.EInvalid, "stage"},
		{"no categories", func(in *CaseInput) { in.Categories = &[]int{} }, store.EMissing, "categories"},
		{"category 11", func(in *CaseInput) { in.Categories = &[]int{5, 11} }, store.EInvalid, "categories"},
		{"category 0", func(in *CaseInput) { in.Categories = &[]int{0} }, store.EInvalid, "categories"},
		{"category twice", func(in *CaseInput) { in.Categories = &[]int{5, 5} }, store.EInvalid, "categories"},
		{"no sanctions", func(in *CaseInput) { in.Sanctions = &[]SanctionInput{} }, store.EMissing, "sanctions"},
		{"unknown sanction", func(in *CaseInput) { in.Sanctions = &[]SanctionInput{{Type: "fine"}} }, store.EInvalid, "sanctions[0].type"},
		{"sanction twice", func(in *CaseInput) {
			in.Sanctions = &[]SanctionInput{{Type: "warning"}, {Type: "warning"}}
		}, store.EInvalid, "sanctions[1].type"},
		{"sanction without type", func(in *CaseInput) { in.Sanctions = &[]SanctionInput{{Detail: "x"}} }, store.EMissing, "sanctions[0].type"},
		{"sanction detail on two lines", func(in *CaseInput) {
			in.Sanctions = &[]SanctionInput{{Type: "warning", Detail: "一\n二"}}
		}, store.EInvalid, "sanctions[0].detail"},
		{"bad date", func(in *CaseInput) { in.DecisionDate = s("2026-02-30") }, store.EInvalid, "decision_date"},
		{"slashed date", func(in *CaseInput) { in.IncidentDate = s("2026/03/02") }, store.EInvalid, "incident_date"},
		{"no decision date", func(in *CaseInput) { in.DecisionDate = s("") }, store.EMissing, "decision_date"},
		{"decision in the future", func(in *CaseInput) { in.DecisionDate = s("2026-06-02") }, store.EInvalid, "decision_date"},
		{"decision long ago", func(in *CaseInput) { in.DecisionDate, in.IncidentDate = s("0202-01-01"), nil }, store.EInvalid, "decision_date"},
		{"incident after decision", func(in *CaseInput) { in.IncidentDate = s("2026-04-21") }, store.EInvalid, "incident_date"},
		{"no authority", func(in *CaseInput) { in.Authority = s("") }, store.EMissing, "authority"},
		{"bad certificate", func(in *CaseInput) { in.CertificateNo = s("证书") }, store.EInvalid, "certificate_no"},
	} {
		in := validInput()
		tc.set(&in)
		_, err := mergeCaseInput(&store.Case{}, in, today)
		var e *store.Error
		if store.ErrorCode(err) != tc.code || !asError(err, &e) || e.Field != tc.field {
			t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.code, tc.field)
		}
	}
	// Today's decision, an unknown incident date and a text that merely holds "<" are fine.
	in := validInput()
	in.DecisionDate, in.IncidentDate, in.Body = s("2026-06-01"), s(""), s("分数 a < b 且 c > d & e")
	if _, err := mergeCaseInput(&store.Case{}, in, today); err != nil {
		t.Fatalf("valid edge cases: %v", err)
	}
}

func asError(err error, e **store.Error) bool { return errors.As(err, e) }

func TestDecodeCaseChanges(t *testing.T) {
	for raw, field := range map[string]string{
		`{"titel": "x"}`:      "changes.titel",
		`{"categories": "5"}`: "changes.categories",
		`{"sanctions": [{"type": "warning", "extra": 1}]}`: "changes.extra",
	} {
		_, err := decodeCaseChanges(json.RawMessage(raw))
		var e *store.Error
		if !asError(err, &e) || e.Field != field {
			t.Errorf("%s: %v, want an error on %s", raw, err, field)
		}
	}
	in, err := decodeCaseChanges(json.RawMessage(`{"title": "新标题", "incident_date": null}`))
	if err != nil || in.Title == nil || *in.Title != "新标题" || in.IncidentDate != nil {
		t.Fatalf("decoded %+v, %v", in, err)
	}
}

func TestAddMonths(t *testing.T) {
	for _, tc := range []struct {
		from   store.Date
		months int
		want   store.Date
	}{
		{store.NewDate(2026, 4, 20), 12, store.NewDate(2027, 4, 20)},
		{store.NewDate(2024, 8, 31), 6, store.NewDate(2025, 2, 28)},
		{store.NewDate(2024, 1, 31), 1, store.NewDate(2024, 2, 29)},
		{store.NewDate(2025, 11, 15), 60, store.NewDate(2030, 11, 15)},
	} {
		if got := addMonths(tc.from, tc.months); got != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.from, tc.months, got, tc.want)
		}
	}
}

package app

import (
	"strings"
	"testing"
	"time"

	"ethicsportal/store"
)

// htmlSamples are texts a browser reads as markup or as a character
// reference, though none is a complete, well-formed tag with a quoted
// attribute.
var htmlSamples = []string{
	"<svg/onload=alert(1)>", "<img/src=x onerror=alert(1)>", "<script/x>", "<o:p></o:p>",
	"<?php echo 1; ?>", "<!x>", "</x", "<a", "甲&lt乙", "甲&amp乙", "&copy 2026", "&copyright", "&#60", "&#x3c;", "&foo;", "&AMP",
}

// plainSamples are plain texts that merely hold "<" or "&".
var plainSamples = []string{"5<6", "a < b", "AT&T", "R&D 部门", "AT&T.", "甲 & 乙", "分数<60分", "x &# y", "&Tab"}

// zeroWidth are the invisible characters every text refuses.
var zeroWidth = []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}

func TestPlainTextInEveryCaseText(t *testing.T) {
	today := store.NewDate(2026, time.June, 1)
	set := map[string]func(in *CaseInput, v string){
		"title":   func(in *CaseInput, v string) { in.Title = &v },
		"summary": func(in *CaseInput, v string) { in.Summary = &v },
		"body":    func(in *CaseInput, v string) { in.Body = &v },
		"school":  func(in *CaseInput, v string) { in.School = &v },
	}
	for field, f := range set {
		for _, bad := range append(append([]string{}, htmlSamples...), zeroWidth...) {
			in := validInput()
			f(&in, "某小学"+bad+"教师")
			_, err := mergeCaseInput(&store.Case{}, in, today)
			var e *store.Error
			if store.ErrorCode(err) != store.EInvalid || !asError(err, &e) || e.Field != field {
				t.Errorf("%s with %+q: %v, want invalid_field on %s", field, bad, err, field)
			}
		}
		for _, ok := range plainSamples {
			in := validInput()
			f(&in, "某小学"+ok+"教师")
			if _, err := mergeCaseInput(&store.Case{}, in, today); err != nil {
				t.Errorf("%s with %q: %v", field, ok, err)
			}
		}
	}
}

// The messages state the rule, so that an editor knows what to change.
func TestPlainTextMessages(t *testing.T) {
	err := checkPlainText("title", "甲<svg/onload=alert(1)>")
	if err == nil || !strings.Contains(err.Error(), `"<svg/onload=alert(1)`) || !strings.Contains(err.Error(), "a < b") {
		t.Errorf("tag: %v", err)
	}
	err = checkPlainText("summary", "甲&amp乙")
	if err == nil || !strings.Contains(err.Error(), `"&amp"`) || !strings.Contains(err.Error(), "with or without") {
		t.Errorf("reference: %v", err)
	}
}

// Zero-width characters are refused in every admin text, one-line or not.
func TestZeroWidthEverywhere(t *testing.T) {
	for _, z := range zeroWidth {
		for _, multiline := range []bool{singleLine, multiLine} {
			if err := checkChars("x", "甲"+z+"乙", multiline); store.ErrorCode(err) != store.EInvalid {
				t.Errorf("%+q (multi-line %v): %v", z, multiline, err)
			}
		}
	}
	// U+FFFD stays allowed in free text.
	if err := checkChars("x", "甲\ufffd乙", multiLine); err != nil {
		t.Errorf("U+FFFD in free text: %v", err)
	}
}

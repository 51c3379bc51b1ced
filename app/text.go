package app

import (
	"unicode"

	"ethicsportal/store"
)

// Text kinds for checkChars.
const (
	singleLine = false // names, subjects, issuers: one line
	multiLine  = true  // reasons, notes, case bodies: line breaks and tabs allowed
)

// checkChars is the one rule every text field of the admin API follows
// (the API conventions): no control characters (in multi-line texts line
// feed, carriage return and tab are allowed), no line or paragraph
// separators (U+2028, U+2029), no zero-width characters (U+200B..U+200D,
// U+2060, U+FEFF) anywhere, no U+FFFD on one line, and no Unicode
// bidirectional controls, which can make a stored text display as
// something other than what it holds (an issuer that reads as another, a
// reason that hides its end). It reports EInvalid naming field, and never
// repeats the text.
func checkChars(field, s string, multiline bool) error {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			if !multiline {
				return store.FieldError(store.EInvalid, field, "%s must be one line, without line breaks or tabs", field)
			}
		case r == '\u2028' || r == '\u2029':
			// Refused in every text: they end a line in some readers and
			// not in others, and break JavaScript that embeds the text.
			return store.FieldError(store.EInvalid, field, "%s must not contain line or paragraph separators (found U+%04X)", field, r)
		case r >= '\u200B' && r <= '\u200D' || r == '\u2060' || r == '\uFEFF':
			// Invisible: in a name they make look-alikes, in free text
			// they split a word so that search and the redaction check
			// miss it (an ID number with a zero-width space inside) while
			// readers see it whole.
			return store.FieldError(store.EInvalid, field, "%s must not contain zero-width characters (found U+%04X); they are invisible and hide what the text holds", field, r)
		case !multiline && r == '\uFFFD':
			// What a broken encoding left behind; in a name it is an error,
			// free text may quote it.
			return store.FieldError(store.EInvalid, field, "%s must not contain replacement characters (found U+FFFD)", field)
		case unicode.IsControl(r): // C0, DEL and C1, NUL among them
			return store.FieldError(store.EInvalid, field, "%s must not contain control characters (found U+%04X)", field, r)
		case isBidiControl(r):
			return store.FieldError(store.EInvalid, field, "%s must not contain bidirectional text controls (found U+%04X)", field, r)
		}
	}
	return nil
}

// isBidiControl reports the explicit directional formatting characters:
// embeddings and overrides (U+202A..U+202E), isolates (U+2066..U+2069) and
// the implicit marks (LRM U+200E, RLM U+200F, ALM U+061C). None belongs in
// the register's Chinese and Latin text; refusing the marks too keeps one
// simple rule.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

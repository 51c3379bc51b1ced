package app

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"ethicsportal/store"
)

// Certificate numbers are letters and digits; people write them with
// spaces, hyphens, full-width digits and either case.
const (
	minCertificateLen = 4
	maxCertificateLen = 40
	maxNameRunes      = 64
)

// NormaliseCertificateNo returns the canonical form of a certificate number:
// full-width characters narrowed, spaces and hyphens dropped, letters
// upper-cased. EInvalid when what remains is not 4 to 40 letters and digits.
func NormaliseCertificateNo(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", store.FieldError(store.EInvalid, "certificate_no", "the certificate number is not valid UTF-8")
	}
	if len(s) > 4*maxCertificateLen {
		return "", store.FieldError(store.EInvalid, "certificate_no", "a certificate number has at most %d letters and digits", maxCertificateLen)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range width.Narrow.String(s) {
		switch {
		case unicode.IsSpace(r) || isDash(r):
			continue
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			return "", store.FieldError(store.EInvalid, "certificate_no", "a certificate number holds only letters, digits, spaces and hyphens")
		}
	}
	out := b.String()
	if out == "" {
		return "", store.FieldError(store.EMissing, "certificate_no", "a certificate number is required")
	}
	if len(out) < minCertificateLen || len(out) > maxCertificateLen {
		return "", store.FieldError(store.EInvalid, "certificate_no", "a certificate number has %d to %d letters and digits", minCertificateLen, maxCertificateLen)
	}
	return out, nil
}

func isDash(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\u30fc', '\u2015':
		return true
	}
	return false
}

// foldName folds a holder's name for matching, after checking it is one.
// field names the input for the error.
func (a *App) foldName(field, name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", store.FieldError(store.EInvalid, field, "the name is not valid UTF-8")
	}
	if err := checkChars(field, name, singleLine); err != nil {
		return "", err
	}
	folded := a.folder.Fold(name)
	if folded == "" {
		return "", store.FieldError(store.EMissing, field, "a name is required")
	}
	if utf8.RuneCountInString(folded) > maxNameRunes {
		return "", store.FieldError(store.EInvalid, field, "a name has at most %d characters", maxNameRunes)
	}
	if strings.ContainsFunc(folded, unicode.IsControl) {
		return "", store.FieldError(store.EInvalid, field, "a name must not contain control characters")
	}
	return folded, nil
}

// idWeights and idCheck are the GB 11643-1999 check-digit rule of the
// 18-character resident identity number.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = "10X98765432"
)

// NormaliseIDNumber returns the canonical form of an 18-character resident
// ID number (narrowed, trimmed, trailing x upper-cased) after checking its
// shape, its birth date and its check digit. The error never repeats the
// number: it must not reach a log.
func NormaliseIDNumber(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(width.Narrow.String(s)))
	if s == "" {
		return "", store.FieldError(store.EMissing, "id_number", "an ID number is required")
	}
	if len(s) != 18 {
		return "", store.FieldError(store.EInvalid, "id_number", "a resident ID number has 18 characters")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", store.FieldError(store.EInvalid, "id_number", "the first 17 characters of an ID number are digits")
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	if s[17] != idCheck[sum%11] {
		return "", store.FieldError(store.EInvalid, "id_number", "the ID number's check digit does not match")
	}
	if _, err := store.ParseDate(s[6:10] + "-" + s[10:12] + "-" + s[12:14]); err != nil {
		return "", store.FieldError(store.EInvalid, "id_number", "the ID number does not hold a valid birth date")
	}
	return s, nil
}

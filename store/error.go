package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Error codes are the stable machine words of the external contract (the
// "code" member of a problem response). handlers maps each to an HTTP status
// in one table; nothing else needs to know about HTTP.
const (
	EInvalid      = "invalid_field"          // a value is malformed or outside its range
	EMissing      = "missing_field"          // a required value is absent
	EUnknownField = "unknown_field"          // a request carries a field the contract does not name
	EInvalidJSON  = "invalid_json"           // a body that is not the JSON value expected
	EInvalidUTF8  = "invalid_utf8"           // bytes that are not UTF-8
	EUnauthorized = "unauthorized"           // no or bad credentials
	EForbidden    = "forbidden"              // authenticated but lacking the role
	EFourEyes     = "four_eyes"              // the proposer tried to approve their own action
	ENotFound     = "not_found"              // no such object
	EUnknownRef   = "unknown_reference"      // a request names an object that does not exist
	EConflict     = "conflict"               // the object exists or is in the wrong state
	ELastAdmin    = "last_admin"             // the change would leave no enabled admin
	EGone         = "gone"                   // the object was withdrawn
	ETooLarge     = "body_too_large"         // request body over the limit
	EUnsupported  = "unsupported_media_type" // wrong Content-Type
	ERateLimited  = "rate_limited"           // too many requests
	EUnavailable  = "unavailable"            // a dependency is down
	EInternal     = "internal"               // a bug or an unexpected failure

	// What identifies the holder of a registered credential changes only
	// by correct_credential, never by an import or a registrar alone.
	EIdentityChange = "identity_change"
	// An ID number belongs to a person registered under another name.
	EIDNameMismatch = "id_name_mismatch"
	// A case to be published holds what looks like personal data, and the
	// approval did not acknowledge it.
	ERedactionFindings = "redaction_findings"

	// A batch verification refused as a whole: nothing of it is checked.
	ETooManyItems  = "too_many_items" // more items than a batch may hold
	EDuplicateItem = "duplicate_item" // a certificate number given twice in one batch
	EInvalidHeader = "invalid_header" // a CSV file whose header row is not the one asked for
	EMalformedRow  = "malformed_row"  // a CSV row that cannot be read (quoting, field count, encoding)
	EEmptyRow      = "empty_row"      // a CSV row of empty cells
)

// Error is the one error type the application returns to its callers. Code
// is one of the E* constants; Field names the offending input, if any;
// Message is safe to show to the person who made the request.
//
// Format and Args are what Errorf and FieldError made Message of, kept so
// that the message can be given in another language with the same values;
// both are empty for an Error written as a literal.
type Error struct {
	Code    string
	Field   string
	Message string
	Format  string
	Args    []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: keepArgs(args)}
}

// FieldError returns an *Error naming the input field at fault.
func FieldError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Format: format, Args: keepArgs(args)}
}

// keepArgs copies args and the strings and bytes among them: an argument
// may be a view of a request's buffer, which the server reuses once the
// request is answered, and an error can outlive its request (a shared
// result handed to several callers).
func keepArgs(args []any) []any {
	if len(args) == 0 {
		return nil
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			a = strings.Clone(v)
		case []byte:
			a = bytes.Clone(v)
		}
		out[i] = a
	}
	return out
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// or a generic text for other errors (whose text may hold internal detail).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

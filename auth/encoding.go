package auth

import "encoding/base32"

// b32NoPad is the base32 form of TOTP secrets in enrolment URIs.
var b32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

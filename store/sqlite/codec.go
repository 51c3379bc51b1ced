package sqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Values cross into SQLite in the encodings the schema documents
// (migrations/001_initial.sql): times as UTC microseconds, the zero time,
// zero ids and nil byte slices as NULL. These helpers keep the encoding in
// one place so that every table agrees.

// timeArg encodes t; the zero time becomes NULL.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// idArg encodes a reference id; 0 ("no link") becomes NULL.
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// timeCol scans a time column into *T: NULL is the zero time, anything else
// microseconds in UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a time", src)
	}
	return nil
}

// idCol scans a nullable reference id: NULL is 0.
type idCol struct{ id *int64 }

func (c idCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.id = 0
	case int64:
		*c.id = v
	default:
		return fmt.Errorf("sqlite: cannot scan %T into an id", src)
	}
	return nil
}

// bytesCol scans a BLOB keeping NULL and the empty blob apart. The driver
// hands an empty blob over as a nil []byte, which *[]byte would turn into
// nil; the contract makes a nil TOTPSecret or IDHash mean "none", so an empty
// one must come back non-nil.
type bytesCol struct{ b *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case []byte:
		// The driver may reuse its buffer after Scan returns.
		*c.b = append([]byte{}, v...)
	case string:
		*c.b = []byte(v)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into bytes", src)
	}
	return nil
}

// blobArg encodes b keeping nil (NULL) and empty (a zero-length blob) apart.
func blobArg(b []byte) any {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return []byte{} // non-nil: the driver binds a zero-length blob
	}
	return b
}

// encodeStrings stores a list of names (roles, outbox consumers) as a JSON
// array, which survives any name; what says which list, for the error.
func encodeStrings(what string, ss []string) (string, error) {
	if len(ss) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ss)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode %s: %w", what, err)
	}
	return string(b), nil
}

func decodeStrings(what, s string) ([]string, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("sqlite: decode %s %q: %w", what, s, err)
	}
	return ss, nil
}

// jsonArg encodes a JSON value as TEXT holding exactly its bytes, never
// parsed or re-encoded (an audit digest is over those bytes); nil becomes
// NULL and an empty value the empty text, so the two stay apart.
func jsonArg(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// jsonCol scans what jsonArg stored: NULL is nil, anything else the bytes
// as they are, non-nil even when empty.
type jsonCol struct{ b *json.RawMessage }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case string:
		*c.b = append(json.RawMessage{}, v...)
	case []byte:
		*c.b = append(json.RawMessage{}, v...) // the driver may reuse its buffer
	default:
		return fmt.Errorf("sqlite: cannot scan %T into JSON", src)
	}
	return nil
}

// jsonStrings encodes keys as one JSON array parameter for json_each: a
// single bound value serves any number of keys, so no lookup runs into
// SQLite's parameter limit and the statement can be prepared once.
func jsonStrings(keys []string) (string, error) {
	b, err := json.Marshal(keys)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode keys: %w", err)
	}
	return string(b), nil
}

// jsonHex encodes byte keys as a JSON array of hex strings for
// unhex(json_each.value). A nil key is left out: it stands for an unknown ID
// number and must not match the persons whose hash is NULL or empty.
func jsonHex(keys [][]byte) (string, int) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	n := 0
	const hexdigits = "0123456789abcdef"
	for _, k := range keys {
		if k == nil {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('"')
		for _, c := range k {
			buf.WriteByte(hexdigits[c>>4])
			buf.WriteByte(hexdigits[c&15])
		}
		buf.WriteByte('"')
		n++
	}
	buf.WriteByte(']')
	return buf.String(), n
}

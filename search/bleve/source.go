package bleve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
)

// The stored source of a document is a compact binary record, read for each hit of a page:
// decoding it is slicing, where JSON would unquote every character of the body.
//
//	version byte (sourceVersion)
//	strings: title, summary, body, subject name, school, authority, district, stage,
//	         decision date, publish until (YYYY-MM-DD or empty), each a uvarint length and bytes
//	categories: a uvarint count, then each a uvarint
//	sanctions: a uvarint count, then each type and detail as strings
//	published at: a uvarint length and time.MarshalBinary
const sourceVersion = 1

func encodeSource(d search.Document) ([]byte, error) {
	b := make([]byte, 0, 64+len(d.Title)+len(d.Summary)+len(d.Body)+len(d.SubjectName)+len(d.School)+len(d.Authority))
	b = append(b, sourceVersion)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, s := range []string{d.Title, d.Summary, d.Body, d.SubjectName, d.School, d.Authority, d.District, d.Stage,
		d.DecisionDate.String(), d.PublishUntil.String()} {
		str(s)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Categories)))
	for _, c := range d.Categories {
		b = binary.AppendUvarint(b, uint64(c))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Sanctions)))
	for _, s := range d.Sanctions {
		str(s.Type)
		str(s.Detail)
	}
	t, err := d.PublishedAt.MarshalBinary()
	if err != nil {
		return nil, err
	}
	str(string(t))
	return b, nil
}

var errCorrupt = errors.New("corrupt stored document")

// decode turns a stored source back into the Document it was made from.
func decode(id string, b []byte) (search.Document, error) {
	r := sourceReader{b: b}
	if len(b) == 0 || b[0] != sourceVersion {
		return search.Document{}, fmt.Errorf("document %s: %w: unknown version", id, errCorrupt)
	}
	r.b = b[1:]
	d := search.Document{ID: id}
	for _, p := range []*string{&d.Title, &d.Summary, &d.Body, &d.SubjectName, &d.School, &d.Authority, &d.District, &d.Stage} {
		*p = r.str()
	}
	decision, until := r.str(), r.str()
	if n := r.uvarint(); n > 0 && r.err == nil {
		d.Categories = make([]int, 0, min(n, 64))
		for range n {
			d.Categories = append(d.Categories, int(r.uvarint()))
		}
	}
	if n := r.uvarint(); n > 0 && r.err == nil {
		d.Sanctions = make([]store.Sanction, 0, min(n, 64))
		for range n {
			d.Sanctions = append(d.Sanctions, store.Sanction{Type: r.str(), Detail: r.str()})
		}
	}
	published := r.str()
	if r.err != nil {
		return search.Document{}, fmt.Errorf("document %s: %w", id, r.err)
	}
	var err error
	if decision != "" {
		if d.DecisionDate, err = store.ParseDate(decision); err != nil {
			return search.Document{}, fmt.Errorf("document %s: %w: %w", id, errCorrupt, err)
		}
	}
	if until != "" {
		if d.PublishUntil, err = store.ParseDate(until); err != nil {
			return search.Document{}, fmt.Errorf("document %s: %w: %w", id, errCorrupt, err)
		}
	}
	var t time.Time
	if err := t.UnmarshalBinary([]byte(published)); err != nil {
		return search.Document{}, fmt.Errorf("document %s: %w: %w", id, errCorrupt, err)
	}
	d.PublishedAt = t
	return d, nil
}

// sourceReader reads the fields of a stored source; the first error sticks.
type sourceReader struct {
	b   []byte
	err error
}

func (r *sourceReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sourceReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

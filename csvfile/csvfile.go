// Package csvfile reads CSV files as spreadsheet programs save them: UTF-8 with or without a byte
// order mark, or GB18030/GBK as Excel saves "CSV" on a Chinese-locale Windows, with a header row,
// CRLF or LF line ends, and rows that may be individually broken without spoiling the rest.
package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encoding names accepted by NewReader: "" or "auto" (detect), "utf-8", "gb18030" (also accepts
// "gbk", "gb2312"). Names are case-insensitive. Reader.Encoding reports one of the two below.
const (
	UTF8    = "utf-8"
	GB18030 = "gb18030"
)

// sniffSize is how much of the file detection looks at: enough for a few hundred rows, so that a
// Chinese name turns up in any realistic register export, and small enough to buffer.
const sniffSize = 64 << 10

// Errors a RowError may wrap, besides *csv.ParseError for bad quoting.
var (
	// ErrInvalidUTF8 marks a row of a UTF-8 file with bytes that are not UTF-8.
	ErrInvalidUTF8 = errors.New("not valid UTF-8")
	// ErrInvalidGB18030 marks a row of a GB18030 file with bytes that are not GB18030. A row
	// holding U+FFFD, which GB18030 can encode, is reported too: the decoder cannot tell the two
	// apart, and in a spreadsheet export U+FFFD is itself the mark of an earlier bad conversion.
	ErrInvalidGB18030 = errors.New("not valid GB18030")
	// ErrFieldCount is csv.ErrFieldCount, so errors.Is works with either.
	ErrFieldCount = csv.ErrFieldCount
)

// Reader streams records of a CSV file with a header row. It is not safe for concurrent use,
// except that BytesRead may be called from any goroutine.
type Reader struct {
	csv      *csv.Reader
	count    *countingReader
	encoding string
	header   []string
	// checkField is the per-field encoding check of the chosen encoding.
	checkField func(string) error
}

// Record is one data row.
type Record struct {
	// Line is the 1-based line of the file on which the record starts (the header is line 1).
	Line int
	// Fields maps each non-blank header name to the row's value in that column, trimmed of
	// white space. Columns with a blank header are left out.
	Fields map[string]string
}

// RowError reports a row that was skipped. Reading continues after it.
type RowError struct {
	Line int // 1-based line on which the row starts
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// NewReader wraps r. With encoding "" or "auto" it detects: a UTF-8 BOM means UTF-8 (the BOM is
// dropped); otherwise it sniffs a leading window (64 KiB) and chooses UTF-8 when that window is
// valid UTF-8 (allowing for a multi-byte sequence cut at the window's end) or mostly so (see
// mostlyUTF8: the rows with stray bytes are then refused), GB18030 otherwise.
// So a GB18030 file whose first 64 KiB are pure ASCII is read as UTF-8, and its later Chinese rows
// come back as RowErrors; name the encoding for such files. A UTF-16 file (Excel's "Unicode
// Text") is an error when detecting.
//
// A named encoding is used as given; a leading BOM is still dropped. Unknown names are an error.
//
// NewReader reads the header row: its fields are trimmed and lower-cased. It is an error if there
// is no header row (an empty file), if the header row is malformed or not in the encoding, if it
// has no non-blank name, or if a name occurs twice. Blank names, as spreadsheets write for
// trailing empty columns, are allowed and their columns ignored.
func NewReader(r io.Reader, encoding string) (*Reader, error) {
	count := &countingReader{r: r}
	br := bufio.NewReaderSize(count, sniffSize)
	enc, err := chooseEncoding(br, encoding)
	if err != nil {
		return nil, err
	}
	var src io.Reader = br
	check := checkUTF8
	if enc == GB18030 {
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		check = checkGB18030
	}
	cr := csv.NewReader(src)
	// The field count is checked in Next: with a fixed count, csv.Reader would report a short
	// row, but then also every later row against that first count.
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	rd := &Reader{csv: cr, count: count, encoding: enc, checkField: check}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

func chooseEncoding(br *bufio.Reader, name string) (string, error) {
	// A BOM is dropped whatever the encoding: a file saved as UTF-8 by Excel and named as
	// GB18030 by a user would otherwise get a garbled first header name.
	if p, _ := br.Peek(3); bytes.Equal(p, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		if n := normalizeName(name); n == "" || n == "auto" {
			return UTF8, nil
		}
	}
	switch normalizeName(name) {
	case "utf-8", "utf8":
		return UTF8, nil
	case "gb18030", "gbk", "gb2312":
		return GB18030, nil
	case "", "auto":
	default:
		return "", fmt.Errorf("csvfile: unknown encoding %q (want utf-8, gb18030 or auto)", name)
	}
	window, err := br.Peek(sniffSize)
	atEOF := false
	switch {
	case err == io.EOF:
		atEOF = true
	case err != nil && !errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("csvfile: reading: %w", err)
	}
	if bytes.HasPrefix(window, []byte("\xFF\xFE")) || bytes.HasPrefix(window, []byte("\xFE\xFF")) {
		return "", errors.New(`csvfile: file is UTF-16 (Excel "Unicode Text"); save it as "CSV UTF-8" instead`)
	}
	if validUTF8Window(window, atEOF) || mostlyUTF8(window) {
		return UTF8, nil
	}
	return GB18030, nil
}

// mostlyUTF8 reports whether p reads as UTF-8 with a few stray bytes (a
// name pasted from a Windows-1252 document into a UTF-8 file) rather than
// as GB18030: its valid multi-byte UTF-8 sequences outnumber its invalid
// bytes four to one. GB18030 text forms a valid UTF-8 sequence only by
// chance, and mostly does not, so it stays GB18030; a UTF-8 file with a
// stray byte is then read as UTF-8, and the row holding the byte is
// refused instead of every row being decoded into wrong characters.
func mostlyUTF8(p []byte) bool {
	good, bad := 0, 0
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		switch {
		case r == utf8.RuneError && size == 1:
			if len(p) < utf8.UTFMax && !utf8.FullRune(p) {
				p = nil // a sequence cut at the window's end
				continue
			}
			bad++
		case size > 1:
			good++
		}
		p = p[size:]
	}
	return good >= 4*bad && good > 0
}

func normalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// validUTF8Window reports whether p is valid UTF-8, forgiving an incomplete sequence at the end
// unless p is the whole file.
func validUTF8Window(p []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
			if utf8.RuneStart(p[i]) {
				if !utf8.FullRune(p[i:]) {
					p = p[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(p)
}

func (r *Reader) readHeader() error {
	rec, err := r.csv.Read()
	if err == io.EOF {
		return errors.New("csvfile: no header row (empty file)")
	}
	if err != nil {
		return fmt.Errorf("csvfile: header row: %w", err)
	}
	// rec is reused by the next Read, so the names go into a slice of our own.
	header := make([]string, len(rec))
	seen := make(map[string]bool, len(rec))
	for i, f := range rec {
		if err := r.checkField(f); err != nil {
			return fmt.Errorf("csvfile: header row: %w", err)
		}
		if i == 0 {
			// A second BOM, or the GB18030 encoding of one, survives the byte-level check.
			f = strings.TrimPrefix(f, "\uFEFF")
		}
		name := strings.ToLower(strings.TrimSpace(f))
		if name != "" {
			if seen[name] {
				return fmt.Errorf("csvfile: header row: column %q appears twice", name)
			}
			seen[name] = true
		}
		header[i] = name
	}
	if len(seen) == 0 {
		return errors.New("csvfile: header row has no column names")
	}
	r.header = header
	return nil
}

// Encoding reports the encoding being used: UTF8 or GB18030.
func (r *Reader) Encoding() string { return r.encoding }

// Header returns the header names, trimmed and lower-cased, in file order; blank names included.
// The slice is the caller's.
func (r *Reader) Header() []string { return append([]string(nil), r.header...) }

// Next returns the next record as a map from header name to trimmed field value, and the 1-based
// line number of the record in the file (the header is line 1). It returns io.EOF at the end.
// A record with a wrong number of fields, or bad quoting, is returned as a *RowError (with Line)
// and reading continues with the next record: a bad row never stops the good ones.
// A file that is valid in neither encoding gives RowErrors for the bad rows, not a panic.
// A row with bytes not in the encoding is a RowError wrapping ErrInvalidUTF8 or ErrInvalidGB18030;
// a wrong field count wraps ErrFieldCount; bad quoting wraps a *csv.ParseError. Note that an
// opening quote with no closing one takes the following lines into its field, as in any CSV
// reader, until a quote ends it. Any other error (from the underlying reader) ends reading.
func (r *Reader) Next() (Record, error) {
	rec, err := r.csv.Read()
	if err != nil {
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			return Record{}, &RowError{Line: pe.StartLine, Err: pe}
		}
		return Record{}, err
	}
	line, _ := r.csv.FieldPos(0)
	for _, f := range rec {
		if err := r.checkField(f); err != nil {
			return Record{}, &RowError{Line: line, Err: err}
		}
	}
	if len(rec) != len(r.header) {
		return Record{}, &RowError{Line: line,
			Err: fmt.Errorf("%w: %d, header has %d", ErrFieldCount, len(rec), len(r.header))}
	}
	// With ReuseRecord only the slice is reused: the field strings are substrings of one string
	// csv.Reader allocates per record, so the map may keep them without copying.
	fields := make(map[string]string, len(r.header))
	for i, name := range r.header {
		if name != "" {
			fields[name] = strings.TrimSpace(rec[i])
		}
	}
	return Record{Line: line, Fields: fields}, nil
}

// BytesRead returns the number of bytes consumed from the underlying reader so far, for progress
// bars. It runs ahead of the records returned, by up to the read buffers (about 64 KiB).
func (r *Reader) BytesRead() int64 { return r.count.n.Load() }

func checkUTF8(f string) error {
	if !utf8.ValidString(f) {
		return ErrInvalidUTF8
	}
	return nil
}

// checkGB18030 relies on the x/text decoder writing U+FFFD for each byte sequence it cannot
// decode.
func checkGB18030(f string) error {
	if strings.ContainsRune(f, utf8.RuneError) {
		return ErrInvalidGB18030
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

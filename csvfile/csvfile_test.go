package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// row is what a test expects of one Next call: a record, or a RowError on Line wrapping err.
type row struct {
	line   int
	fields map[string]string
	err    error // nil for a record; for a RowError, what it must wrap (errors.Is)
}

func readAll(t *testing.T, r *Reader) []row {
	t.Helper()
	var out []row
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if re, ok := errors.AsType[*RowError](err); ok {
			out = append(out, row{line: re.Line, err: re})
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, row{line: rec.Line, fields: rec.Fields})
	}
}

func checkRows(t *testing.T, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		switch {
		case g.line != w.line:
			t.Errorf("row %d: line %d, want %d (%v)", i, g.line, w.line, g)
		case w.err == nil && g.err != nil:
			t.Errorf("row %d (line %d): unexpected %v", i, g.line, g.err)
		case w.err != nil && !errors.Is(g.err, w.err):
			t.Errorf("row %d (line %d): error %v, want one wrapping %v", i, g.line, g.err, w.err)
		case w.err == nil && !maps.Equal(g.fields, w.fields):
			t.Errorf("row %d (line %d): fields %q, want %q", i, g.line, g.fields, w.fields)
		}
	}
}

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const bom = "\xEF\xBB\xBF"

func TestRead(t *testing.T) {
	names := "Name , 证件号\n张伟,110101\n體罰,220202\n"
	wantNames := []row{
		{line: 2, fields: map[string]string{"name": "张伟", "证件号": "110101"}},
		{line: 3, fields: map[string]string{"name": "體罰", "证件号": "220202"}},
	}
	tests := []struct {
		name     string
		in       []byte
		encoding string
		wantEnc  string
		header   []string
		rows     []row
	}{
		{
			name: "utf-8 detected", in: []byte(names),
			wantEnc: UTF8, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "utf-8 with bom", in: []byte(bom + names),
			wantEnc: UTF8, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "utf-8 bom with named encoding", in: []byte(bom + names), encoding: "UTF-8",
			wantEnc: UTF8, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "crlf", in: []byte(strings.ReplaceAll(names, "\n", "\r\n")),
			wantEnc: UTF8, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "gbk detected", in: gbk(t, names),
			wantEnc: GB18030, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "gbk named gbk", in: gbk(t, names), encoding: "gbk",
			wantEnc: GB18030, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "gbk named gb2312 crlf", in: gbk(t, strings.ReplaceAll(names, "\n", "\r\n")), encoding: "GB2312",
			wantEnc: GB18030, header: []string{"name", "证件号"}, rows: wantNames,
		},
		{
			name: "gbk named utf-8", in: gbk(t, "name,id\n张伟,1\nli,2\n體罰,3\n"), encoding: "utf-8",
			wantEnc: UTF8, header: []string{"name", "id"},
			rows: []row{
				{line: 2, err: ErrInvalidUTF8},
				{line: 3, fields: map[string]string{"name": "li", "id": "2"}},
				{line: 4, err: ErrInvalidUTF8},
			},
		},
		{
			name: "utf-8 named gb18030 keeps going", in: []byte("name,id\nli,1\n"), encoding: "gb18030",
			wantEnc: GB18030, header: []string{"name", "id"},
			rows: []row{{line: 2, fields: map[string]string{"name": "li", "id": "1"}}},
		},
		{
			name:    "wrong field counts skipped",
			in:      []byte("a,b,c\n1,2,3\n1,2\n1,2,3,4\n4,5,6\n"),
			wantEnc: UTF8, header: []string{"a", "b", "c"},
			rows: []row{
				{line: 2, fields: map[string]string{"a": "1", "b": "2", "c": "3"}},
				{line: 3, err: ErrFieldCount},
				{line: 4, err: ErrFieldCount},
				{line: 5, fields: map[string]string{"a": "4", "b": "5", "c": "6"}},
			},
		},
		{
			name:    "quoted newlines and commas keep line numbers",
			in:      []byte("name,note\n\"张, 伟\",\"line one\r\nline two\"\nb,\"x\n\ny\"\nc,\"\"\"q\"\"\"\nd,e\n"),
			wantEnc: UTF8, header: []string{"name", "note"},
			rows: []row{
				{line: 2, fields: map[string]string{"name": "张, 伟", "note": "line one\nline two"}},
				{line: 4, fields: map[string]string{"name": "b", "note": "x\n\ny"}},
				{line: 7, fields: map[string]string{"name": "c", "note": `"q"`}},
				{line: 8, fields: map[string]string{"name": "d", "note": "e"}},
			},
		},
		{
			name:    "bad quoting skipped",
			in:      []byte("a,b\n1,2\nx\"y,3\n\"z\"w,4\n5,6\n"),
			wantEnc: UTF8, header: []string{"a", "b"},
			rows: []row{
				{line: 2, fields: map[string]string{"a": "1", "b": "2"}},
				{line: 3, err: csv.ErrBareQuote},
				{line: 4, err: csv.ErrQuote},
				{line: 5, fields: map[string]string{"a": "5", "b": "6"}},
			},
		},
		{
			name:    "blank lines skipped but counted",
			in:      []byte("\n\na,b\n\n1,2\n\n\n3,4"),
			wantEnc: UTF8, header: []string{"a", "b"},
			rows: []row{
				{line: 5, fields: map[string]string{"a": "1", "b": "2"}},
				{line: 8, fields: map[string]string{"a": "3", "b": "4"}},
			},
		},
		{
			name:    "values trimmed, blank header columns ignored",
			in:      []byte("Name,,ID,\n  张伟\u3000 ,x, 1 ,\n"),
			wantEnc: UTF8, header: []string{"name", "", "id", ""},
			rows: []row{{line: 2, fields: map[string]string{"name": "张伟", "id": "1"}}},
		},
		{
			name:    "header only",
			in:      []byte("a,b\r\n"),
			wantEnc: UTF8, header: []string{"a", "b"},
		},
		{
			name: "gb18030 with undecodable bytes",
			in: append(append(gbk(t, "name,id\n张伟,1\n"), "\xFF\xFF,2\n"...),
				gbk(t, "李娜,3\n")...),
			wantEnc: GB18030, header: []string{"name", "id"},
			rows: []row{
				{line: 2, fields: map[string]string{"name": "张伟", "id": "1"}},
				{line: 3, err: ErrInvalidGB18030},
				{line: 4, fields: map[string]string{"name": "李娜", "id": "3"}},
			},
		},
		{
			name: "gb18030 bom dropped from header", encoding: "gb18030",
			in:      append([]byte("\x84\x31\x95\x33"), gbk(t, "name\n张\n")...),
			wantEnc: GB18030, header: []string{"name"},
			rows: []row{{line: 2, fields: map[string]string{"name": "张"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.in), tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tt.wantEnc {
				t.Errorf("Encoding() = %q, want %q", got, tt.wantEnc)
			}
			if got := r.Header(); !equalStrings(got, tt.header) {
				t.Errorf("Header() = %q, want %q", got, tt.header)
			}
			checkRows(t, readAll(t, r), tt.rows)
			if got := r.BytesRead(); got != int64(len(tt.in)) {
				t.Errorf("BytesRead() = %d at EOF, want %d", got, len(tt.in))
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewReaderErrors(t *testing.T) {
	tests := []struct {
		name, in, encoding, wantErr string
	}{
		{"empty file", "", "", "no header row"},
		{"only bom", bom, "", "no header row"},
		{"only blank lines", "\n\r\n\n", "", "no header row"},
		{"duplicate header", "Name,id, NAME \n", "", `"name" appears twice`},
		{"duplicate chinese header", "姓名,姓名\n", "", `"姓名" appears twice`},
		{"all blank header", " , \n1,2\n", "", "no column names"},
		{"unknown encoding", "a\n", "latin1", `unknown encoding "latin1"`},
		{"utf-16le", "\xFF\xFEa\x00\n\x00", "", "UTF-16"},
		{"header bad utf-8", "a\xff,b\n", "utf-8", "not valid UTF-8"},
		{"header bad quote", "a\"b,c\n", "", "bare \""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.in), tt.encoding)
			if err == nil {
				t.Fatalf("NewReader succeeded with header %q", r.Header())
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDetectionWindow(t *testing.T) {
	// Pad with ASCII so that a multi-byte character straddles the end of the sniffed window.
	for cut := 1; cut < 3; cut++ {
		t.Run(fmt.Sprintf("utf-8 cut after %d bytes", cut), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("name\n")
			for b.Len() < sniffSize-cut-30 {
				b.WriteString("abcdefghijklmnopqrstuvwxyz\n")
			}
			b.WriteString(strings.Repeat("x", sniffSize-cut-b.Len()))
			b.WriteString("张伟\n")
			r, err := NewReader(strings.NewReader(b.String()), "auto")
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != UTF8 {
				t.Fatalf("Encoding() = %q, want utf-8", r.Encoding())
			}
			rows := readAll(t, r)
			last := rows[len(rows)-1]
			if last.err != nil || !strings.HasSuffix(last.fields["name"], "张伟") {
				t.Errorf("last row %v, want one ending in 张伟", last)
			}
		})
	}
	t.Run("truncated sequence at end of file is not utf-8", func(t *testing.T) {
		r, err := NewReader(strings.NewReader("name\nab\xE5"), "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Encoding() != GB18030 {
			t.Errorf("Encoding() = %q, want gb18030", r.Encoding())
		}
	})
	t.Run("gbk beyond the window is read as utf-8", func(t *testing.T) {
		// The documented limit of sniffing: name the encoding for such files.
		in := []byte("name\n" + strings.Repeat("ascii\n", sniffSize/6+1))
		in = append(in, gbk(t, "张伟\n")...)
		r, err := NewReader(bytes.NewReader(in), "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Encoding() != UTF8 {
			t.Errorf("Encoding() = %q, want utf-8", r.Encoding())
		}
		rows := readAll(t, r)
		if last := rows[len(rows)-1]; !errors.Is(last.err, ErrInvalidUTF8) {
			t.Errorf("last row %v, want a RowError for invalid UTF-8", last)
		}
	})
}

func TestRowError(t *testing.T) {
	r, err := NewReader(strings.NewReader("a,b\n1\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	re, ok := errors.AsType[*RowError](err)
	if !ok {
		t.Fatalf("Next() error %v, want *RowError", err)
	}
	if want := "line 2: wrong number of fields: 1, header has 2"; re.Error() != want {
		t.Errorf("Error() = %q, want %q", re.Error(), want)
	}
	if !errors.Is(err, csv.ErrFieldCount) {
		t.Error("RowError does not unwrap to csv.ErrFieldCount")
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorStops(t *testing.T) {
	boom := errors.New("disk on fire")
	r, err := NewReader(&failingReader{data: []byte("a,b\n1,2\n"), err: boom}, "utf-8")
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := r.Next(); err != nil || rec.Fields["a"] != "1" {
		t.Fatalf("Next() = %v, %v", rec, err)
	}
	_, err = r.Next()
	if !errors.Is(err, boom) {
		t.Fatalf("Next() error %v, want %v", err, boom)
	}
	if _, ok := errors.AsType[*RowError](err); ok {
		t.Error("a read error must not look like a skippable row")
	}
}

func TestBytesReadProgresses(t *testing.T) {
	in := makeFile(50000, false)
	r, err := NewReader(bytes.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.BytesRead(); n <= 0 || n >= int64(len(in)) {
		t.Errorf("BytesRead() = %d after the header of a %d-byte file", n, len(in))
	}
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n := r.BytesRead(); n != int64(len(in)) {
		t.Errorf("BytesRead() = %d at EOF, want %d", n, len(in))
	}
}

func FuzzNewReader(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"), "")
	f.Add([]byte(bom+"Name,ID\r\n张伟,1\r\n"), "")
	f.Add(gbk(f, "姓名,证件号\n张伟,1\n體罰,2\n"), "")
	f.Add([]byte("a,b\n\"x\ny\",\"1,2\"\n3\nq\"r,s\n"), "utf-8")
	f.Add([]byte("a,b\n\xFF\xFE,\x81\n"), "gb18030")
	f.Add([]byte("a,,A\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		r, err := NewReader(bytes.NewReader(data), encoding)
		if err != nil {
			return
		}
		named := 0
		for _, h := range r.Header() {
			if h != "" {
				named++
			}
		}
		prev := 1
		// Each Next consumes at least one byte, so this bounds a loop that fails to end.
		for range len(data) + 2 {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			line := rec.Line
			if re, ok := errors.AsType[*RowError](err); ok {
				line = re.Line
			} else if err != nil {
				t.Fatalf("Next: %v (only RowErrors and io.EOF can come from a bytes.Reader)", err)
			} else {
				if len(rec.Fields) != named {
					t.Fatalf("record has %d fields, header %d names", len(rec.Fields), named)
				}
				for k, v := range rec.Fields {
					if !utf8.ValidString(v) {
						t.Fatalf("field %q = %q is not valid UTF-8", k, v)
					}
				}
			}
			if line <= prev {
				t.Fatalf("record on line %d after line %d", line, prev)
			}
			prev = line
		}
		t.Fatal("Next did not reach io.EOF")
	})
}

// makeFile returns a register export of n 8-column rows, in UTF-8 or GBK.
func makeFile(n int, inGBK bool) []byte {
	var b bytes.Buffer
	b.WriteString("姓名,性别,证件号,学校,职务,处分类型,处分日期,备注\r\n")
	surnames := []string{"张", "王", "李", "赵", "陈", "刘", "體", "黃"}
	for i := range n {
		fmt.Fprintf(&b, "%s伟%d,男,11010119800101%04d,第%d中学,教师,警告,2023-%02d-%02d,\"说明, 含逗号\"\r\n",
			surnames[i%len(surnames)], i, i%10000, i%100, i%12+1, i%28+1)
	}
	if !inGBK {
		return b.Bytes()
	}
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}

func BenchmarkReader(b *testing.B) {
	const rows = 20000
	for _, enc := range []string{UTF8, GB18030} {
		in := makeFile(rows, enc == GB18030)
		b.Run(enc, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(in), "")
				if err != nil {
					b.Fatal(err)
				}
				if r.Encoding() != enc {
					b.Fatalf("detected %s, want %s", r.Encoding(), enc)
				}
				n := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// A UTF-8 file with one stray Windows-1252 byte is still read as UTF-8:
// its Chinese rows come out right and the stray row is refused, instead of
// the whole file being decoded as GB18030 into wrong characters. A GBK
// file stays GB18030.
func TestStrayByteInUTF8(t *testing.T) {
	file := "certificate_no,name\n20241117900000020,何敏\n20191100999999999,王芳\n20191100999999998,Ren\xe9e\n"
	r, err := NewReader(strings.NewReader(file), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Encoding() != UTF8 {
		t.Fatalf("encoding %s, want UTF-8", r.Encoding())
	}
	var names []string
	var rowErr error
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rowErr = err
			continue
		}
		names = append(names, rec.Fields["name"])
	}
	if strings.Join(names, ",") != "何敏,王芳" || !errors.Is(rowErr, ErrInvalidUTF8) {
		t.Fatalf("names %q, row error %v", names, rowErr)
	}

	g, err := NewReader(bytes.NewReader(gbk(t, "certificate_no,name\n20241117900000020,何敏\n20191100999999999,王芳\n")), "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Encoding() != GB18030 {
		t.Fatalf("GBK file read as %s", g.Encoding())
	}
}

package app

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"ethicsportal/store"
)

// batchRegister is the register the batch tests check against: 王芳 clean,
// 张伟华 with a permanent ban in force (so matched but not eligible), 李娜
// suspended by nothing but lapsed (registered until 2020).
const batchRegister = "certificate_no,holder_name,id_number,kind,subject,issuer,issued_on,registered_until\n" +
	"20191100000000031,王芳,,primary,语文,东城区教委,2019-07-01,2030-06-30\n" +
	"20151100000000123,张伟华,110101198001010010,senior_secondary,物理,海淀区教委,2015-07-01,2030-06-30\n" +
	"20101100000000777,李娜,,junior_secondary,数学,朝阳区教委,2010-07-01,2020-06-30\n"

func newBatchApp(t *testing.T) *App {
	t.Helper()
	a := newBenchApp(t)
	rep, err := a.ImportCredentials(t.Context(), ActorCLI, strings.NewReader(batchRegister), ImportOptions{})
	if err != nil || rep.Inserted != 3 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	c, err := a.store.CredentialByNumber(t.Context(), "20151100000000123")
	if err != nil || c.PersonID == 0 {
		t.Fatalf("the banned holder: %+v, %v", c, err)
	}
	err = a.store.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateBan(t.Context(), &store.Ban{PersonID: c.PersonID, Scope: store.BanScopeEducation,
			StartsOn: store.NewDate(2021, time.March, 1), Reason: "体罚学生", CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sameAnswer checks that a batch's answer for an item is the single
// verification's: everything but the receipt's id and time, and a receipt
// that checks.
func sameAnswer(t *testing.T, a *App, what string, got, want *Verification) {
	t.Helper()
	g, w := *got, *want
	g.Receipt, w.Receipt, g.CheckedAt, w.CheckedAt = "", "", time.Time{}, time.Time{}
	g.ReceiptID, w.ReceiptID = "", "" // each receipt has its own id, as its own bytes
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: batch answered %+v, a single check %+v", what, g, w)
	}
	rc, err := a.CheckReceipt(t.Context(), got.Receipt)
	if err != nil || !rc.Valid || rc.Changed || rc.Claims.Match != want.Match {
		t.Errorf("%s: the batch's receipt checks as %+v, %v", what, rc, err)
	}
}

func TestVerifyBatchAnswersEachItemAsVerify(t *testing.T) {
	a := newBatchApp(t)
	items := []BatchItem{
		{CertificateNo: "20191100000000031", Name: "王芳"},      // active, eligible
		{CertificateNo: "00000000000000000", Name: "王芳"},      // unknown number
		{CertificateNo: "2015-1100-0000-0012-3", Name: "張偉華"}, // banned; spelt with hyphens, Traditional
		{CertificateNo: "20151100000000123x", Name: "张伟华"},    // unknown: one character more
		{CertificateNo: "20101100000000777", Name: "李娜"},      // lapsed
		{CertificateNo: "20191100000000032", Name: "李娜"},      // unknown
		{CertificateNo: "２０１０１１０００００００００７７８", Name: "王芳"},     // unknown, full-width
	}
	got, err := a.VerifyBatch(t.Context(), items)
	if err != nil {
		t.Fatalf("VerifyBatch: %v", err)
	}
	if len(got) != len(items) {
		t.Fatalf("%d results for %d items", len(got), len(items))
	}
	wantMatch := []bool{true, false, true, false, true, false, false}
	receipts := map[string]bool{}
	for i, it := range items {
		want, err := a.Verify(t.Context(), it.CertificateNo, it.Name)
		if err != nil {
			t.Fatalf("Verify(%+v): %v", it, err)
		}
		sameAnswer(t, a, fmt.Sprintf("item %d", i), got[i], want)
		if got[i].Match != wantMatch[i] {
			t.Errorf("item %d: match %v, want %v", i, got[i].Match, wantMatch[i])
		}
		if receipts[got[i].Receipt] {
			t.Errorf("item %d: a receipt given twice", i)
		}
		receipts[got[i].Receipt] = true
		if !got[i].CheckedAt.Equal(got[0].CheckedAt) {
			t.Errorf("item %d checked at %v, item 0 at %v", i, got[i].CheckedAt, got[0].CheckedAt)
		}
	}
	if !got[0].Eligible || got[2].Eligible || len(got[2].Bans) != 1 || got[4].Status != store.StatusLapsed {
		t.Errorf("eligible %v, banned %v with %d bans, lapsed %q", got[0].Eligible, got[2].Eligible, len(got[2].Bans), got[4].Status)
	}
	// A registered number with the wrong name: the same miss as an unknown one.
	miss, err := a.VerifyBatch(t.Context(), []BatchItem{{CertificateNo: "20191100000000031", Name: "李娜"}, {CertificateNo: "20191100000000099", Name: "李娜"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range miss {
		if v.Match || v.Credential != nil || v.Status != "" || v.Eligible || v.Bans != nil || v.Receipt == "" {
			t.Errorf("miss %d: %+v, want only a receipt and the time", i, v)
		}
	}
}

func TestVerifyBatchRefusesWhole(t *testing.T) {
	a := newBatchApp(t)
	ok := BatchItem{CertificateNo: "20191100000000031", Name: "王芳"}
	many := make([]BatchItem, MaxBatchItems+1)
	for i := range many {
		many[i] = BatchItem{CertificateNo: fmt.Sprintf("A%09d", i), Name: "王芳"}
	}
	for _, tc := range []struct {
		name        string
		items       []BatchItem
		code, field string
		detail      string
	}{
		{"none", nil, store.EMissing, "items", "at least one"},
		{"501", many, store.ETooManyItems, "items", "at most 500"},
		{"bad number", []BatchItem{ok, {CertificateNo: "12", Name: "王芳"}}, store.EInvalid, "items[1].certificate_no", "item 1:"},
		{"no number", []BatchItem{ok, {Name: "王芳"}}, store.EMissing, "items[1].certificate_no", "item 1:"},
		{"no name", []BatchItem{ok, {CertificateNo: "20191100000000032"}}, store.EMissing, "items[1].name", "item 1:"},
		{"control character", []BatchItem{{CertificateNo: "20191100000000032", Name: "王\x07芳"}}, store.EInvalid, "items[0].name", "item 0:"},
		{"bad row", []BatchItem{{CertificateNo: "x!", Name: "王芳", Row: 7}}, store.EInvalid, "rows[7].certificate_no", "row 7:"},
		{"duplicate", []BatchItem{ok, {CertificateNo: "2019 1100 0000 0003 1", Name: "李娜"}}, store.EDuplicateItem, "items[1].certificate_no", "item 1 repeats the certificate number of item 0"},
		{"duplicate row", []BatchItem{{CertificateNo: "A1234", Name: "王芳", Row: 2}, {CertificateNo: "a-1234", Name: "王芳", Row: 5}},
			store.EDuplicateItem, "rows[5].certificate_no", "row 5 repeats the certificate number of row 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := a.VerifyBatch(t.Context(), tc.items)
			e, isStoreErr := err.(*store.Error)
			if vs != nil || !isStoreErr || e.Code != tc.code || e.Field != tc.field || !strings.Contains(e.Message, tc.detail) {
				t.Fatalf("VerifyBatch = %v, %#v; want %s on %s saying %q", vs, err, tc.code, tc.field, tc.detail)
			}
		})
	}
	if _, err := a.VerifyBatch(t.Context(), many[:MaxBatchItems]); err != nil {
		t.Errorf("500 items: %v", err)
	}
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadBatchCSV(t *testing.T) {
	const body = "certificate_no,name\r\n20191100000000031,王芳\r\n\"2015 1100 0000 0012 3\", 張偉華 \r\n"
	want := []BatchItem{{"20191100000000031", "王芳", 2}, {"2015 1100 0000 0012 3", "張偉華", 3}}
	var big strings.Builder
	big.WriteString("certificate_no,name\n")
	for i := range MaxBatchItems + 1 {
		fmt.Fprintf(&big, "A%09d,王芳\n", i)
	}
	for _, tc := range []struct {
		name, encoding string
		file           []byte
		want           []BatchItem
		code, field    string
	}{
		{"utf-8", "", []byte(body), want, "", ""},
		{"bom", "", []byte("\ufeff" + body), want, "", ""},
		{"gbk", "", gbk(t, body), want, "", ""},
		{"gbk named", "gbk", gbk(t, body), want, "", ""},
		{"header case and spaces", "", []byte(" Certificate_No , NAME\n20191100000000031,王芳\n"), want[:1], "", ""},
		{"blank lines skipped", "", []byte("certificate_no,name\n\n20191100000000031,王芳\n\n\n"), []BatchItem{{"20191100000000031", "王芳", 3}}, "", ""},
		{"lf, no final newline", "", []byte("certificate_no,name\n20191100000000031,王芳"), want[:1], "", ""},
		{"header only", "", []byte("certificate_no,name\n"), nil, "", ""},
		{"empty file", "", nil, nil, store.EInvalidHeader, ""},
		{"wrong column", "", []byte("certificate_no,holder_name\n1,2\n"), nil, store.EInvalidHeader, ""},
		{"missing column", "", []byte("certificate_no\n1\n"), nil, store.EInvalidHeader, ""},
		{"extra column", "", []byte("certificate_no,name,school\n1,2,3\n"), nil, store.EInvalidHeader, ""},
		{"blank extra column", "", []byte("certificate_no,name,\n1,2,\n"), nil, store.EInvalidHeader, ""},
		{"columns swapped", "", []byte("name,certificate_no\n王芳,20191100000000031\n"), nil, store.EInvalidHeader, ""},
		{"utf-16", "", []byte("\xff\xfec\x00e\x00"), nil, store.EInvalidHeader, ""},
		{"empty row", "", []byte("certificate_no,name\n20191100000000031,王芳\n,\n20191100000000032,李娜\n"), nil, store.EEmptyRow, "rows[3]"},
		{"blank cells row", "", []byte("certificate_no,name\n  ,  \n"), nil, store.EEmptyRow, "rows[2]"},
		{"ragged row", "", []byte("certificate_no,name\n20191100000000031,王芳\n20191100000000032,李娜,x\n"), nil, store.EMalformedRow, "rows[3]"},
		{"short row", "", []byte("certificate_no,name\n20191100000000031\n"), nil, store.EMalformedRow, "rows[2]"},
		{"bad quote", "", []byte("certificate_no,name\n20191100000000031,王芳\n2019\"11,李娜\n"), nil, store.EMalformedRow, "rows[3]"},
		{"bad bytes", "", []byte("certificate_no,name\n20191100000000031,王芳\n1,\xff\xfe\n"), nil, store.EMalformedRow, "rows[3]"},
		{"gbk named utf-8", "utf-8", gbk(t, body), nil, store.EMalformedRow, "rows[2]"},
		{"501 rows", "", []byte(big.String()), nil, store.ETooManyItems, "items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadBatchCSV(bytes.NewReader(tc.file), tc.encoding)
			if tc.code == "" {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("ReadBatchCSV = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			e, ok := err.(*store.Error)
			if got != nil || !ok || e.Code != tc.code || e.Field != tc.field || e.Message == "" {
				t.Fatalf("ReadBatchCSV = %+v, %#v; want %s on %q", got, err, tc.code, tc.field)
			}
		})
	}
}

// A file with old Mac line ends (CR alone) is one long header row: the
// problem says what is wrong without repeating the file.
func TestBatchCSVWithCROnlyLineEnds(t *testing.T) {
	var b strings.Builder
	b.WriteString("certificate_no,name\r")
	for b.Len() < 1<<20 {
		b.WriteString("20191100000000031,王芳\r")
	}
	_, err := ReadBatchCSV(strings.NewReader(b.String()), "")
	if store.ErrorCode(err) != store.EInvalidHeader {
		t.Fatalf("error %v, want %s", err, store.EInvalidHeader)
	}
	if msg := store.ErrorMessage(err); len(msg) > 400 {
		t.Fatalf("the problem repeats the file: %d bytes", len(msg))
	}
}

package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	_ "modernc.org/sqlite"
)

const csvHeader = "certificate_no,holder_name,id_number,kind,subject,issuer,issued_on,registered_until\n"

func TestCreateAndGetCredential(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	body := map[string]string{
		"certificate_no": "2019-1100-1410-00123", "holder_name": "張偉華", "id_number": "11010519491231002X",
		"kind": "primary", "subject": "语文", "issuer": "北京市东城区教育委员会", "issued_on": "2019-07-01", "registered_until": "2029-06-30",
	}
	r := e.do("POST", "/api/v1/admin/credentials", body, bearer(reg)...)
	if r.status != 201 || r.str("certificate_no") != "20191100141000123" || r.str("status") != "active" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if loc := r.header.Get("Location"); loc != "/api/v1/admin/credentials/20191100141000123" {
		t.Fatalf("Location %q", loc)
	}
	if strings.Contains(string(r.body), "11010519491231002X") {
		t.Fatal("the ID number came back in the response")
	}
	wantProblem(t, e.do("POST", "/api/v1/admin/credentials", body, bearer(reg)...), 409, "conflict")

	g := e.do("GET", "/api/v1/admin/credentials/2019%201100-1410%2000123", nil, bearer(reg)...)
	if g.status != 200 || g.str("holder_name") != "張偉華" || g.json["person_linked"] != true {
		t.Fatalf("get: %d %s", g.status, g.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/admin/credentials/20191100000000000", nil, bearer(reg)...), 404, "not_found")

	// The register keeps only a keyed hash of the ID number.
	assertNotInDatabase(t, e, "11010519491231002X")
}

// assertNotInDatabase scans every text and blob column of every table.
func assertNotInDatabase(t *testing.T, e *env, needle string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.app.Config().DataDir, "portal.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	if len(names) < 3 {
		t.Fatalf("found only tables %v", names)
	}
	for _, n := range names {
		rows, err := db.Query(fmt.Sprintf(`SELECT * FROM %q`, n))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			for _, v := range vals {
				if s := fmt.Sprint(v); strings.Contains(s, needle) || bytes.Contains([]byte(fmt.Sprintf("%s", v)), []byte(needle)) {
					t.Fatalf("table %s holds %s in clear", n, needle)
				}
			}
		}
		rows.Close()
	}
}

func TestCreateCredentialBadInput(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	good := map[string]any{
		"certificate_no": "20191100141000123", "holder_name": "张伟华", "kind": "primary", "subject": "语文",
		"issuer": "x", "issued_on": "2019-07-01", "registered_until": "2029-06-30",
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		body  any
		code  string
		field string
	}{
		{"unknown field", with("status", "revoked"), "unknown_field", "status"},
		{"no name", with("holder_name", nil), "missing_field", "holder_name"},
		{"bad kind", with("kind", "university"), "invalid_field", "kind"},
		{"bad date", with("issued_on", "2019-02-30"), "invalid_field", "issued_on"},
		{"slash date", with("registered_until", "2029/06/30"), "invalid_field", "registered_until"},
		{"until before issue", with("registered_until", "2018-01-01"), "invalid_field", "registered_until"},
		{"bad id number", with("id_number", "110105194912310021"), "invalid_field", "id_number"},
		{"short id number", with("id_number", "1101051949"), "invalid_field", "id_number"},
		{"number type", with("subject", 5), "invalid_field", "subject"},
		{"bad certificate", with("certificate_no", "证书123"), "invalid_field", "certificate_no"},
	} {
		r := e.do("POST", "/api/v1/admin/credentials", tc.body, bearer(reg)...)
		wantProblem(t, r, 400, tc.code)
		if r.str("field") != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, r.str("field"), tc.field)
		}
	}
	// Nothing was stored by any of them.
	wantProblem(t, e.do("GET", "/api/v1/admin/credentials/20191100141000123", nil, bearer(reg)...), 404, "not_found")
	// Bodies over the JSON limit are 413, before any work.
	big := `{"holder_name":"` + strings.Repeat("x", 1<<20) + `"}`
	wantProblem(t, e.doNet(e.listen(), "POST", "/api/v1/admin/credentials", big, bearer(reg)...), 413, "body_too_large")
}

func importCSV(e *env, token string, body []byte, contentType string) *response {
	e.t.Helper()
	return e.do("POST", "/api/v1/admin/credentials/import", body, append(bearer(token), "Content-Type", contentType)...)
}

func TestImportCSV(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	file := "\ufeff" + strings.ReplaceAll(csvHeader+
		"20191100000000001,王芳,,primary,语文,东城区教委,2019-07-01,2029-06-30\n"+
		"2019-1100-0000-00002,張偉,11010519491231002X,junior_secondary,数学,西城区教委,2018-07-01,2028-06-30\n"+
		"BAD*NUMBER,李四,,primary,语文,东城区教委,2019-07-01,2029-06-30\n"+
		"20191100000000004,,,primary,语文,东城区教委,2019-07-01,2029-06-30\n"+
		"20191100000000005,赵六,,primary,语文,东城区教委,2019-13-01,2029-06-30\n"+
		"20191100000000001,王芳,,primary,语文,东城区教委,2019-07-01,2029-06-30\n"+
		"20191100000000007,孙七,,primary\n"+
		"20191100000000008,周八,,primary,\"语文,书法\",东城区教委,2019-07-01,2029-06-30\n", "\n", "\r\n")
	r := importCSV(e, reg, []byte(file), "text/csv")
	if r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if r.json["inserted"] != 3.0 || r.json["updated"] != 0.0 || r.json["rejected_count"] != 5.0 || r.str("encoding") != "utf-8" {
		t.Fatalf("report: %s", r.body)
	}
	want := map[float64]string{4: "invalid_field", 5: "missing_field", 6: "invalid_field", 7: "duplicate_row", 8: "malformed_row"}
	for _, rj := range r.json["rejected"].([]any) {
		m := rj.(map[string]any)
		if want[m["row"].(float64)] != m["code"] {
			t.Errorf("reject %v, want code %q on that row", m, want[m["row"].(float64)])
		}
		delete(want, m["row"].(float64))
	}
	if len(want) > 0 {
		t.Errorf("rows not rejected: %v", want)
	}
	v := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100000000002", "name": "张伟"})
	if v.json["match"] != true {
		t.Fatalf("imported row does not verify: %s", v.body)
	}
	assertNotInDatabase(t, e, "11010519491231002X")

	// A rerun changes nothing.
	r = importCSV(e, reg, []byte(file), "text/csv; charset=utf-8")
	if r.json["inserted"] != 0.0 || r.json["updated"] != 0.0 || r.json["unchanged"] != 3.0 {
		t.Fatalf("rerun: %s", r.body)
	}
}

func TestImportGBK(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	utf := csvHeader + "20191100000000011,张伟华,,primary,语文,北京市东城区教育委员会,2019-07-01,2029-06-30\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(utf))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"text/csv", "text/csv; charset=GBK"} {
		r := importCSV(e, reg, gbk, ct)
		if r.status != 200 || r.str("encoding") != "gb18030" || r.json["rejected_count"] != 0.0 {
			t.Fatalf("%s: %d %s", ct, r.status, r.body)
		}
	}
	g := e.do("GET", "/api/v1/admin/credentials/20191100000000011", nil, bearer(reg)...)
	if g.str("holder_name") != "张伟华" || g.str("issuer") != "北京市东城区教育委员会" {
		t.Fatalf("GBK import stored %s", g.body)
	}
}

func TestImportBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	wantProblem(t, importCSV(e, reg, []byte(csvHeader), "application/json"), 415, "unsupported_media_type")
	wantProblem(t, importCSV(e, reg, []byte(csvHeader), "text/csv; charset=latin1"), 415, "unsupported_media_type")
	wantProblem(t, importCSV(e, reg, []byte("certificate_no,name\n1,2\n"), "text/csv"), 400, "invalid_field")
	wantProblem(t, importCSV(e, reg, nil, "text/csv"), 400, "invalid_field")
	// Over the server's limit the body is refused from its Content-Length,
	// before it is read: this needs a real connection.
	base := e.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/admin/credentials/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"+
		"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", reg, 8<<20+1)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := &response{status: res.StatusCode, header: res.Header, body: raw}
	json.Unmarshal(raw, &r.json)
	wantProblem(t, r, 413, "body_too_large")
	if r.header.Get("X-Request-ID") == "" || r.header.Get("Content-Security-Policy") == "" {
		t.Fatal("a 413 from the server's own limit lacks X-Request-ID or the security headers")
	}
}

func TestImportKeepsStatus(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	// Revocation arrives with actions; here the store stands in for one.
	db, err := sql.Open("sqlite", filepath.Join(e.app.Config().DataDir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `UPDATE credentials SET status = 'revoked' WHERE certificate_no = '20191100141000123'`); err != nil {
		t.Fatal(err)
	}
	csv := csvHeader + "20191100141000123,张伟华,,senior_secondary,物理,北京市海淀区教育委员会,2019-07-01,2029-06-30\n"
	if r := importCSV(e, reg, []byte(csv), "text/csv"); r.json["updated"] != 1.0 {
		t.Fatalf("import: %s", r.body)
	}
	g := e.do("GET", "/api/v1/admin/credentials/20191100141000123", nil, bearer(reg)...)
	if g.str("status") != "revoked" || g.str("subject") != "物理" {
		t.Fatalf("after import: %s", g.body)
	}
	// A file without the optional columns leaves those fields alone.
	short := "certificate_no,holder_name,kind,issued_on,registered_until\n20191100141000123,张伟华,senior_secondary,2019-07-01,2030-06-30\n"
	if r := importCSV(e, reg, []byte(short), "text/csv"); r.json["updated"] != 1.0 {
		t.Fatalf("import: %s", r.body)
	}
	g = e.do("GET", "/api/v1/admin/credentials/20191100141000123", nil, bearer(reg)...)
	if g.str("subject") != "物理" || g.str("issuer") != "北京市海淀区教育委员会" || g.str("registered_until") != "2030-06-30" {
		t.Fatalf("after an import without subject and issuer: %s", g.body)
	}
}

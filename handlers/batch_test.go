package handlers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const batchPath = "/api/v1/verifications/batch"

// batchEnv is a portal with a small register: 张伟华 (certNo) under a
// permanent ban, 王芳 clean, 李四; and the key of a school client with the
// scope verify_batch.
func batchEnv(t *testing.T, vars map[string]string) (*env, string) {
	t.Helper()
	e := newEnv(t, vars)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20191100000000031", "holder_name": "王芳", "kind": "primary"})
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20201100000000042", "holder_name": "李四"})
	id := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": certNo, "name": holder,
		"scope": "education", "starts_on": "2026-01-01", "reason": "体罚学生"})
	if r := e.approve(tm.reviewer, id); r.status != 200 {
		t.Fatalf("approve the ban: %d %s", r.status, r.body)
	}
	return e, e.newClient(tm.admin, "第一中学", "verify_batch").str("api_key")
}

// batch posts body as ctype to the batch route with the API key (none if
// empty); headers follow.
func (e *env) batch(key, ctype string, body []byte, headers ...string) *response {
	e.t.Helper()
	req := httptest.NewRequest("POST", batchPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Fiber().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{status: res.StatusCode, header: res.Header, body: raw}
	if strings.Contains(res.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &out.json)
	}
	return out
}

func batchJSON(items ...[2]string) []byte {
	var req struct {
		Items []map[string]string `json:"items"`
	}
	for _, it := range items {
		req.Items = append(req.Items, map[string]string{"certificate_no": it[0], "name": it[1]})
	}
	b, _ := json.Marshal(req)
	return b
}

func gbkBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The items of the order tests: a banned match, misses of both kinds, a
// clean match spelt differently, in this order.
var batchItems = [][2]string{
	{certNo, holder},
	{"20191100999999999", holder},   // unknown number
	{"20201100000000042", "李娜"},     // a registered number, another name
	{"2019-1100-1410-0012-4", "王芳"}, // unknown, with hyphens
	{"２０１９１１０００００００００３１", "王芳"},     // 王芳's, full-width
}

var batchWantMatch = []bool{true, false, false, false, true}

// TestVerifyBatchJSONAndCSVIn checks that every form of the request gets
// the results in input order, each exactly what a single verification
// answers but for its receipt.
func TestVerifyBatchJSONAndCSVIn(t *testing.T) {
	e, key := batchEnv(t, nil)
	var csvBody strings.Builder
	csvBody.WriteString("certificate_no,name\r\n")
	for _, it := range batchItems {
		fmt.Fprintf(&csvBody, "%s,%s\r\n", it[0], it[1])
	}
	for _, tc := range []struct {
		name, ctype string
		body        []byte
	}{
		{"json", "application/json", batchJSON(batchItems...)},
		{"json charset", "application/json; charset=utf-8", batchJSON(batchItems...)},
		{"csv utf-8", "text/csv", []byte(csvBody.String())},
		{"csv bom", "text/csv", []byte("\ufeff" + csvBody.String())},
		{"csv gbk detected", "text/csv", gbkBytes(t, csvBody.String())},
		{"csv gbk named", "text/csv; charset=GBK", gbkBytes(t, csvBody.String())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.batch(key, tc.ctype, tc.body)
			if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %s %s", r.status, r.header.Get("Cache-Control"), r.body)
			}
			if got := keys(r.json); got != "results" {
				t.Fatalf("keys %s", got)
			}
			results := r.json["results"].([]any)
			if len(results) != len(batchItems) {
				t.Fatalf("%d results for %d items", len(results), len(batchItems))
			}
			receipts := map[string]bool{}
			for i, it := range batchItems {
				got := results[i].(map[string]any)
				single := e.verifyCert(it[0], it[1]).json
				if got["match"] != batchWantMatch[i] || got["receipt"] == "" || receipts[got["receipt"].(string)] {
					t.Errorf("item %d: %v", i, got)
				}
				receipts[got["receipt"].(string)] = true
				if c := e.checkReceipt(got["receipt"].(string)); c.json["valid"] != true || c.json["changed"] != false {
					t.Errorf("item %d: the receipt checks as %s", i, c.body)
				}
				delete(got, "receipt")
				delete(single, "receipt")
				if !reflect.DeepEqual(got, single) {
					t.Errorf("item %d:\nbatch  %v\nsingle %v", i, got, single)
				}
			}
			banned := results[0].(map[string]any)
			if banned["eligible"] != false || len(banned["bans"].([]any)) != 1 {
				t.Errorf("the banned holder: %v", banned)
			}
			if got := keys(results[2].(map[string]any)); got != "checked_at,match" { // the receipt compared above
				t.Errorf("a miss has keys %s", got)
			}
		})
	}
}

// TestVerifyBatchCSVOut checks the CSV answer: a BOM, the header, one row
// per item in order, parsed back; cells that a spreadsheet would run as
// formulas quoted; an attachment.
func TestVerifyBatchCSVOut(t *testing.T) {
	e, key := batchEnv(t, nil)
	items := append([][2]string{}, batchItems...)
	items = append(items, [2]string{"-20191100000000777", "=HYPERLINK(\"http://x\",\"y\")"},
		[2]string{"20191100000000078", "+王芳"}, [2]string{"20191100000000079", "@王芳"}, [2]string{"20191100000000080", "-王芳"})
	for _, accept := range []string{"text/csv", "text/csv, application/json;q=0.5", "text/*"} {
		r := e.batch(key, "application/json", batchJSON(items...), "Accept", accept)
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("Accept %s: %d %s %s", accept, r.status, r.header.Get("Content-Type"), r.body)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="verifications-`) || !strings.HasSuffix(cd, `.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		body, ok := bytes.CutPrefix(r.body, []byte("\xEF\xBB\xBF"))
		if !ok {
			t.Fatalf("no BOM: %.40q", r.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("the answer is not CSV: %v", err)
		}
		if got := strings.Join(rows[0], ","); got != "certificate_no,name,match,status,eligible,holder_name,kind,registered_until,bans,checked_at,receipt" {
			t.Fatalf("header %s", got)
		}
		if len(rows) != len(items)+1 {
			t.Fatalf("%d rows for %d items", len(rows)-1, len(items))
		}
		for i, it := range items {
			row := rows[i+1]
			if i < len(batchItems) && (row[0] != it[0] || row[1] != it[1]) {
				t.Errorf("row %d echoes %q %q, want %q %q", i, row[0], row[1], it[0], it[1])
			}
			single := e.verifyCert(it[0], it[1]).json
			if row[2] != fmt.Sprint(single["match"]) || row[9] != single["checked_at"] {
				t.Errorf("row %d: %q; single %v", i, row, single)
			}
			if c := e.checkReceipt(row[10]); c.json["valid"] != true {
				t.Errorf("row %d: the receipt checks as %s", i, c.body)
			}
			if single["match"] == false && strings.Join(row[3:9], "") != "" {
				t.Errorf("a miss fills %q", row)
			}
		}
		if want := []string{"true", "active", "false", holder, "senior_secondary", "2029-06-30", "education 2026-01-01/.."}; !reflect.DeepEqual(rows[1][2:9], want) {
			t.Errorf("the banned match: %q, want %q", rows[1][2:9], want)
		}
		if want := []string{"true", "active", "true", "王芳", "primary"}; !reflect.DeepEqual(rows[5][2:7], want) {
			t.Errorf("the clean match: %q, want %q", rows[5][2:7], want)
		}
		f := rows[len(batchItems)+1:]
		if f[0][0] != "'-20191100000000777" || f[0][1] != `'=HYPERLINK("http://x","y")` ||
			f[1][1] != "'+王芳" || f[2][1] != "'@王芳" || f[3][1] != "'-王芳" || f[3][0] != "20191100000000080" {
			t.Errorf("formula cells: %q", f)
		}
	}
	// Without a preference for CSV, JSON.
	for _, accept := range []string{"", "*/*", "application/json", "application/json, text/csv;q=0.5"} {
		if r := e.batch(key, "application/json", batchJSON(batchItems...), "Accept", accept); r.status != 200 || r.json["results"] == nil {
			t.Errorf("Accept %q: %d %.100s", accept, r.status, r.body)
		}
	}
}

// TestVerifyBatchRefused checks that bad input refuses the whole batch with
// a problem naming the item or row.
func TestVerifyBatchRefused(t *testing.T) {
	e, key := batchEnv(t, nil)
	var many, manyCSV strings.Builder
	many.WriteString(`{"items":[`)
	manyCSV.WriteString("certificate_no,name\n")
	for i := range 501 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `{"certificate_no":"A%09d","name":"王芳"}`, i)
		fmt.Fprintf(&manyCSV, "A%09d,王芳\n", i)
	}
	many.WriteString("]}")
	const header = "certificate_no,name\n"
	for _, tc := range []struct {
		name, ctype, body   string
		status              int
		code, field, detail string
	}{
		{"501 items", "application/json", many.String(), 422, "too_many_items", "items", "at most 500"},
		{"501 rows", "text/csv", manyCSV.String(), 422, "too_many_items", "items", "at most 500"},
		{"no items", "application/json", `{"items":[]}`, 400, "missing_field", "items", ""},
		{"no items member", "application/json", `{}`, 400, "missing_field", "items", ""},
		{"header only", "text/csv", header, 400, "missing_field", "items", ""},
		{"empty body", "text/csv", "", 400, "invalid_header", "", ""},
		{"unknown member", "application/json", `{"items":[{"certificate_no":"20191100000000031","nam":"王芳"}]}`, 400, "unknown_field", "nam", ""},
		{"not json", "application/json", `{"items":[`, 400, "invalid_json", "", ""},
		{"bad item", "application/json", string(batchJSON([2]string{certNo, holder}, [2]string{"12", "王芳"})), 400, "invalid_field", "items[1].certificate_no", "item 1:"},
		{"item without name", "application/json", `{"items":[{"certificate_no":"20191100000000031"}]}`, 400, "missing_field", "items[0].name", "item 0:"},
		{"duplicate items", "application/json", string(batchJSON([2]string{certNo, holder}, [2]string{"20191100000000031", "王芳"}, [2]string{"2019 1100 1410 0012 3", "李娜"})),
			422, "duplicate_item", "items[2].certificate_no", "item 2 repeats the certificate number of item 0"},
		{"duplicate rows", "text/csv", header + certNo + ",张伟华\n" + certNo + ",张伟华\n", 422, "duplicate_item", "rows[3].certificate_no", "row 3 repeats the certificate number of row 2"},
		{"bad row", "text/csv", header + certNo + ",张伟华\n\n12,王芳\n", 400, "invalid_field", "rows[4].certificate_no", "row 4:"},
		{"empty row", "text/csv", header + certNo + ",张伟华\n,\n20191100000000031,王芳\n", 400, "empty_row", "rows[3]", "row 3 is empty"},
		{"ragged row", "text/csv", header + certNo + ",张伟华,x\n", 400, "malformed_row", "rows[2]", "row 2:"},
		{"bad quotes", "text/csv", header + certNo + ",张伟华\n\"2019\"11,王芳\n", 400, "malformed_row", "rows[3]", "row 3:"},
		{"wrong column", "text/csv", "certificate_no,holder_name\n" + certNo + ",张伟华\n", 400, "invalid_header", "", "certificate_no,name"},
		{"missing column", "text/csv", "certificate_no\n" + certNo + "\n", 400, "invalid_header", "", ""},
		{"extra column", "text/csv", "certificate_no,name,school\n" + certNo + ",张伟华,x\n", 400, "invalid_header", "", ""},
		{"no header", "text/csv", certNo + ",张伟华\n", 400, "invalid_header", "", ""},
		{"other type", "text/plain", header, 415, "unsupported_media_type", "", ""},
		{"other charset", "text/csv; charset=latin1", header, 415, "unsupported_media_type", "", ""},
		{"no type", "", header, 415, "unsupported_media_type", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.batch(key, tc.ctype, []byte(tc.body))
			wantProblem(t, r, tc.status, tc.code)
			if r.str("field") != tc.field || !strings.Contains(r.str("detail"), tc.detail) {
				t.Errorf("field %q detail %q; want %q and %q", r.str("field"), r.str("detail"), tc.field, tc.detail)
			}
		})
	}
}

// A batch's body is held to the JSON limit, CSV too: 500 rows are far
// below it.
func TestVerifyBatchBodyLimit(t *testing.T) {
	e, key := batchEnv(t, nil)
	base := e.listen()
	wantProblem(t, headersOnly(t, base, "POST", batchPath, 1<<20+1, "X-API-Key", key), 413, "body_too_large")
}

// TestVerifyBatchKeys: only a key with the scope verify_batch may send a
// batch; each answered item is on the client's record with its receipt's
// id, and a refused batch records nothing.
func TestVerifyBatchKeys(t *testing.T) {
	e, key := batchEnv(t, nil)
	root := e.login("root")
	other := e.newClient(root, "第二中学", "eligibility", "watch").str("api_key")
	body := batchJSON(batchItems...)
	wantProblem(t, e.batch("", "application/json", body), 401, "unauthorized")
	wantProblem(t, e.batch("epk_cl_aaaaaaaaaaaaaaaa_"+strings.Repeat("a", 32), "application/json", body), 401, "unauthorized")
	wantProblem(t, e.batch("garbage", "application/json", body), 401, "unauthorized")
	wantProblem(t, e.batch(other, "application/json", body), 403, "forbidden")
	if n := len(e.checksOf(other)); n != 0 {
		t.Fatalf("a refused key has %d checks on record", n)
	}

	// Refused batches record nothing.
	for _, bad := range []string{`{"items":[]}`, string(batchJSON([2]string{certNo, holder}, [2]string{"12", "王芳"})),
		string(batchJSON([2]string{certNo, holder}, [2]string{certNo, holder}))} {
		if r := e.batch(key, "application/json", []byte(bad)); r.status < 400 {
			t.Fatalf("%s: %d", bad, r.status)
		}
	}
	if r := e.batch(key, "text/csv", []byte("certificate_no,name\n"+certNo+",张伟华\n,\n")); r.status != 400 {
		t.Fatalf("an empty row: %d %s", r.status, r.body)
	}
	if n := len(e.checksOf(key)); n != 0 {
		t.Fatalf("refused batches left %d checks on record", n)
	}

	r := e.batch(key, "application/json", body)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	results := r.json["results"].([]any)
	checks := e.checksOf(key) // newest first; one batch's rows share a time
	if len(checks) != len(batchItems) {
		t.Fatalf("%d checks on record for %d items: %v", len(checks), len(batchItems), checks)
	}
	want := map[string]map[string]any{}
	for i, res := range results {
		res := res.(map[string]any)
		no := strings.ReplaceAll(strings.Map(func(r rune) rune {
			if r >= '０' && r <= '９' {
				return r - '０' + '0'
			}
			return r
		}, batchItems[i][0]), "-", "")
		claims := receiptClaims(t, res["receipt"].(string))
		want[claims["jti"].(string)] = map[string]any{"kind": "verify", "certificate_no": no, "match": res["match"]}
	}
	for _, c := range checks {
		w, ok := want[c["receipt_id"].(string)]
		if !ok || c["kind"] != w["kind"] || c["certificate_no"] != w["certificate_no"] || c["match"] != w["match"] {
			t.Errorf("on record %v, want one of %v", c, want)
		}
		delete(want, c["receipt_id"].(string))
	}
	if len(e.checksOf(other)) != 0 {
		t.Error("another client's record shows the batch")
	}
}

// TestVerifyBatchRateLimit: a batch of n spends n checks of the key's
// allowance, all or none; a batch over what is left is refused whole and
// recorded nowhere.
func TestVerifyBatchRateLimit(t *testing.T) {
	e, key := batchEnv(t, map[string]string{"PORTAL_RATE_CLIENT": "6/h"})
	five := batchJSON(batchItems...)
	r := e.batch(key, "application/json", five)
	if r.status != 200 || r.header.Get("RateLimit-Limit") != "6" || r.header.Get("RateLimit-Remaining") != "1" {
		t.Fatalf("a batch of 5 under 6/h: %d, limit %q remaining %q %s", r.status, r.header.Get("RateLimit-Limit"), r.header.Get("RateLimit-Remaining"), r.body)
	}
	// One check is left: the middleware spends it, the rest of a batch of 2 is not there.
	two := batchJSON(batchItems[:2]...)
	wantProblem(t, e.batch(key, "application/json", two), 429, "rate_limited")
	// Read as the admin: the client's own reads count against its allowance too.
	id := key[len("epk_") : len("epk_")+len("cl_")+16]
	u := e.do("GET", "/api/v1/admin/clients/"+id+"/usage", nil, bearer(e.login("root"))...)
	if u.status != 200 || u.json["total"] != 5.0 {
		t.Errorf("usage: %d %s; want the first batch's 5 checks", u.status, u.body)
	}
}

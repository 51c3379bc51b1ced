package handlers_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// headersOnly sends a request's headers announcing a body of n bytes, sends
// none of the body, and reads the answer: a server that answers has decided
// without reading the body.
func headersOnly(t *testing.T, base, method, path string, n int, headers ...string) *response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // a server waiting for the body fails the test here
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, n)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(conn, "%s: %s\r\n", headers[i], headers[i+1])
	}
	fmt.Fprint(conn, "\r\n")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: no answer before the body was sent: %v", method, path, err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := &response{status: res.StatusCode, header: res.Header, body: raw}
	json.Unmarshal(raw, &r.json)
	return r
}

// Only the CSV import may take more than the JSON limit: every other route,
// known or not, with a token or without, refuses a larger body from its
// Content-Length, before reading it.
func TestBodyLimitPerRoute(t *testing.T) {
	e := newEnv(t, nil)
	reg := e.addUser("reg", "registrar")
	base := e.listen()
	const twoMiB = 2 << 20
	for _, c := range []struct {
		method, path string
		headers      []string
	}{
		{"POST", "/api/v1/verifications", nil},
		{"POST", "/api/v1/no-such-route", nil},
		{"PUT", "/nowhere", nil},
		{"POST", "/api/v1/admin/credentials", nil},
		{"POST", "/api/v1/admin/credentials", bearer(reg)},
		{"POST", "/api/v1/admin/actions", bearer(reg)},
		{"POST", "/api/v1/admin/credentials/import", nil}, // no token: the small limit
		// A made-up or tampered token buys nothing either: the large limit needs a signature.
		{"POST", "/api/v1/admin/credentials/import", bearer("x")},
		{"POST", "/api/v1/admin/credentials/import", bearer(reg[:len(reg)-4] + "AAAA")},
		{"POST", "/admin/credentials/import", []string{"Cookie", "portal_session=x"}},
		{"POST", "/api/v1/admin/credentials/import/x", bearer(reg)},
		{"PUT", "/api/v1/admin/credentials/import", bearer(reg)},
	} {
		r := headersOnly(t, base, c.method, c.path, twoMiB, c.headers...)
		wantProblem(t, r, 413, "body_too_large")
	}
	// The import route takes a body up to the CSV limit...
	var b strings.Builder
	b.WriteString(csvHeader + "20191100000000031,王芳,,primary,语文,东城区教委,2019-07-01,2029-06-30\n")
	pad := strings.Repeat("x", 1000) + "\n" // a malformed row, rejected and reported
	for b.Len()+len(pad) <= 8<<20 {
		b.WriteString(pad)
	}
	csv := b.String()
	if len(csv) <= twoMiB*3 {
		t.Fatal("the test body is not large")
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/admin/credentials/import?x=1", strings.NewReader(csv))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+reg)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var rep map[string]any
	json.Unmarshal(raw, &rep)
	if res.StatusCode != 200 || rep["inserted"] != 1.0 {
		t.Fatalf("an import of %d bytes: %d %.300s", len(csv), res.StatusCode, raw)
	}
	// ...and a JSON route still takes a body up to the JSON limit.
	big := `{"certificate_no":"20191100000000031","name":"王芳","pad":"` + strings.Repeat("x", 900<<10) + `"}`
	if r := e.do("POST", "/api/v1/verifications", big); r.status != 200 || r.json["match"] != true {
		t.Fatalf("a 900 KiB JSON body: %d %.200s", r.status, r.body)
	}
}

// doNet sends a request over a real connection to base (from e.listen):
// for bodies the server refuses itself, which Fiber's in-memory Test
// reports as an error rather than as the response the client gets.
func (e *env) doNet(base, method, path, body string, headers ...string) *response {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	// The request is written while the answer is read: a server that refuses
	// a body part-way answers and closes, and a client that insisted on
	// finishing its write first would see only the reset.
	go func() {
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", method, path, len(body))
		for i := 0; i+1 < len(headers); i += 2 {
			fmt.Fprintf(w, "%s: %s\r\n", headers[i], headers[i+1])
		}
		fmt.Fprint(w, "\r\n")
		w.WriteString(body)
		w.Flush() // a write error is the server refusing the rest: the answer tells
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{status: res.StatusCode, header: res.Header, body: raw}
	json.Unmarshal(raw, &r.json)
	return r
}

// A compressed request body is refused before anything reads it: Fiber
// would inflate it whole, past every body limit. Even a small, valid one.
func TestCompressedBodiesRefused(t *testing.T) {
	e := newEnv(t, nil)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"certificate_no":"20191100141000123","name":"张三"}`))
	w.Close()
	for _, coding := range []string{"gzip", "deflate", "br", "GZIP", "identity, gzip"} {
		req := httptest.NewRequest("POST", "/api/v1/verifications", bytes.NewReader(gz.Bytes()))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", coding)
		res, err := e.srv.Fiber().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 415 {
			t.Fatalf("Content-Encoding %q: %d, want 415", coding, res.StatusCode)
		}
	}
	if r := e.do("POST", "/api/v1/verifications", map[string]string{"certificate_no": "20191100141000123", "name": "张三"}, "Content-Encoding", "identity"); r.status != 200 {
		t.Fatalf("identity: %d %s", r.status, r.body)
	}
}

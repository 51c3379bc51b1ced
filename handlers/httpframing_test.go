package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A second X-Forwarded-For line is part of the one list (RFC 9110 §5.3):
// the proxy's appended line is read, not the client's first one, so a
// client behind the proxy cannot choose its rate-limit address.
func TestClientIPReadsEveryForwardedForLine(t *testing.T) {
	// Fiber's test transport connects from 0.0.0.0.
	e := newEnv(t, map[string]string{"PORTAL_RATE_VERIFY": "1/h", "PORTAL_TRUSTED_PROXIES": "0.0.0.0/32"})
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	for i := range 2 {
		req := httptest.NewRequest("POST", "/api/v1/verifications", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Add("X-Forwarded-For", fmt.Sprintf("1.2.4.%d", i))
		req.Header.Add("X-Forwarded-For", "10.0.0.56")
		res, err := e.srv.Fiber().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := []int{200, 429}[i]; res.StatusCode != want {
			t.Fatalf("request %d from 10.0.0.56 behind the proxy: %d, want %d", i, res.StatusCode, want)
		}
	}
}

// exchange writes raw to a fresh connection and reads what the server
// sends until it closes the connection.
func exchange(t *testing.T, base, raw string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // a server that keeps the connection open fails here
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server did not close the connection: %v (read %.300q)", err, out)
	}
	return string(out)
}

// Ambiguous framing (RFC 9112 §6.3) is refused with 400 and the connection
// closed, so that nothing after it on the connection is served.
func TestConflictingFramingRefused(t *testing.T) {
	e := newEnv(t, nil)
	base := e.listen()
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	smuggled := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	for name, head := range map[string]string{
		"two lengths":        fmt.Sprintf("Content-Length: %d\r\nContent-Length: %d\r\n", len(body)+5, len(body)),
		"length and chunked": fmt.Sprintf("Content-Length: %d\r\nTransfer-Encoding: chunked\r\n", len(body)),
		"chunked and length": fmt.Sprintf("Transfer-Encoding: chunked\r\nContent-Length: %d\r\n", len(body)),
	} {
		payload := body
		if strings.Contains(head, "chunked") {
			payload = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		}
		out := exchange(t, base, "POST /api/v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			head+"\r\n"+payload+smuggled)
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") ||
			!res.Close {
			t.Fatalf("%s: %d %v %s", name, res.StatusCode, res.Header, raw)
		}
		if n := strings.Count(out, "HTTP/1.1 "); n != 1 {
			t.Fatalf("%s: %d responses on the connection, want 1:\n%s", name, n, out)
		}
	}
	// The same length twice is not ambiguous (RFC 9112 §6.3 lets it pass).
	out := exchange(t, base, fmt.Sprintf("POST /api/v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), len(body), body))
	if !strings.HasPrefix(out, "HTTP/1.1 200 ") {
		t.Fatalf("two equal lengths: %.300s", out)
	}
}

// A body over the limit announced with Expect: 100-continue gets 413 at
// once, not 100 Continue inviting the upload.
func TestExpectContinueOverLimitGets413First(t *testing.T) {
	e := newEnv(t, nil)
	base := e.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", 2<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("first answer %d, want 413", res.StatusCode)
	}
	// Within the limit, 100 Continue still comes and the request is served.
	body := `{"certificate_no":"20191100141000123","name":"张三"}`
	r := headersOnly(t, base, "POST", "/api/v1/verifications", len(body), "Expect", "100-continue")
	if r.status != 100 {
		t.Fatalf("a small body with Expect: %d, want 100 Continue", r.status)
	}
}

// Every single-valued query parameter refuses repetition with 400
// invalid_field naming it, on every list route.
func TestRepeatedQueryParametersRefused(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	for _, c := range []struct{ path, field string }{ // bans take a reviewer, the rest an admin
		{"/api/v1/admin/actions?per_page=1&per_page=2", "per_page"},
		{"/api/v1/admin/actions?page=1&page=1", "page"},
		{"/api/v1/admin/actions?status=pending&status=approved", "status"},
		{"/api/v1/admin/bans?certificate_no=1&certificate_no=2", "certificate_no"},
		{"/api/v1/admin/audit?limit=1&limit=2", "limit"},
		{"/api/v1/admin/audit?after=1&after=2", "after"},
	} {
		tok := tm.admin
		if strings.Contains(c.path, "/bans") {
			tok = tm.reviewer
		}
		r := e.do("GET", c.path, nil, bearer(tok)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != c.field {
			t.Fatalf("%s: field %q, want %q", c.path, r.str("field"), c.field)
		}
	}
	if r := e.do("GET", "/api/v1/admin/actions?per_page=1", nil, bearer(tm.admin)...); r.status != 200 {
		t.Fatalf("one per_page: %d %s", r.status, r.body)
	}
}

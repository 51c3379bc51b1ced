package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/handlers"
	"ethicsportal/store/sqlite"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// Every request leaves exactly one access line: request id, method, route
// template, status and duration, and nothing personal.
func TestAccessLog(t *testing.T) {
	cfg := testConfig(t, nil)
	st, err := sqlite.Open(context.Background(), cfg.DataDir+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	a, err := app.New(context.Background(), cfg, log, app.WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e := &env{t: t, app: a, srv: handlers.New(a, log), clock: &clock{t: time.Now()}}
	reg := e.addUser("reg", "registrar")
	e.registerCredential(reg, nil)
	logs.take()

	secrets := []string{certNo, holder, reg, "correct horse", "secret-query", "0.0.0.0", "127.0.0.1"}
	for _, c := range []struct {
		method, path string
		body         any
		headers      []string
		route        string
		status       int
	}{
		{"GET", "/api/v1/admin/credentials/" + certNo + "?q=secret-query", nil, bearer(reg), "/api/v1/admin/credentials/:certificate_no", 200},
		{"POST", "/api/v1/verifications", map[string]string{"certificate_no": certNo, "name": holder}, nil, "/api/v1/verifications", 200},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "reg", "password": "correct horse wrong"}, nil, "/api/v1/auth/login", 401},
		{"GET", "/no/such/" + certNo, nil, nil, "unmatched", 404},
	} {
		r := e.do(c.method, c.path, c.body, append(c.headers, "X-Request-ID", "req-"+fmt.Sprint(c.status))...)
		if r.status != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
		out := logs.take()
		lines := accessLines(t, out)
		if len(lines) != 1 {
			t.Fatalf("%s %s: %d access lines in %q", c.method, c.path, len(lines), out)
		}
		l := lines[0]
		if l["request_id"] != "req-"+fmt.Sprint(c.status) || l["method"] != c.method || l["route"] != c.route ||
			l["status"] != float64(c.status) || l["duration_ms"] == nil {
			t.Fatalf("%s %s: access line %v", c.method, c.path, l)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("%s %s: the log holds %q: %s", c.method, c.path, s, out)
			}
		}
	}

	// A body refused by the server itself, before routing, is logged too.
	base := e.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/verifications HTTP/1.1\r\nHost: x\r\nX-Request-ID: big-one\r\nContent-Length: %d\r\n\r\n", 4<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	lines := accessLines(t, logs.take())
	if res.StatusCode != 413 || len(lines) != 1 || lines[0]["status"] != 413.0 || lines[0]["route"] != "unmatched" {
		t.Fatalf("server-refused body: %d, access lines %v", res.StatusCode, lines)
	}
}

func accessLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(out), "\n") {
		if raw == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	return lines
}

package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ethicsportal/webhook"
)

func TestValidateURL(t *testing.T) {
	long := "https://example.org/" + strings.Repeat("a", webhook.MaxURLLength)
	for _, tc := range []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{"https://hooks.example.org/portal?x=1", false, true},
		{"https://hooks.example.org:8443/p", false, true},
		{"https://93.184.216.34/p", false, true},
		{"https://[2606:2800:220:1:248:1893:25c8:1946]/p", false, true},
		{"http://127.0.0.1:8080/hook", true, true},
		{"http://localhost:8080/hook", true, true},
		{"http://[::1]:8080/hook", true, true},
		{"https://127.0.0.1/hook", true, true},

		{"", false, false},
		{long, false, false},
		{"ftp://hooks.example.org/x", false, false},
		{"http://hooks.example.org/x", false, false},
		{"http://hooks.example.org/x", true, false}, // http only to loopback
		{"http://127.0.0.1:8080/hook", false, false},
		{"http://localhost:8080/hook", false, false},
		{"https://localhost/hook", false, false},
		{"https://user:pw@hooks.example.org/x", false, false},
		{"https://user@hooks.example.org/x", false, false},
		{"https://hooks.example.org/x#frag", false, false},
		{"https://10.1.2.3/x", false, false},
		{"https://10.1.2.3/x", true, false}, // loopback allowed is not private allowed
		{"https://192.168.1.1/x", false, false},
		{"https://172.16.0.1/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://100.64.0.1/x", false, false},
		{"https://0.0.0.0/x", false, false},
		{"https://[::]/x", false, false},
		{"https://[fd00::1]/x", false, false},
		{"https://[fe80::1%25eth0]/x", false, false},
		{"https://[::ffff:127.0.0.1]/x", false, false},
		{"https://[::ffff:10.0.0.1]/x", true, false},
		{"https://[64:ff9b::a00:1]/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"https://2130706433/x", false, false},
		{"https://0x7f.0.0.1/x", false, false},
		{"https:///x", false, false},
		{"https://hooks.example.org:0/x", false, false},
		{"https://hooks.example.org:99999/x", false, false},
		{"https://hooks example.org/x", false, false},
		{"/relative/path", false, false},
		{"mailto:a@example.org", false, false},
	} {
		_, err := webhook.ValidateURL(tc.url, tc.loopback)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateURL(%.60q, loopback=%v) = %v, want ok=%v", tc.url, tc.loopback, err, tc.ok)
		}
		var ue *webhook.URLError
		if err != nil && (!errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "callback_url ")) {
			t.Errorf("ValidateURL(%.60q): error %v is not a *URLError naming callback_url", tc.url, err)
		}
		if err != nil && len(tc.url) > 20 && strings.Contains(err.Error(), tc.url) {
			t.Errorf("ValidateURL: the message repeats the URL: %v", err)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		loopback bool
		ok       bool
	}{
		{"93.184.216.34", false, true},
		{"2606:2800:220:1:248:1893:25c8:1946", false, true},
		{"127.0.0.1", true, true},
		{"::1", true, true},
		{"::ffff:127.0.0.1", true, true},
		{"127.0.0.1", false, false},
		{"127.1.2.3", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, false},
		{"::ffff:192.168.0.1", true, false},
		{"10.0.0.1", true, false},
		{"100.100.100.100", false, false},
		{"169.254.169.254", false, false},
		{"fd12:3456::1", false, false},
		{"fe80::1", false, false},
		{"ff02::1", false, false},
		{"0.0.0.0", false, false},
		{"255.255.255.255", false, false},
		{"192.0.2.1", false, false},
		{"2002:a00:1::1", false, false},
		{"2001:0:a00:1::1", false, false},
		{"::10.0.0.1", false, false},
	} {
		err := webhook.CheckAddr(netip.MustParseAddr(tc.addr), tc.loopback)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%s, loopback=%v) = %v, want ok=%v", tc.addr, tc.loopback, err, tc.ok)
		}
	}
}

func TestSignVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"id":"ev_1"}`)
	// The value a receiver computes with any HMAC tool:
	// printf '1700000000.{"id":"ev_1"}' | openssl dgst -sha256 -hmac s3cret
	want := "sha256=7635e23b912c1287126e3272ec68551cb948fc73f143e992a4d027e40c138400"
	got := webhook.Sign(secret, 1700000000, body)
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if !webhook.Verify(secret, 1700000000, body, got) {
		t.Error("Verify refuses Sign's own signature")
	}
	for _, bad := range []struct {
		secret []byte
		ts     int64
		body   []byte
	}{{[]byte("other"), 1700000000, body}, {secret, 1700000001, body}, {secret, 1700000000, []byte(`{"id":"ev_2"}`)}} {
		if webhook.Verify(bad.secret, bad.ts, bad.body, got) {
			t.Errorf("Verify accepts the signature for %q at %d", bad.body, bad.ts)
		}
	}
}

func TestBackoff(t *testing.T) {
	var total time.Duration
	attempts := 0
	for total < webhook.RetryWindow {
		attempts++
		d := webhook.Backoff(attempts)
		want := min(webhook.FirstRetry<<min(attempts-1, 16), webhook.MaxRetry)
		if d < want-want/10 || d > want+want/10 {
			t.Fatalf("Backoff(%d) = %v, want %v ±10%%", attempts, d, want)
		}
		total += d
	}
	if attempts < 20 || attempts > 40 {
		t.Errorf("%d retries fill the 24 h window, want 20 to 40 (30 s doubling to a 1 h cap)", attempts)
	}
	if webhook.Backoff(1000) > webhook.MaxRetry+webhook.MaxRetry/10 {
		t.Error("Backoff overflows its cap for a large attempt")
	}
}

func TestDeliverSigned(t *testing.T) {
	secret := []byte("client secret")
	type seen struct {
		header http.Header
		body   []byte
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), b}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{AllowLoopback: true})
	at := time.Unix(1767225600, 0)
	body := []byte(`{"id":"ev_abc","type":"credential.status_changed"}`)
	r := s.Deliver(context.Background(), webhook.Delivery{URL: srv.URL + "/hook", EventID: "ev_abc", Secret: secret, Body: body, At: at})
	if !r.Delivered() || r.StatusCode != http.StatusNoContent {
		t.Fatalf("Deliver = %+v, want delivered with 204", r)
	}
	s2 := <-got
	if string(s2.body) != string(body) {
		t.Errorf("body %q, want %q", s2.body, body)
	}
	if s2.header.Get(webhook.HeaderEventID) != "ev_abc" || s2.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", s2.header)
	}
	ts, err := strconv.ParseInt(s2.header.Get(webhook.HeaderTimestamp), 10, 64)
	if err != nil || ts != at.Unix() {
		t.Errorf("timestamp %q, want %d", s2.header.Get(webhook.HeaderTimestamp), at.Unix())
	}
	if !webhook.Verify(secret, ts, s2.body, s2.header.Get(webhook.HeaderSignature)) {
		t.Errorf("signature %q does not verify", s2.header.Get(webhook.HeaderSignature))
	}
}

func TestDeliverRedirectNotFollowed(t *testing.T) {
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{AllowLoopback: true})
	r := s.Deliver(context.Background(), webhook.Delivery{URL: srv.URL, EventID: "ev_1", Secret: []byte("k"), Body: []byte("{}"), At: time.Now()})
	if r.Delivered() || !errors.Is(r.Err, webhook.ErrRedirect) || r.StatusCode != http.StatusTemporaryRedirect || !r.Retry {
		t.Fatalf("Deliver to a redirect = %+v, want a failed, retryable delivery with status 307", r)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

func TestDeliverOutcomes(t *testing.T) {
	status := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		// An answer larger than what is read must not hold the delivery up.
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{AllowLoopback: true, Timeout: 5 * time.Second})
	for _, tc := range []struct {
		status    int
		delivered bool
		retry     bool
	}{{200, true, false}, {503, false, true}, {404, false, true}, {429, false, true}, {410, false, false}} {
		status.Store(int32(tc.status))
		r := s.Deliver(context.Background(), webhook.Delivery{URL: srv.URL, EventID: "ev", Secret: []byte("k"), Body: []byte("{}"), At: time.Now()})
		if r.Delivered() != tc.delivered || r.Retry != tc.retry || r.StatusCode != tc.status {
			t.Errorf("receiver answering %d: %+v, want delivered=%v retry=%v", tc.status, r, tc.delivered, tc.retry)
		}
	}
}

// A server on loopback is refused when loopback is not allowed: by the
// URL check for a literal, and at connection time for a name that
// resolves to it, where the URL check cannot know.
func TestDeliverRefusesLoopbackAndPrivate(t *testing.T) {
	var hit atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{})
	r := s.Deliver(context.Background(), webhook.Delivery{URL: srv.URL, EventID: "ev", Secret: []byte("k"), Body: []byte("{}"), At: time.Now()})
	var ue *webhook.URLError
	if r.Delivered() || !errors.As(r.Err, &ue) || r.Retry {
		t.Errorf("Deliver to %s without loopback allowed = %+v, want a URL error, not retried", srv.URL, r)
	}

	c := webhook.NewClient(false, 5*time.Second)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	for _, u := range []string{
		"http://localhost:" + port + "/",          // a name resolving to loopback
		"http://127.0.0.1:" + port + "/",          // the literal, past any URL check
		"http://[::ffff:127.0.0.1]:" + port + "/", // mapped
		"http://10.255.255.1:9/",                  // private: refused before any packet is sent
		"http://169.254.169.254/latest/meta-data", // cloud metadata
	} {
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s connected (status %d)", u, resp.StatusCode)
			continue
		}
		if !strings.Contains(err.Error(), "refused to connect to a") {
			t.Errorf("GET %s: %v, want the dialer's refusal", u, err)
		}
	}
	if hit.Load() {
		t.Error("the loopback server was reached")
	}

	// With loopback allowed, the name resolving to loopback connects.
	resp, err := webhook.NewClient(true, 5*time.Second).Get("http://localhost:" + port + "/")
	if err != nil {
		t.Fatalf("GET localhost with loopback allowed: %v", err)
	}
	resp.Body.Close()
	if !hit.Load() {
		t.Error("with loopback allowed, the server was not reached")
	}
}

func TestDeliverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	s := webhook.NewSender(webhook.Options{AllowLoopback: true, Timeout: 200 * time.Millisecond})
	start := time.Now()
	r := s.Deliver(context.Background(), webhook.Delivery{URL: srv.URL, EventID: "ev", Secret: []byte("k"), Body: []byte("{}"), At: time.Now()})
	if r.Delivered() || !r.Retry || r.StatusCode != 0 {
		t.Errorf("Deliver to a receiver that never answers = %+v, want a retryable failure without status", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Deliver took %v despite a 200ms timeout", d)
	}
}

package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"ethicsportal/webhook"
)

// addressLike matches what a raw dial error shows and a client must not
// see: an IPv4 address, an IPv6 address, a host:port, the resolver.
var addressLike = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|\[?[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]*\]?|:\d+\b|lookup|dial|127\.|localhost|invalid`)

// TestReasonHidesAddresses: every failure a delivery meets in practice,
// produced for real, is shown to the client as a fixed class that names
// no address, port, host or resolver, while the raw error (for the log)
// keeps them.
func TestReasonHidesAddresses(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/410":
			w.WriteHeader(http.StatusGone)
		default:
			http.Redirect(w, r, "https://elsewhere.example.org/", http.StatusFound)
		}
	}))
	defer status.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/hook"
	closed.Close()

	loopbackOK := webhook.NewSender(webhook.Options{AllowLoopback: true, Timeout: 5 * time.Second})
	impatient := webhook.NewSender(webhook.Options{AllowLoopback: true, Timeout: 300 * time.Millisecond})
	public := webhook.NewSender(webhook.Options{Timeout: 5 * time.Second})
	deliver := func(s *webhook.Sender, u string) error {
		r := s.Deliver(context.Background(), webhook.Delivery{URL: u, EventID: "ev", Secret: []byte("k"), Body: []byte("{}"), At: time.Now()})
		if r.Delivered() {
			t.Fatalf("Deliver to %s was delivered", u)
		}
		return r.Err
	}
	// A name resolving to loopback is refused by the dialer itself, after
	// DNS: the error the trial showed ("dial tcp 127.0.0.1:port: webhook:
	// refused to connect to a loopback address").
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(status.URL, "http://"))
	var refusedErr error
	if resp, err := webhook.NewClient(false, 5*time.Second).Post("http://localhost:"+port+"/", "application/json", nil); err == nil {
		resp.Body.Close()
		t.Fatal("a name resolving to loopback was connected to")
	} else {
		refusedErr = err
	}

	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unknown name", deliver(public, "https://no-such-host.invalid/hook"), webhook.ReasonUnresolved},
		{"loopback at connection", refusedErr, webhook.ReasonRefusedAddr},
		{"timeout", deliver(impatient, hang.URL), webhook.ReasonTimeout},
		{"connection refused", deliver(loopbackOK, closedURL), webhook.ReasonConnRefused},
		{"500", deliver(loopbackOK, status.URL+"/500"), "receiver answered 500"},
		{"410", deliver(loopbackOK, status.URL+"/410"), webhook.ReasonGone},
		{"redirect", deliver(loopbackOK, status.URL+"/302"), webhook.ReasonRedirect},
		{"untrusted certificate", deliver(loopbackOK, tlsSrv.URL), webhook.ReasonTLS},
		{"http answering https", deliver(loopbackOK, strings.Replace(status.URL, "http://", "https://", 1)), webhook.ReasonTLS},
		{"refused URL", deliver(public, status.URL), "callback_url names a loopback address"},
	} {
		got := webhook.Reason(tc.err)
		if got != tc.want {
			t.Errorf("%s: Reason(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
		if m := addressLike.FindString(got); m != "" {
			t.Errorf("%s: Reason %q shows %q", tc.name, got, m)
		}
	}
	// The raw error keeps the detail the log needs, without the URL.
	if err := deliver(loopbackOK, closedURL+"?token=s3cret"); !strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("raw error %q: want the address, not the URL", err)
	}
}

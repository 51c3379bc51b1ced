package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/store"
)

// TestWebhookHangingReceiverHoldsOnlyItsWatch: while watch A's receiver
// hangs (until the test lets it go), the running loop still delivers
// watch B's later event, well inside the attempt timeout; A's second
// event waits for its first, and both arrive in order once A answers.
func TestWebhookHangingReceiverHoldsOnlyItsWatch(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			// An attempt timeout far beyond the test's patience: only
			// concurrency, not a timed-out attempt, can let B through.
			f := newHookFixture(t, backend, app.WithWebhookTiming(app.WebhookTiming{Timeout: 30 * time.Second}))
			testWebhookHangingReceiver(t, f)
		})
	}
}

func testWebhookHangingReceiver(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	var mu sync.Mutex
	var gotA []received
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotA = append(gotA, received{r.URL.Path, r.Header.Clone(), b})
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release // closed by the test: later requests answer at once
	}))
	defer hanging.Close()
	eventsA := func() []app.Event {
		mu.Lock()
		defer mu.Unlock()
		var evs []app.Event
		for _, r := range gotA {
			evs = append(evs, checkSigned(t, f.secrets["cl_one"], r))
		}
		return evs
	}
	rcvB := newReceiver(t)

	f.register(t, "20191100000000021", "周一", "")
	f.register(t, "20191100000000022", "吴二", "")
	if _, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "20191100000000021", Name: "周一", CallbackURL: hanging.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.CreateWatch(ctx, f.cl["cl_two"], app.WatchInput{CertificateNo: "20191100000000022", Name: "吴二", CallbackURL: rcvB.srv.URL}); err != nil {
		t.Fatal(err)
	}
	loopCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { f.app.RunWebhooks(loopCtx) })
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	defer func() { letGo(); stop(); wg.Wait() }()

	f.apply(t, store.ActionSuspendCredential, "调查期间暂停", map[string]any{"certificate_no": "20191100000000021"})
	f.drainOutbox(t)
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("watch A's first event never reached its receiver")
	}
	// A second event of A, and one of B, while A's first hangs.
	f.apply(t, store.ActionRevokeCredential, "撤销教师资格", map[string]any{"certificate_no": "20191100000000021"})
	f.apply(t, store.ActionRevokeCredential, "撤销教师资格", map[string]any{"certificate_no": "20191100000000022"})
	f.drainOutbox(t)
	deadline := time.Now().Add(5 * time.Second) // the attempt timeout is 30 s
	for len(rcvB.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("watch B's event waited for watch A's hanging receiver")
		}
		time.Sleep(10 * time.Millisecond) // polling: the loop runs on its own
	}
	if ev := checkSigned(t, f.secrets["cl_two"], rcvB.requests()[0]); ev.CertificateNo != "20191100000000022" || ev.NewStatus != "revoked" {
		t.Errorf("B got %+v", ev)
	}
	if n := len(eventsA()); n != 1 {
		t.Fatalf("A's receiver got %d requests while its first hung, want 1: a watch's events go one at a time", n)
	}
	letGo()
	deadline = time.Now().Add(10 * time.Second)
	for len(eventsA()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("A's second event did not follow its first: %d requests", len(eventsA()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if evs := eventsA(); evs[0].NewStatus != "suspended" || evs[1].OldStatus != "suspended" || evs[1].NewStatus != "revoked" {
		t.Errorf("A's events %+v, want the suspension, then the revocation", evs)
	}
}

// addressLike is what a raw connection error shows and a client must not
// see: an IPv4 or IPv6 address, a port, the resolver's lookup.
var addressLike = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]+|:\d+|lookup|dial|\.invalid|127\.`)

// TestWebhookLastErrorShowsAClass: a delivery's last_error, which the
// client reads, is a fixed class of failure that names no address, port,
// host or resolver.
func TestWebhookLastErrorShowsAClass(t *testing.T) { onBackends(t, testWebhookLastErrorShowsAClass) }

func testWebhookLastErrorShowsAClass(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := "http://" + closed.Addr().String() + "/hook"
	closed.Close()
	failing := newReceiver(t)
	failing.answer(http.StatusInternalServerError)
	cases := []struct{ no, name, url, want string }{
		{"20191100000000031", "郑一", "https://no-such-host.invalid/hook", "the receiver's name could not be resolved"},
		{"20191100000000032", "郑二", refusing, "connection refused"},
		{"20191100000000033", "郑三", failing.srv.URL, "receiver answered 500"},
	}
	ids := map[string]string{}
	for _, c := range cases {
		f.register(t, c.no, c.name, "")
		w, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: c.no, Name: c.name, CallbackURL: c.url})
		if err != nil {
			t.Fatal(err)
		}
		ids[c.no] = w.ID
		f.apply(t, store.ActionSuspendCredential, "调查期间暂停", map[string]any{"certificate_no": c.no})
	}
	f.drainOutbox(t)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != len(cases) {
		t.Fatalf("DrainWebhooks = %d, %v; want %d", n, err, len(cases))
	}
	for _, c := range cases {
		ds, _, err := f.app.WatchDeliveries(ctx, f.cl["cl_one"], ids[c.no], app.Page{Number: 1, PerPage: 20})
		if err != nil || len(ds) != 1 || ds[0].Status != store.DeliveryPending {
			t.Fatalf("%s: deliveries %+v, %v; want one pending", c.url, ds, err)
		}
		if got := ds[0].LastError; got != c.want {
			t.Errorf("%s: last_error %q, want %q", c.url, got, c.want)
		}
		if m := addressLike.FindString(ds[0].LastError); m != "" {
			t.Errorf("%s: last_error %q shows %q", c.url, ds[0].LastError, m)
		}
	}
}

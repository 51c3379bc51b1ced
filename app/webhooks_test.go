package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/sqlite"
	"ethicsportal/webhook"
)

// hookFixture is an app whose webhooks may call back to loopback, signing
// with a fixed secret per client, on a clock the test moves.
type hookFixture struct {
	*fixture
	cl      map[string]*store.Client // school clients by the names the tests use
	secrets map[string][]byte        // their webhook secrets, as shown at creation
}

// onBackends runs test on a fixture on SQLite and one on PostgreSQL (when
// PORTAL_TEST_POSTGRES_URL is set).
func onBackends(t *testing.T, test func(t *testing.T, f *hookFixture)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { test(t, newHookFixture(t, backend)) })
	}
}

func newHookFixture(t *testing.T, backend string, opts ...app.Option) *hookFixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{now: start, path: filepath.Join(dir, "portal.db")}
	var st store.Store
	var err error
	if backend == "postgres" {
		st, err = postgres.Open(context.Background(), pgtest.URL(t))
	} else {
		st, err = sqlite.Open(context.Background(), f.path)
	}
	if err != nil {
		t.Fatal(err)
	}
	h := &hookFixture{fixture: f, cl: map[string]*store.Client{}, secrets: map[string][]byte{}}
	l := config.NewLoader(flag.NewFlagSet("t", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := map[string]string{"PORTAL_DATA_DIR": dir, "PORTAL_REQUIRE_TOTP": "false", "PORTAL_WEBHOOK_ALLOW_LOOPBACK": "true"}[k]
		return v, ok
	})
	cfg, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		append([]app.Option{app.WithStore(st), app.WithClock(f.clock),
			app.WithWebhookTiming(app.WebhookTiming{Timeout: 5 * time.Second})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f.app = a
	f.alice = &app.Principal{Username: "alice", Roles: []string{store.RoleRegistrar}}
	f.bob = &app.Principal{Username: "bob", Roles: []string{store.RoleReviewer}}
	for _, name := range []string{"cl_one", "cl_two"} {
		made, err := a.CreateClient(context.Background(), "root", app.NewClient{Name: "school " + name, Scopes: []string{store.ScopeWatch}})
		if err != nil {
			t.Fatal(err)
		}
		if h.cl[name], err = a.Store().ClientByID(context.Background(), made.ID); err != nil {
			t.Fatal(err)
		}
		h.secrets[name] = []byte(made.Secret)
	}
	return h
}

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fixture) setClock(t time.Time) { f.mu.Lock(); f.now = t; f.mu.Unlock() }

func (f *fixture) register(t *testing.T, no, name, idNumber string) {
	t.Helper()
	if _, err := f.app.CreateCredential(context.Background(), "alice", app.CredentialInput{CertificateNo: no, HolderName: name, IDNumber: idNumber,
		Kind: "primary", IssuedOn: "2019-07-01", RegisteredUntil: "2029-06-30"}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) apply(t *testing.T, kind, reason string, params map[string]any) *app.Approval {
	t.Helper()
	raw := map[string]json.RawMessage{}
	for k, v := range params {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	act, err := f.app.ProposeAction(context.Background(), f.alice, app.Proposal{Kind: kind, Reason: reason, Params: raw})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := f.app.ApproveAction(context.Background(), f.bob, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// drainOutbox runs the outbox until it is empty, so that every applied
// action's webhook deliveries are recorded.
func (f *fixture) drainOutbox(t *testing.T) {
	t.Helper()
	for range 20 {
		n, err := f.app.DrainOutbox(context.Background(), "ow")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox did not empty")
}

// receiver is a webhook endpoint on 127.0.0.1 that answers with the
// status the test sets and records every request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusNoContent}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Header.Clone(), b})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) answer(status int) { r.mu.Lock(); r.status = status; r.mu.Unlock() }

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// checkSigned verifies a request as a receiver would and returns its event.
func checkSigned(t *testing.T, secret []byte, r received) app.Event {
	t.Helper()
	ts, err := strconv.ParseInt(r.header.Get(webhook.HeaderTimestamp), 10, 64)
	if err != nil {
		t.Fatalf("timestamp header %q", r.header.Get(webhook.HeaderTimestamp))
	}
	if !webhook.Verify(secret, ts, r.body, r.header.Get(webhook.HeaderSignature)) {
		t.Fatalf("signature %q does not verify over %q", r.header.Get(webhook.HeaderSignature), r.body)
	}
	var ev app.Event
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("event %s: %v", r.body, err)
	}
	if r.header.Get(webhook.HeaderEventID) != ev.ID || ev.ID == "" {
		t.Fatalf("event id header %q, body id %q", r.header.Get(webhook.HeaderEventID), ev.ID)
	}
	return ev
}

func TestWebhookAfterRevocation(t *testing.T) { onBackends(t, testWebhookAfterRevocation) }

func testWebhookAfterRevocation(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	rcv := newReceiver(t)
	f.register(t, "20191100000000001", "张三", "")
	w, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "2019-1100-0000-00001", Name: "張三", CallbackURL: rcv.srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.ID) != 19 || w.ID[:3] != "wa_" || w.CertificateNo != "20191100000000001" {
		t.Errorf("watch %+v: want id wa_ and 16 characters, the number normalised", w)
	}
	f.advance(time.Minute)
	f.apply(t, store.ActionRevokeCredential, "撤销教师资格", map[string]any{"certificate_no": "20191100000000001"})
	f.drainOutbox(t)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 1 {
		t.Fatalf("DrainWebhooks = %d, %v; want 1", n, err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	ev := checkSigned(t, f.secrets["cl_one"], reqs[0])
	want := app.Event{ID: ev.ID, Type: app.EventStatusChanged, OccurredAt: f.clock().UTC().Format(time.RFC3339),
		CertificateNo: "20191100000000001", OldStatus: "active", NewStatus: "revoked", Reason: "撤销教师资格"}
	if ev != want {
		t.Errorf("event %+v, want %+v", ev, want)
	}
	if ts := reqs[0].header.Get(webhook.HeaderTimestamp); ts != strconv.FormatInt(f.clock().Unix(), 10) {
		t.Errorf("timestamp %s, want the send time %d", ts, f.clock().Unix())
	}
	ds, total, err := f.app.WatchDeliveries(ctx, f.cl["cl_one"], w.ID, app.Page{Number: 1, PerPage: 20})
	if err != nil || total != 1 || ds[0].Status != store.DeliveryDelivered || ds[0].LastStatusCode != 204 || ds[0].EventID != ev.ID {
		t.Errorf("history %+v (%d), %v; want one delivered event", ds, total, err)
	}
	// Nothing more to send.
	if n, _ := f.app.DrainWebhooks(ctx, "hw"); n != 0 {
		t.Errorf("a delivered event was claimed again")
	}
}

func TestWebhookRetriedUntilTheReceiverIsUp(t *testing.T) {
	onBackends(t, testWebhookRetriedUntilTheReceiverIsUp)
}

func testWebhookRetriedUntilTheReceiverIsUp(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.answer(http.StatusServiceUnavailable)
	f.register(t, "20191100000000002", "李四", "")
	w, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "20191100000000002", Name: "李四", CallbackURL: rcv.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.apply(t, store.ActionSuspendCredential, "调查期间暂停", map[string]any{"certificate_no": "20191100000000002"})
	f.drainOutbox(t)
	for attempt := 1; attempt <= 3; attempt++ {
		if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 1 {
			t.Fatalf("attempt %d: DrainWebhooks = %d, %v", attempt, n, err)
		}
		ds, _, _ := f.app.WatchDeliveries(ctx, f.cl["cl_one"], w.ID, app.Page{Number: 1, PerPage: 20})
		d := ds[0]
		wait := d.NextAttemptAt.Sub(f.clock())
		base := min(webhook.FirstRetry<<(attempt-1), webhook.MaxRetry)
		if d.Status != store.DeliveryPending || d.Attempts != attempt || d.LastStatusCode != 503 || wait < base-base/10 || wait > base+base/10 {
			t.Fatalf("after attempt %d: %+v, next in %v; want pending, retried in %v ±10%%", attempt, d, wait, base)
		}
		// Not due yet: nothing is sent.
		if n, _ := f.app.DrainWebhooks(ctx, "hw"); n != 0 {
			t.Fatalf("a delivery was sent before its next attempt")
		}
		watch, _ := f.app.Watch(ctx, f.cl["cl_one"], w.ID)
		if watch.FailingSince.IsZero() || watch.Paused {
			t.Errorf("watch after a failure: %+v; want failing, not paused", watch)
		}
		f.setClock(d.NextAttemptAt)
	}
	rcv.answer(http.StatusOK)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 1 {
		t.Fatalf("DrainWebhooks with the receiver up = %d, %v", n, err)
	}
	reqs := rcv.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	first := checkSigned(t, f.secrets["cl_one"], reqs[0])
	for i, r := range reqs {
		ev := checkSigned(t, f.secrets["cl_one"], r)
		if ev != first {
			t.Errorf("attempt %d sent %+v, want the same event as the first, %+v", i+1, ev, first)
		}
	}
	if first.NewStatus != "suspended" || first.OldStatus != "active" || first.Type != app.EventStatusChanged {
		t.Errorf("event %+v", first)
	}
	watch, _ := f.app.Watch(ctx, f.cl["cl_one"], w.ID)
	if !watch.FailingSince.IsZero() {
		t.Errorf("watch after a success still failing since %v", watch.FailingSince)
	}
}

func TestWebhookWatchPausedAfterADayOfFailures(t *testing.T) {
	onBackends(t, testWebhookWatchPausedAfterADayOfFailures)
}

func testWebhookWatchPausedAfterADayOfFailures(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.answer(http.StatusInternalServerError)
	f.register(t, "20191100000000003", "王五", "")
	w, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "20191100000000003", Name: "王五", CallbackURL: rcv.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.apply(t, store.ActionSuspendCredential, "调查期间暂停", map[string]any{"certificate_no": "20191100000000003"})
	f.drainOutbox(t)
	recorded := f.clock()
	attempts := 0
	for {
		if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 1 {
			t.Fatalf("DrainWebhooks = %d, %v", n, err)
		}
		attempts++
		ds, _, _ := f.app.WatchDeliveries(ctx, f.cl["cl_one"], w.ID, app.Page{Number: 1, PerPage: 20})
		if ds[0].Status == store.DeliveryFailed {
			break
		}
		if attempts > 60 {
			t.Fatal("still retrying after 60 attempts")
		}
		f.setClock(ds[0].NextAttemptAt)
	}
	if f.clock().Sub(recorded) < webhook.RetryWindow {
		t.Errorf("gave up after %v, want at least %v", f.clock().Sub(recorded), webhook.RetryWindow)
	}
	if attempts < 20 || len(rcv.requests()) != attempts {
		t.Errorf("%d attempts (%d requests), want 20 or more, each a request", attempts, len(rcv.requests()))
	}
	watch, err := f.app.Watch(ctx, f.cl["cl_one"], w.ID)
	if err != nil || !watch.Paused || !watch.PausedAt.Equal(f.clock()) {
		t.Fatalf("watch %+v, %v; want paused now", watch, err)
	}
	// A paused watch is told of nothing more.
	f.apply(t, store.ActionReinstateCredential, "调查结束", map[string]any{"certificate_no": "20191100000000003"})
	f.drainOutbox(t)
	if n, _ := f.app.DrainWebhooks(ctx, "hw"); n != 0 {
		t.Errorf("a paused watch got a delivery")
	}
	if _, total, _ := f.app.WatchDeliveries(ctx, f.cl["cl_one"], w.ID, app.Page{Number: 1, PerPage: 20}); total != 1 {
		t.Errorf("a paused watch has %d deliveries, want the one that failed", total)
	}
}

func TestWebhookBanByIDNumberReachesEveryCredential(t *testing.T) {
	onBackends(t, testWebhookBanByIDNumberReachesEveryCredential)
}

func testWebhookBanByIDNumberReachesEveryCredential(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	rcv := newReceiver(t)
	f.register(t, "20191100000000004", "赵六", "11010519491231002X")
	f.register(t, "20191100000000005", "赵六", "11010519491231002X")
	f.register(t, "20191100000000006", "钱七", "")
	for _, c := range []struct{ client, no, name string }{
		{"cl_one", "20191100000000004", "赵六"}, {"cl_two", "20191100000000005", "赵六"}, {"cl_one", "20191100000000006", "钱七"},
	} {
		if _, err := f.app.CreateWatch(ctx, f.cl[c.client], app.WatchInput{CertificateNo: c.no, Name: c.name, CallbackURL: rcv.srv.URL + "/" + c.client}); err != nil {
			t.Fatal(err)
		}
	}
	ban := f.apply(t, store.ActionImposeBan, "终身禁止从事教育工作", map[string]any{"id_number": "11010519491231002X", "name": "赵六",
		"scope": "education", "starts_on": "2026-06-01", "ends_on": nil})
	f.drainOutbox(t)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 2 {
		t.Fatalf("DrainWebhooks = %d, %v; want 2 (one per credential of the person)", n, err)
	}
	got := map[string]app.Event{}
	for _, r := range rcv.requests() {
		ev := checkSigned(t, f.secrets[r.path[1:]], r) // each client signs with its own secret
		got[ev.CertificateNo] = ev
	}
	a, b := got["20191100000000004"], got["20191100000000005"]
	if a.Type != app.EventBanImposed || b.Type != app.EventBanImposed || a.Eligible || b.Eligible || a.NewStatus != "active" || a.ID == b.ID {
		t.Errorf("events %+v and %+v: want ban.imposed, not eligible, status active, distinct ids", a, b)
	}
	if _, ok := got["20191100000000006"]; ok {
		t.Error("another person's credential was told of the ban")
	}

	// Lifted: both told again, eligible once more.
	f.apply(t, store.ActionLiftBan, "撤销禁入决定", map[string]any{"ban_id": ban.BanID})
	f.drainOutbox(t)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 2 {
		t.Fatalf("DrainWebhooks after the lift = %d, %v; want 2", n, err)
	}
	for _, r := range rcv.requests()[2:] {
		ev := checkSigned(t, f.secrets[r.path[1:]], r)
		if ev.Type != app.EventBanLifted || !ev.Eligible || ev.Reason != "撤销禁入决定" || ev.ID == a.ID || ev.ID == b.ID {
			t.Errorf("event after the lift: %+v", ev)
		}
	}
}

func TestWebhookAfterCorrection(t *testing.T) { onBackends(t, testWebhookAfterCorrection) }

func testWebhookAfterCorrection(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	rcv := newReceiver(t)
	f.register(t, "20191100000000008", "周九", "")
	if _, err := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "20191100000000008", Name: "周九", CallbackURL: rcv.srv.URL}); err != nil {
		t.Fatal(err)
	}
	f.apply(t, store.ActionCorrectCredential, "户籍姓名更正", map[string]any{"certificate_no": "20191100000000008", "holder_name": "周玖"})
	f.drainOutbox(t)
	if n, err := f.app.DrainWebhooks(ctx, "hw"); err != nil || n != 1 {
		t.Fatalf("DrainWebhooks = %d, %v; want 1", n, err)
	}
	ev := checkSigned(t, f.secrets["cl_one"], rcv.requests()[0])
	if ev.Type != app.EventCorrected || ev.CertificateNo != "20191100000000008" || ev.OldStatus != "active" || ev.NewStatus != "active" || !ev.Eligible || ev.Reason != "户籍姓名更正" {
		t.Errorf("event %+v", ev)
	}
}

func TestCreateWatchRefusals(t *testing.T) { onBackends(t, testCreateWatchRefusals) }

func testCreateWatchRefusals(t *testing.T, f *hookFixture) {
	ctx := context.Background()
	f.register(t, "20191100000000007", "孙八", "")
	ok := app.WatchInput{CertificateNo: "20191100000000007", Name: "孙八", CallbackURL: "https://hooks.example.org/portal"}
	for _, tc := range []struct {
		in    app.WatchInput
		code  string
		field string
	}{
		{app.WatchInput{CertificateNo: ok.CertificateNo, Name: ok.Name, CallbackURL: "ftp://hooks.example.org/x"}, store.EInvalid, "callback_url"},
		{app.WatchInput{CertificateNo: ok.CertificateNo, Name: ok.Name, CallbackURL: "http://hooks.example.org/x"}, store.EInvalid, "callback_url"},
		{app.WatchInput{CertificateNo: ok.CertificateNo, Name: ok.Name, CallbackURL: "https://u:p@hooks.example.org/x"}, store.EInvalid, "callback_url"},
		{app.WatchInput{CertificateNo: ok.CertificateNo, Name: ok.Name, CallbackURL: "https://10.0.0.1/x"}, store.EInvalid, "callback_url"},
		{app.WatchInput{CertificateNo: ok.CertificateNo, Name: ok.Name}, store.EMissing, "callback_url"},
		{app.WatchInput{CertificateNo: "x", Name: ok.Name, CallbackURL: ok.CallbackURL}, store.EInvalid, "certificate_no"},
		{app.WatchInput{CertificateNo: ok.CertificateNo, CallbackURL: ok.CallbackURL}, store.EMissing, "name"},
	} {
		_, err := f.app.CreateWatch(ctx, f.cl["cl_one"], tc.in)
		var se *store.Error
		if !store.IsCode(err, tc.code) || !errors.As(err, &se) || se.Field != tc.field {
			t.Errorf("CreateWatch(%+v) = %v, want %s on %s", tc.in, err, tc.code, tc.field)
		}
	}
	// Misses look the same whatever missed.
	_, errName := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: ok.CertificateNo, Name: "孙九", CallbackURL: ok.CallbackURL})
	_, errNo := f.app.CreateWatch(ctx, f.cl["cl_one"], app.WatchInput{CertificateNo: "20191100000009999", Name: "孙八", CallbackURL: ok.CallbackURL})
	if !store.IsCode(errName, store.EUnknownRef) || errName.Error() != errNo.Error() {
		t.Errorf("misses: wrong name %v, unknown number %v; want the same unknown_reference", errName, errNo)
	}
	if ws, total, _ := f.app.Watches(ctx, f.cl["cl_one"], app.Page{Number: 1, PerPage: 20}); total != 0 || len(ws) != 0 {
		t.Fatalf("refused requests stored watches: %v", ws)
	}
	w, err := f.app.CreateWatch(ctx, f.cl["cl_one"], ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.CreateWatch(ctx, f.cl["cl_one"], ok); !store.IsCode(err, store.EConflict) {
		t.Errorf("a second watch of the same credential: %v, want conflict", err)
	}
	// Another client neither sees nor ends it, and may watch the same credential.
	if _, err := f.app.Watch(ctx, f.cl["cl_two"], w.ID); !store.IsCode(err, store.ENotFound) {
		t.Errorf("another client's Watch: %v, want not_found", err)
	}
	if _, _, err := f.app.WatchDeliveries(ctx, f.cl["cl_two"], w.ID, app.Page{Number: 1, PerPage: 20}); !store.IsCode(err, store.ENotFound) {
		t.Errorf("another client's WatchDeliveries: %v, want not_found", err)
	}
	if err := f.app.DeleteWatch(ctx, f.cl["cl_two"], w.ID); !store.IsCode(err, store.ENotFound) {
		t.Errorf("another client's DeleteWatch: %v, want not_found", err)
	}
	if ws, total, _ := f.app.Watches(ctx, f.cl["cl_two"], app.Page{Number: 1, PerPage: 20}); total != 0 || len(ws) != 0 {
		t.Errorf("another client lists %v", ws)
	}
	if _, err := f.app.CreateWatch(ctx, f.cl["cl_two"], ok); err != nil {
		t.Errorf("another client watching the same credential: %v", err)
	}
	if err := f.app.DeleteWatch(ctx, f.cl["cl_one"], w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Watch(ctx, f.cl["cl_one"], w.ID); !store.IsCode(err, store.ENotFound) {
		t.Errorf("a deleted watch: %v, want not_found", err)
	}
	// The client's use is on record, newest first: every check of number
	// and name with what it found (the 422s false, the 201 and the 409
	// true), the deletion (true: it found and ended a standing watch);
	// nothing of the requests refused before the register was read.
	rows, total, err := f.app.ClientChecks(ctx, f.cl["cl_one"], app.Page{Number: 1, PerPage: 20})
	type use struct {
		kind, no string
		match    bool
	}
	want := []use{
		{store.UsageWatchDelete, "20191100000000007", true},
		{store.UsageWatchCreate, "20191100000000007", true}, // the 409
		{store.UsageWatchCreate, "20191100000000007", true}, // the 201
		{store.UsageWatchCreate, "20191100000009999", false},
		{store.UsageWatchCreate, "20191100000000007", false}, // the wrong name
	}
	var got []use
	for _, r := range rows {
		got = append(got, use{r.Kind, r.CertificateNo, r.Match})
	}
	if err != nil || total != len(want) || !slices.Equal(got, want) {
		t.Errorf("usage of cl_one: %+v (%d), %v; want %+v", got, total, err, want)
	}
}

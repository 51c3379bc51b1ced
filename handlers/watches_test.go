package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"ethicsportal/webhook"
)

// hookReceiver is a webhook endpoint on 127.0.0.1 answering with the
// status the test sets, recording every request.
type hookReceiver struct {
	url    string
	mu     sync.Mutex
	status int
	got    []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hookRequest{r.Header.Clone(), b})
		status := h.status
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/portal-events"
	return h
}

func (h *hookReceiver) answer(status int) { h.mu.Lock(); h.status = status; h.mu.Unlock() }

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// waitRequests polls until the receiver has n requests, or fails the test
// at the deadline.
func (h *hookReceiver) waitRequests(t *testing.T, n int) []hookRequest {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := h.requests(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", len(h.requests()), n)
		}
		time.Sleep(10 * time.Millisecond) // polling: the loops run on their own
	}
}

// verifyHook checks a request as a receiver would, with the client's
// secret, and returns its event.
func verifyHook(t *testing.T, secret string, r hookRequest) map[string]any {
	t.Helper()
	ts, err := strconv.ParseInt(r.header.Get("X-Portal-Timestamp"), 10, 64)
	if err != nil {
		t.Fatalf("X-Portal-Timestamp %q", r.header.Get("X-Portal-Timestamp"))
	}
	if !webhook.Verify([]byte(secret), ts, r.body, r.header.Get("X-Portal-Signature")) {
		t.Fatalf("X-Portal-Signature %q does not verify over %s", r.header.Get("X-Portal-Signature"), r.body)
	}
	var ev map[string]any
	if err := json.Unmarshal(r.body, &ev); err != nil {
		t.Fatal(err)
	}
	if r.header.Get("X-Portal-Event-Id") != ev["id"] {
		t.Fatalf("X-Portal-Event-Id %q, body id %v", r.header.Get("X-Portal-Event-Id"), ev["id"])
	}
	return ev
}

// runLoops runs the outbox worker and the webhook loop, as serve does,
// until the test ends.
func (e *env) runLoops() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.app.RunWorker(ctx) })
	wg.Go(func() { e.app.RunWebhooks(ctx) })
	e.t.Cleanup(func() { cancel(); wg.Wait() })
}

var loopback = map[string]string{"PORTAL_WEBHOOK_ALLOW_LOOPBACK": "true"}

func TestWatchReceivesSignedEventAfterRevocation(t *testing.T) {
	e := newEnv(t, loopback)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	cl := e.newClient(tm.admin, "海淀实验小学", "watch")
	key, secret := cl.str("api_key"), cl.str("secret")
	rcv := newHookReceiver(t)
	e.runLoops()

	r := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "2019-1100-1410-00123", "name": "張偉華", "callback_url": rcv.url}, apiKey(key)...)
	if r.status != 201 || r.str("certificate_no") != certNo || r.str("status") != "active" || r.str("callback_url") != rcv.url {
		t.Fatalf("create watch: %d %s", r.status, r.body)
	}
	id := r.str("id")
	if r.header.Get("Location") != "/api/v1/watches/"+id {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	e.clock.Add(time.Minute)
	act := e.propose(tm.registrar, map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "严重违反师德，依法撤销"})
	if r := e.approve(tm.reviewer, act); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	got := rcv.waitRequests(t, 1)
	ev := verifyHook(t, secret, got[0])
	want := map[string]any{"id": ev["id"], "type": "credential.status_changed", "occurred_at": e.clock.Now().UTC().Format(time.RFC3339),
		"certificate_no": certNo, "old_status": "active", "new_status": "revoked", "reason": "严重违反师德，依法撤销", "eligible": false}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event %s = %v, want %v", k, ev[k], v)
		}
	}
	if ts := got[0].header.Get("X-Portal-Timestamp"); ts != strconv.FormatInt(e.clock.Now().Unix(), 10) {
		t.Errorf("X-Portal-Timestamp %s, want %d", ts, e.clock.Now().Unix())
	}
	// The history shows it delivered.
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := e.do("GET", "/api/v1/watches/"+id+"/deliveries", nil, apiKey(key)...)
		ds, _ := h.json["deliveries"].([]any)
		if h.status == 200 && len(ds) == 1 && ds[0].(map[string]any)["status"] == "delivered" {
			d := ds[0].(map[string]any)
			if d["event_id"] != ev["id"] || d["last_status_code"] != 200.0 || d["attempts"] != 1.0 {
				t.Errorf("delivery %v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %d %s", h.status, h.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drainAll steps the outbox and the webhook loop by hand until neither has
// anything due, and returns how many webhook deliveries were attempted.
func (e *env) drainAll() int {
	e.t.Helper()
	for range 20 {
		n, err := e.app.DrainOutbox(context.Background(), "test-outbox")
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	n, err := e.app.DrainWebhooks(context.Background(), "test-hooks")
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestWatchEventRetriedUntilReceiverUp(t *testing.T) {
	e := newEnv(t, loopback)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	cl := e.newClient(tm.admin, "朝阳中学", "watch")
	key, secret := cl.str("api_key"), cl.str("secret")
	rcv := newHookReceiver(t)
	rcv.answer(http.StatusServiceUnavailable)
	id := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": holder, "callback_url": rcv.url}, apiKey(key)...).str("id")
	act := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": certNo, "reason": "立案调查期间暂停"})
	if r := e.approve(tm.reviewer, act); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		if n := e.drainAll(); n != 1 {
			t.Fatalf("attempt %d: %d deliveries attempted, want 1", attempt, n)
		}
		h := e.do("GET", "/api/v1/watches/"+id+"/deliveries", nil, apiKey(key)...)
		d := h.json["deliveries"].([]any)[0].(map[string]any)
		if d["status"] != "pending" || d["attempts"] != float64(attempt) || d["last_status_code"] != 503.0 {
			t.Fatalf("after attempt %d: %v", attempt, d)
		}
		w := e.do("GET", "/api/v1/watches/"+id, nil, apiKey(key)...)
		if w.str("failing_since") == "" || w.str("status") != "active" {
			t.Errorf("watch while failing: %s", w.body)
		}
		// Not due before its next attempt; due at it.
		if n := e.drainAll(); n != 0 {
			t.Fatalf("a delivery was attempted before its next attempt")
		}
		next, err := time.Parse(time.RFC3339Nano, d["next_attempt_at"].(string))
		if err != nil {
			t.Fatalf("next_attempt_at: %v", d["next_attempt_at"])
		}
		e.clock.Add(next.Sub(e.clock.Now()))
	}
	rcv.answer(http.StatusNoContent)
	if n := e.drainAll(); n != 1 {
		t.Fatalf("%d deliveries attempted with the receiver up, want 1", n)
	}
	reqs := rcv.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	first := verifyHook(t, secret, reqs[0])
	for i, r := range reqs[1:] {
		ev := verifyHook(t, secret, r)
		if ev["id"] != first["id"] || string(r.body) != string(reqs[0].body) {
			t.Errorf("attempt %d sent %s, want the first attempt's event %s", i+2, r.body, reqs[0].body)
		}
	}
	if first["new_status"] != "suspended" {
		t.Errorf("event %v", first)
	}
	w := e.do("GET", "/api/v1/watches/"+id, nil, apiKey(key)...)
	if w.str("failing_since") != "" || w.str("status") != "active" {
		t.Errorf("watch after delivery: %s", w.body)
	}
}

func TestWatchesAreTheClientsOwn(t *testing.T) {
	e := newEnv(t, loopback)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	one := e.newClient(tm.admin, "一中", "watch").str("api_key")
	two := e.newClient(tm.admin, "二中", "watch").str("api_key")
	body := map[string]string{"certificate_no": certNo, "name": holder, "callback_url": "https://hooks.example.org/portal"}
	r := e.do("POST", "/api/v1/watches", body, apiKey(one)...)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.str("id")
	wantProblem(t, e.do("POST", "/api/v1/watches", body, apiKey(one)...), 409, "conflict")
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/watches/" + id}, {"GET", "/api/v1/watches/" + id + "/deliveries"}, {"DELETE", "/api/v1/watches/" + id},
		{"GET", "/api/v1/watches/wa_doesnotexist0000"},
	} {
		wantProblem(t, e.do(req.method, req.path, nil, apiKey(two)...), 404, "not_found")
	}
	if l := e.do("GET", "/api/v1/watches", nil, apiKey(two)...); l.status != 200 || l.json["total"] != 0.0 || len(l.json["watches"].([]any)) != 0 {
		t.Errorf("another client's list: %d %s", l.status, l.body)
	}
	// The other client may watch the same credential for itself.
	if r := e.do("POST", "/api/v1/watches", body, apiKey(two)...); r.status != 201 {
		t.Errorf("second client's watch: %d %s", r.status, r.body)
	}
	l := e.do("GET", "/api/v1/watches?page=1&per_page=10", nil, apiKey(one)...)
	if l.status != 200 || l.json["total"] != 1.0 || l.json["watches"].([]any)[0].(map[string]any)["id"] != id {
		t.Errorf("own list: %d %s", l.status, l.body)
	}
	if r := e.do("GET", "/api/v1/watches/"+id, nil, apiKey(one)...); r.status != 200 || r.str("id") != id {
		t.Errorf("own watch: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/watches/"+id, nil, apiKey(one)...); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/watches/"+id, nil, apiKey(one)...), 404, "not_found")
	wantProblem(t, e.do("DELETE", "/api/v1/watches/"+id, nil, apiKey(one)...), 404, "not_found")

	// A key without the scope, and none at all.
	verifier := e.newClient(tm.admin, "三中", "verify_batch").str("api_key")
	wantProblem(t, e.do("GET", "/api/v1/watches", nil, apiKey(verifier)...), 403, "forbidden")
	wantProblem(t, e.do("POST", "/api/v1/watches", body, apiKey(verifier)...), 403, "forbidden")
	wantProblem(t, e.do("GET", "/api/v1/watches", nil), 401, "unauthorized")
}

func TestWatchBadInput(t *testing.T) {
	e := newEnv(t, nil) // loopback not allowed
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	key := e.newClient(tm.admin, "四中", "watch").str("api_key")
	for _, cb := range []string{
		"ftp://hooks.example.org/x",
		"http://hooks.example.org/x",
		"http://127.0.0.1:8080/x", // loopback not allowed here
		"https://user:pass@hooks.example.org/x",
		"https://10.0.0.5/x",
		"https://192.168.1.10/x",
		"https://169.254.169.254/latest/meta-data",
		"https://[::1]/x",
		"https://localhost/x",
		"not a url",
	} {
		r := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": holder, "callback_url": cb}, apiKey(key)...)
		wantProblem(t, r, 400, "invalid_field")
		if r.str("field") != "callback_url" {
			t.Errorf("%s: field %q, want callback_url", cb, r.str("field"))
		}
	}
	ok := "https://hooks.example.org/portal"
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": holder}, apiKey(key)...), 400, "missing_field")
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]any{"certificate_no": certNo, "name": holder, "callback_url": ok, "extra": 1}, apiKey(key)...), 400, "unknown_field")
	wantProblem(t, e.do("POST", "/api/v1/watches", "{", apiKey(key)...), 400, "invalid_json")
	// Misses: the same answer whatever missed.
	wrongName := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": certNo, "name": "李四", "callback_url": ok}, apiKey(key)...)
	unknown := e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20191100149999999", "name": holder, "callback_url": ok}, apiKey(key)...)
	wantProblem(t, wrongName, 422, "unknown_reference")
	wantProblem(t, unknown, 422, "unknown_reference")
	if wrongName.str("detail") != unknown.str("detail") || wrongName.str("field") != unknown.str("field") {
		t.Errorf("misses differ: %s / %s", wrongName.body, unknown.body)
	}
	wantProblem(t, e.do("GET", "/api/v1/watches?per_page=101", nil, apiKey(key)...), 400, "invalid_field")
	if l := e.do("GET", "/api/v1/watches", nil, apiKey(key)...); l.json["total"] != 0.0 {
		t.Errorf("refused requests stored watches: %s", l.body)
	}
}

package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// contractBatch sends batches as JSON and as CSV (UTF-8, and GBK), asks
// for JSON and for CSV, and has each way of refusing a batch answered.
func contractBatch(t *testing.T, e *env, key string) {
	items := map[string]any{"items": []map[string]string{
		{"certificate_no": "2019-1100-1410-00123", "name": holder},
		{"certificate_no": "20191100000000031", "name": "王芳"},
		{"certificate_no": "20201100141000456", "name": "王五"},
	}}
	if r := want(t, e.do("POST", "/api/v1/verifications/batch", items, apiKey(key)...), 200); len(r.json["results"].([]any)) != 3 {
		t.Fatalf("batch: %s", r.body)
	}
	csv := "certificate_no,name\r\n2019-1100-1410-00123," + holder + "\r\n20191100000000031,王芳\r\n"
	csvHeaders := append(apiKey(key), "Content-Type", "text/csv")
	want(t, e.do("POST", "/api/v1/verifications/batch", "\ufeff"+csv, csvHeaders...), 200)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	want(t, e.do("POST", "/api/v1/verifications/batch", gbk, append(apiKey(key), "Content-Type", "text/csv; charset=gbk")...), 200)
	if r := want(t, e.do("POST", "/api/v1/verifications/batch", items, append(apiKey(key), "Accept", "text/csv")...), 200); !bytes.HasPrefix(r.body, []byte("\ufeffcertificate_no,name,match")) {
		t.Fatalf("CSV answer: %.200s", r.body)
	}
	want(t, e.do("POST", "/api/v1/verifications/batch", csv, append(csvHeaders, "Accept", "text/csv, application/json;q=0.5")...), 200)

	var many strings.Builder
	many.WriteString("certificate_no,name\n")
	for i := range 501 {
		fmt.Fprintf(&many, "A%09d,王芳\n", i)
	}
	for _, tt := range []struct {
		ctype, body string
		status      int
		code        string
	}{
		{"text/csv", many.String(), 422, "too_many_items"},
		{"text/csv", "certificate_no,name\n" + certNo + ",张伟华\n" + certNo + ",张伟华\n", 422, "duplicate_item"},
		{"text/csv", "certificate_no,holder_name\n" + certNo + ",张伟华\n", 400, "invalid_header"},
		{"text/csv", "certificate_no,name\n" + certNo + ",张伟华,x\n", 400, "malformed_row"},
		{"text/csv", "certificate_no,name\n" + certNo + ",张伟华\n,\n", 400, "empty_row"},
		{"text/csv", "certificate_no,name\n12,王芳\n", 400, "invalid_field"},
		{"text/csv; charset=latin1", "certificate_no,name\n", 415, "unsupported_media_type"},
		{"application/json", `{"items":[]}`, 400, "missing_field"},
		{"application/json", `{"items":[{"certificate_no":"20191100000000031","nam":"王芳"}]}`, 400, "unknown_field"},
	} {
		wantProblem(t, e.do("POST", "/api/v1/verifications/batch", tt.body, append(apiKey(key), "Content-Type", tt.ctype)...), tt.status, tt.code)
	}
}

// contractWatches watches two credentials, has their holders changed, and
// lets the webhooks go out: one receiver takes its event (validated against
// the document's webhook), the other fails, so both kinds of delivery are in
// the histories read back.
func contractWatches(t *testing.T, c *contract, e *env, tm team, key, other string) {
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20221100141000321", "holder_name": "赵六"})
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": "20221100141000654", "holder_name": "钱七"})
	ok, down := newHookReceiver(t), newHookReceiver(t)
	down.answer(http.StatusServiceUnavailable)
	w1 := want(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "2022-1100-1410-00321", "name": "赵六", "callback_url": ok.url}, apiKey(key)...), 201).str("id")
	w2 := want(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20221100141000654", "name": "钱七", "callback_url": down.url}, apiKey(key)...), 201).str("id")
	want(t, e.do("GET", "/api/v1/watches", nil, apiKey(key)...), 200)
	want(t, e.do("GET", "/api/v1/watches?page=1&per_page=1", nil, apiKey(key)...), 200)
	want(t, e.do("GET", "/api/v1/watches/"+w1, nil, apiKey(key)...), 200)

	e.clock.Add(time.Minute)
	sus := e.propose(tm.registrar, map[string]any{"kind": "suspend_credential", "certificate_no": "20221100141000321", "reason": "调查期间暂停"})
	want(t, e.approve(tm.reviewer, sus), 200)
	ban := e.propose(tm.registrar, map[string]any{"kind": "impose_ban", "certificate_no": "20221100141000654", "name": "钱七", "scope": "teaching", "starts_on": "2026-06-01", "ends_on": "2031-05-31", "reason": "违反师德"})
	want(t, e.approve(tm.reviewer, ban), 200)
	e.drainAll()
	for _, r := range append(ok.requests(), down.requests()...) {
		c.checkWebhook(r)
	}
	if len(ok.requests()) != 1 || len(down.requests()) != 1 {
		t.Fatalf("webhooks sent: %d and %d, want 1 and 1", len(ok.requests()), len(down.requests()))
	}
	want(t, e.do("GET", "/api/v1/watches/"+w1+"/deliveries", nil, apiKey(key)...), 200)
	if r := want(t, e.do("GET", "/api/v1/watches/"+w2+"/deliveries?per_page=5", nil, apiKey(key)...), 200); !strings.Contains(string(r.body), `"next_attempt_at"`) {
		t.Fatalf("a failed delivery without its next attempt: %s", r.body)
	}

	// Refusals.
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20221100141000321", "name": "赵六", "callback_url": ok.url}, apiKey(key)...), 409, "conflict")
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20221100141000321", "name": "李四", "callback_url": ok.url}, apiKey(key)...), 422, "unknown_reference")
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20221100141000321", "name": "赵六", "callback_url": "http://example.com/hook"}, apiKey(key)...), 400, "invalid_field")
	wantProblem(t, e.do("POST", "/api/v1/watches", map[string]string{"certificate_no": "20221100141000321"}, apiKey(key)...), 400, "missing_field")
	wantProblem(t, e.do("GET", "/api/v1/watches?per_page=0", nil, apiKey(key)...), 400, "invalid_field")
	wantProblem(t, e.do("GET", "/api/v1/watches/"+w1, nil, apiKey(other)...), 403, "forbidden")
	wantProblem(t, e.do("GET", "/api/v1/watches/wa_aaaaaaaaaaaaaaaa", nil, apiKey(key)...), 404, "not_found")
	wantProblem(t, e.do("GET", "/api/v1/watches/wa_aaaaaaaaaaaaaaaa/deliveries", nil, apiKey(key)...), 404, "not_found")
	want(t, e.do("DELETE", "/api/v1/watches/"+w2, nil, apiKey(key)...), 204)
	wantProblem(t, e.do("DELETE", "/api/v1/watches/"+w2, nil, apiKey(key)...), 404, "not_found")
}

// checkWebhook validates a delivery a receiver got against the document's
// webhook holderChanged: its headers, its content type and its event.
func (c *contract) checkWebhook(h hookRequest) {
	c.t.Helper()
	item := c.doc.Webhooks["holderChanged"]
	if item == nil || item.Post == nil {
		c.t.Fatal("the document has no webhook holderChanged")
	}
	req := httptest.NewRequest("POST", "/portal-events", bytes.NewReader(h.body))
	req.Header = h.header.Clone()
	route := &routers.Route{Spec: c.doc, Path: "holderChanged", PathItem: item, Method: "POST", Operation: item.Post}
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		c.t.Errorf("a webhook delivery does not match the document: %.1500s\nbody: %s", err, h.body)
	}
	var ev any
	if err := json.NewDecoder(io.NopCloser(bytes.NewReader(h.body))).Decode(&ev); err != nil {
		c.t.Fatalf("webhook body: %v", err)
	}
	schema := item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if extra := undocumented(schema, ev, ""); len(extra) > 0 {
		c.t.Errorf("a webhook event has members the document does not describe: %v", extra)
	}
	c.mu.Lock()
	c.webhooks++
	c.mu.Unlock()
}

package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// meiliAddedSince returns when Meilisearch enqueued the first document
// addition to the index vars name at or after since, as the engine
// recorded it (GET /tasks, enqueuedAt): the moment the portal's Upsert
// reached it, whatever the engine then took to apply it. ok is false when
// there is none yet.
func meiliAddedSince(t *testing.T, vars map[string]string, since time.Time) (at time.Time, ok bool) {
	t.Helper()
	q := url.Values{"indexUids": {vars["PORTAL_MEILI_INDEX"]}, "types": {"documentAdditionOrUpdate"}, "limit": {"100"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
		strings.TrimSuffix(vars["PORTAL_MEILI_URL"], "/")+"/tasks?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+vars["PORTAL_MEILI_KEY"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("meilisearch tasks: %v", err)
	}
	defer res.Body.Close()
	var body struct {
		Results []struct {
			EnqueuedAt string `json:"enqueuedAt"`
		} `json:"results"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("meilisearch tasks: %d %v", res.StatusCode, err)
	}
	for _, r := range body.Results {
		e, err := time.Parse(time.RFC3339Nano, r.EnqueuedAt)
		if err != nil {
			t.Fatal(fmt.Errorf("meilisearch task enqueuedAt %q: %w", r.EnqueuedAt, err))
		}
		if !e.Before(since) && (!ok || e.Before(at)) {
			at, ok = e, true
		}
	}
	return at, ok
}

package handlers_test

import (
	"strings"
	"testing"
	"time"

	"ethicsportal/redis/redistest"
)

// With Redis, a public case answer read through one instance is served to
// the other from the shared cache, and a withdrawal approved on one shows
// on the other's next read, without waiting for the outbox.
func TestCaseAnswersSharedThroughRedis(t *testing.T) {
	cfg := testConfig(t, redisVars(redistest.URL(t), redistest.Prefix(t)))
	ck := &clock{t: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)}
	opener := sharedBackends()["postgres"](t)
	a, b := newEnvOn(t, cfg, opener(), ck), newEnvOn(t, cfg, opener(), ck)
	tm := a.team()
	id := a.publish(tm.editor, tm.reviewer, caseDraft(), "")

	ra := a.publicCase(id)
	if ra.status != 200 {
		t.Fatalf("a: %d %s", ra.status, ra.body)
	}
	hits := b.app.RedisStats().CacheHits
	rb := b.publicCase(id)
	if rb.status != 200 || string(rb.body) != string(ra.body) {
		t.Fatalf("b: %d %s", rb.status, rb.body)
	}
	if b.app.RedisStats().CacheHits != hits+1 {
		t.Fatal("b did not answer from the shared cache")
	}

	act := a.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": id, "reason": "经复核撤回"})
	if r := a.approve(tm.reviewer, act); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := b.publicCase(id); r.status != 410 || r.str("status") != "withdrawn" {
		t.Fatalf("b after the withdrawal: %d %s", r.status, r.body)
	}

	m := b.do("GET", "/metrics", nil)
	for _, name := range []string{"portal_redis_breaker_open 0", "portal_redis_cache_hits_total", "portal_redis_local_limit_answers_total"} {
		if !strings.Contains(string(m.body), name) {
			t.Errorf("metrics lack %q", name)
		}
	}
}

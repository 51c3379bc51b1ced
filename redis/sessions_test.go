package redis

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"
)

// A token denied through one instance is denied for another, with an
// expiry no later than the token's.
func TestSessionsDenyShared(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	a := newSynced(t, openTest(t, p), nil)
	b := newSynced(t, openTest(t, p), nil)
	if chk, err := b.Check(ctx, "jti-1", "alice"); err != nil || chk.Denied {
		t.Fatalf("before logout: %+v %v", chk, err)
	}
	if err := a.Deny(ctx, "jti-1", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	chk, err := b.Check(ctx, "jti-1", "alice")
	if err != nil || !chk.Denied {
		t.Fatalf("after logout: %+v %v", chk, err)
	}
	if other, _ := b.Check(ctx, "jti-2", "alice"); other.Denied {
		t.Fatal("another token of the same user is denied")
	}
	ttl, err := b.c.rdb.TTL(ctx, b.denyKey("jti-1")).Result()
	if err != nil || ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Fatalf("deny entry ttl %v %v", ttl, err)
	}
	if err := a.Deny(ctx, "jti-old", -time.Second); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.c.rdb.Exists(ctx, b.denyKey("jti-old")).Result(); n != 0 {
		t.Fatal("an expired token got a deny entry")
	}
}

// A reader that looked before an invalidation cannot fill the state it
// read: the change wins, and the next reader fills the new state.
func TestSessionsFillLosesToInvalidation(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	reader := newSynced(t, openTest(t, p), nil)
	writer := newSynced(t, openTest(t, p), nil)

	chk, err := reader.Check(ctx, "j", "alice")
	if err != nil || chk.State != nil {
		t.Fatalf("first check: %+v %v", chk, err)
	}
	// The reader reads the store ("enabled"); meanwhile the user is disabled.
	if err := writer.InvalidateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if ok, err := reader.FillUser(ctx, "alice", chk.Epoch, []byte("enabled")); err != nil || ok {
		t.Fatalf("stale fill stored: %v %v", ok, err)
	}
	again, _ := reader.Check(ctx, "j", "alice")
	if again.State != nil {
		t.Fatalf("stale state cached: %q", again.State)
	}
	if ok, err := reader.FillUser(ctx, "alice", again.Epoch, []byte("disabled")); err != nil || !ok {
		t.Fatalf("fresh fill refused: %v %v", ok, err)
	}
	if got, _ := writer.Check(ctx, "j", "alice"); string(got.State) != "disabled" {
		t.Fatalf("other instance reads %q", got.State)
	}
	// A second fill under the same epoch does not replace the first.
	if ok, _ := reader.FillUser(ctx, "alice", again.Epoch, []byte("other")); ok {
		t.Fatal("a second fill replaced the state")
	}
	// Another user's epoch is apart.
	if bob, _ := reader.Check(ctx, "j", "bob"); bob.State != nil || bob.Epoch != "" {
		t.Fatalf("bob: %+v", bob)
	}
}

// With Redis unreachable every call fails quickly with ErrUnavailable (the
// caller asks the store), and once the breaker is open Check does not
// call Redis at all.
func TestSessionsRedisDown(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, "redis://"+closedPort(t)+"/0", "x:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := NewBreaker(BreakerOptions{Threshold: 2, Cooldown: time.Hour})
	s := NewSessions(c, br, time.Minute, emptySource)
	for i := 0; i < 4; i++ {
		start := time.Now()
		if _, err := s.Check(ctx, "j", "alice"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("check %d: %v", i, err)
		}
		if took := time.Since(start); took > 250*time.Millisecond {
			t.Errorf("check %d took %v", i, took)
		}
	}
	if br.State() != StateOpen || br.Failures() != 2 {
		t.Fatalf("breaker %v after %d failures, want open after 2", br.State(), br.Failures())
	}
	if err := s.Deny(ctx, "j", time.Minute); err == nil {
		t.Fatal("deny reported success with Redis down")
	}
	if err := s.InvalidateUser(ctx, "alice"); err == nil {
		t.Fatal("invalidate reported success with Redis down")
	}
}

func emptySource(context.Context) (map[string]time.Duration, []string, error) { return nil, nil, nil }

// newSynced returns Sessions on c over source (nil: nothing) whose copy is
// made, so that Check answers.
func newSynced(t *testing.T, c *Client, source Source) *Sessions {
	t.Helper()
	if source == nil {
		source = emptySource
	}
	s := NewSessions(c, NewBreaker(BreakerOptions{}), time.Minute, source)
	if err := s.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitAnswers polls Check until it answers, or fails after ten seconds.
func waitAnswers(t *testing.T, s *Sessions, jti, user string) UserCheck {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		chk, err := s.Check(context.Background(), jti, user)
		if err == nil {
			return chk
		}
		if !errors.Is(err, ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("check: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Until Redis holds a whole copy of the deny list, Check sends the caller
// to the store and makes the copy; the copy holds what the store does.
func TestSessionsCopiedBeforeTrusted(t *testing.T) {
	ctx := context.Background()
	p := testPrefix(t)
	source := func(context.Context) (map[string]time.Duration, []string, error) {
		return map[string]time.Duration{"old-logout": time.Hour, "forever": 0}, []string{"alice"}, nil
	}
	s := NewSessions(openTest(t, p), NewBreaker(BreakerOptions{}), time.Minute, source)
	if _, err := s.Check(ctx, "old-logout", "alice"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("check before any copy: %v, want ErrUnavailable", err)
	}
	chk := waitAnswers(t, s, "old-logout", "alice")
	// A check that saw no marker while the first copy ran may start a
	// second (harmless) one once it ended: at least one copy was made.
	if !chk.Denied || s.Syncs() < 1 {
		t.Fatalf("after the copy: %+v, %d copies", chk, s.Syncs())
	}
	if chk := waitAnswers(t, s, "forever", "alice"); !chk.Denied {
		t.Fatal("an entry without expiry was not copied")
	}
	if chk.Epoch == "" {
		t.Fatal("the copy did not move alice's epoch on")
	}
	// Another instance on the same Redis trusts the copy at once.
	other := NewSessions(openTest(t, p), NewBreaker(BreakerOptions{}), time.Minute, source)
	if chk, err := other.Check(ctx, "old-logout", "bob"); err != nil || !chk.Denied {
		t.Fatalf("other instance: %+v %v", chk, err)
	}
}

// A logout made while Redis was down, and Redis coming back empty: the
// copy is rebuilt from the store before Check answers again, so the token
// stays refused throughout (by the store meanwhile).
func TestSessionsAfterRedisRestart(t *testing.T) {
	ctx := context.Background()
	srv := newRedisServer(t)
	srv.Start()
	c, err := Open(ctx, srv.URL(), "restart:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	store := map[string]time.Duration{}
	source := func(context.Context) (map[string]time.Duration, []string, error) {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(store), []string{"alice"}, nil
	}
	br := NewBreaker(BreakerOptions{Threshold: 2, Cooldown: 50 * time.Millisecond})
	s := NewSessions(c, br, time.Minute, source)
	if err := s.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	mu.Lock()
	store["during-outage"] = time.Hour // the store took the logout
	mu.Unlock()
	if err := s.Deny(ctx, "during-outage", time.Hour); err == nil {
		t.Fatal("deny reached a stopped Redis")
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Check(ctx, "during-outage", "alice"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("check during the outage: %v", err)
		}
	}
	if br.State() != StateOpen {
		t.Fatalf("breaker %v during the outage", br.State())
	}
	srv.Start() // empty: no persistence
	chk := waitAnswers(t, s, "during-outage", "alice")
	if !chk.Denied {
		t.Fatal("the logout made during the outage is not denied after Redis came back")
	}
	if s.Syncs() < 2 {
		t.Fatalf("%d copies, want a second one after Redis came back", s.Syncs())
	}
}

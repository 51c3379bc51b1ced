package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

const lease = time.Minute

func enqueue(t *testing.T, st store.Store, ms ...*store.OutboxMessage) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, m := range ms {
			if err := tx.EnqueueOutbox(t.Context(), m); err != nil {
				return err
			}
		}
		return nil
	})
	for i, m := range ms {
		if m.ID == 0 || (i > 0 && m.ID <= ms[i-1].ID) {
			t.Fatalf("EnqueueOutbox set ID %d, want a new one above the last", m.ID)
		}
	}
}

func message(key string, createdAt time.Time) *store.OutboxMessage {
	return &store.OutboxMessage{Topic: "credential.status", ObjectKey: key,
		Payload: json.RawMessage(`{"k":"` + key + `"}`), CreatedAt: createdAt, NextAttemptAt: createdAt}
}

func claim(t *testing.T, st store.Store, owner string, now time.Time, limit int) []store.OutboxMessage {
	t.Helper()
	ms, err := st.ClaimOutbox(t.Context(), store.OutboxClaim{Owner: owner, Now: now, Lease: lease, Limit: limit})
	if err != nil {
		t.Fatalf("ClaimOutbox(%s at %v): %v", owner, now, err)
	}
	return ms
}

// wantClaimed checks that a claim returned exactly the messages want, in
// that order.
func wantClaimed(t *testing.T, what string, got []store.OutboxMessage, want ...*store.OutboxMessage) {
	t.Helper()
	var gotIDs, wantIDs []int64
	for _, m := range got {
		gotIDs = append(gotIDs, m.ID)
	}
	for _, m := range want {
		wantIDs = append(wantIDs, m.ID)
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Fatalf("%s: claimed ids %v, want %v", what, gotIDs, wantIDs)
	}
}

func finish(t *testing.T, st store.Store, id int64, owner string, r store.OutboxResult) {
	t.Helper()
	if err := st.FinishOutbox(t.Context(), id, owner, r); err != nil {
		t.Fatalf("FinishOutbox(%d, %s): %v", id, owner, err)
	}
}

func delivered(at time.Time) store.OutboxResult {
	return store.OutboxResult{Done: []string{"index"}, Delivered: true, At: at}
}

// leased is what a claim of m by owner at now returns, on its attempts-th
// attempt.
func leased(m *store.OutboxMessage, owner string, now time.Time, attempts int) store.OutboxMessage {
	w := *m
	w.Attempts, w.ClaimedBy, w.ClaimedUntil = attempts, owner, now.Add(lease)
	return norm(w)
}

func testOutboxRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	m1 := &store.OutboxMessage{Topic: "credential.status", ObjectKey: "credential:A1", Payload: oddJSON,
		CreatedAt: t0, NextAttemptAt: t0.Add(time.Millisecond)}
	m2 := &store.OutboxMessage{Topic: "ban.imposed", ObjectKey: "person:7", Payload: nil, // no payload
		CreatedAt: t0.Add(time.Second), NextAttemptAt: t0.Add(-time.Hour)}
	enqueue(t, st, m1, m2)

	now := t0.Add(time.Second + 321*time.Nanosecond)
	got := claim(t, st, "w1", now, 10)
	wantClaimed(t, "the first claim", got, m1, m2)
	checkEqual(t, "m1 claimed", leased(m1, "w1", now, 1), &got[0])
	checkEqual(t, "m2 claimed", leased(m2, "w1", now, 1), &got[1])

	retry := now.Add(10 * time.Minute)
	finish(t, st, m1.ID, "w1", store.OutboxResult{Done: []string{"index"}, NextAttemptAt: retry,
		LastError: "webhook: 503 Service Unavailable", At: now.Add(time.Second)})
	finish(t, st, m2.ID, "w1", store.OutboxResult{Done: []string{"index", "cache", "webhook"}, Delivered: true,
		At: now.Add(2 * time.Second)})

	if got := claim(t, st, "w2", retry.Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claimed %+v before the next attempt was due", got)
	}
	got = claim(t, st, "w2", retry, 10)
	wantClaimed(t, "the claim at the next attempt", got, m1)
	want := leased(m1, "w2", retry, 2)
	want.NextAttemptAt, want.Done, want.LastError = micro(retry), []string{"index"}, "webhook: 503 Service Unavailable"
	checkEqual(t, "m1 claimed again", want, &got[0])

	finish(t, st, m1.ID, "w2", delivered(retry.Add(time.Second)))
	if got := claim(t, st, "w3", retry.Add(1000*time.Hour), 10); len(got) != 0 {
		t.Errorf("delivered messages were claimed again: %+v", got)
	}
}

// testOutboxOrderPerKey: a message waits while an older one of its object
// is undelivered, leased or not; other objects' messages go ahead.
func testOutboxOrderPerKey(t *testing.T, s suite) {
	st := s.open(t)
	k1a, k2, k1b, k3, k1c := message("K1", t0), message("K2", t0), message("K1", t0), message("K3", t0), message("K1", t0)
	enqueue(t, st, k1a, k2, k1b)
	enqueue(t, st, k3, k1c)

	wantClaimed(t, "claim of 2", claim(t, st, "w1", t0, 2), k1a, k2)
	wantClaimed(t, "claim of the rest", claim(t, st, "w2", t0, 10), k3)
	wantClaimed(t, "claim while K1's first is leased", claim(t, st, "w3", t0, 10))

	// Not delivered, due again at once: k1a comes back, k1b still waits.
	finish(t, st, k1a.ID, "w1", store.OutboxResult{NextAttemptAt: t0, LastError: "index down", At: t0})
	got := claim(t, st, "w3", t0, 10)
	wantClaimed(t, "claim after K1's first failed", got, k1a)
	if got[0].Attempts != 2 {
		t.Errorf("k1a claimed a second time with Attempts %d, want 2", got[0].Attempts)
	}
	finish(t, st, k1a.ID, "w3", delivered(t0))
	wantClaimed(t, "claim after K1's first was delivered", claim(t, st, "w4", t0, 10), k1b)
	finish(t, st, k2.ID, "w1", delivered(t0))
	finish(t, st, k3.ID, "w2", delivered(t0))
	finish(t, st, k1b.ID, "w4", delivered(t0))
	wantClaimed(t, "claim after K1's second was delivered", claim(t, st, "w5", t0, 10), k1c)
	finish(t, st, k1c.ID, "w5", delivered(t0))
	wantClaimed(t, "claim after everything was delivered", claim(t, st, "w6", t0.Add(time.Hour), 10))
}

// testOutboxLease: a leased message is not claimed again until its lease
// ends; then it is, with Attempts counted on, and the first worker's
// outcome is refused.
func testOutboxLease(t *testing.T, s suite) {
	st := s.open(t)
	m := message("K1", t0)
	enqueue(t, st, m)
	wantClaimed(t, "the first claim", claim(t, st, "w1", t0, 10), m)
	end := t0.Add(lease)
	wantClaimed(t, "a claim at once", claim(t, st, "w2", t0, 10))
	wantClaimed(t, "a claim just before the lease ends", claim(t, st, "w2", end.Add(-time.Microsecond), 10))
	got := claim(t, st, "w2", end, 10) // the lease no longer runs past now
	wantClaimed(t, "a claim when the lease ends", got, m)
	checkEqual(t, "the message claimed again", leased(m, "w2", end, 2), &got[0])

	err := st.FinishOutbox(t.Context(), m.ID, "w1", delivered(end))
	wantCode(t, "FinishOutbox by the worker whose lease ran out", err, store.EConflict)
	// w1's outcome was dropped: the message is still w2's and undelivered.
	wantClaimed(t, "a claim during w2's lease", claim(t, st, "w3", end, 10))
	retry := end.Add(5 * time.Minute)
	finish(t, st, m.ID, "w2", store.OutboxResult{Done: []string{"cache"}, NextAttemptAt: retry, LastError: "e", At: end})
	err = st.FinishOutbox(t.Context(), m.ID, "w2", delivered(end))
	wantCode(t, "FinishOutbox after the lease was released", err, store.EConflict)

	// Released, but not due before its next attempt.
	wantClaimed(t, "a claim after release, before the next attempt", claim(t, st, "w3", end.Add(2*lease), 10))
	got = claim(t, st, "w3", retry, 10)
	wantClaimed(t, "a claim at the next attempt", got, m)
	want := leased(m, "w3", retry, 3)
	want.NextAttemptAt, want.Done, want.LastError = micro(retry), []string{"cache"}, "e"
	checkEqual(t, "the message at its third attempt", want, &got[0])
}

// testOutboxNextAttempt: a message is not claimed before its NextAttemptAt.
func testOutboxNextAttempt(t *testing.T, s suite) {
	st := s.open(t)
	later := message("K1", t0)
	later.NextAttemptAt = t0.Add(time.Hour)
	due := message("K2", t0)
	enqueue(t, st, later, due)
	wantClaimed(t, "a claim at t0", claim(t, st, "w1", t0, 10), due)
	finish(t, st, due.ID, "w1", delivered(t0))
	wantClaimed(t, "a claim just before the hour", claim(t, st, "w1", later.NextAttemptAt.Add(-time.Microsecond), 10))
	wantClaimed(t, "a claim on the hour", claim(t, st, "w1", later.NextAttemptAt, 10), later)
}

func testOutboxFinishWrongOwner(t *testing.T, s suite) {
	st := s.open(t)
	m := message("K1", t0)
	enqueue(t, st, m)
	wantClaimed(t, "the claim", claim(t, st, "w1", t0, 10), m)
	for _, owner := range []string{"w2", "", "W1"} {
		err := st.FinishOutbox(t.Context(), m.ID, owner,
			store.OutboxResult{Done: []string{"x", "y"}, Delivered: true, At: t0})
		wantCode(t, fmt.Sprintf("FinishOutbox by %q", owner), err, store.EConflict)
	}
	finish(t, st, m.ID, "w1", store.OutboxResult{Done: []string{"index"}, NextAttemptAt: t0, LastError: "e", At: t0})
	got := claim(t, st, "w1", t0, 10)
	wantClaimed(t, "the claim after w1 finished", got, m)
	want := leased(m, "w1", t0, 2)
	want.Done, want.LastError = []string{"index"}, "e"
	checkEqual(t, "the message, with w1's outcome only", want, &got[0])
}

// testOutboxClaimRace has six workers on two instances claim from one
// backlog at once until it is empty: every message is leased exactly once.
func testOutboxClaimRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const n, workers = 60, 6
	ms := make([]*store.OutboxMessage, n)
	for i := range ms {
		ms[i] = message(fmt.Sprint("K", i), t0)
	}
	enqueue(t, a, ms...)
	var (
		claimed [workers][]store.OutboxMessage
		errs    [workers]error
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range workers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			for {
				got, err := st.ClaimOutbox(t.Context(), store.OutboxClaim{
					Owner: fmt.Sprint("w", w), Now: t0, Lease: lease, Limit: 4})
				if err != nil {
					errs[w] = err
					return
				}
				if len(got) == 0 {
					return
				}
				claimed[w] = append(claimed[w], got...)
			}
		})
	}
	close(start)
	wg.Wait()
	owner := map[int64]int{}
	for w := range workers {
		if errs[w] != nil {
			t.Errorf("worker %d: %v", w, errs[w])
		}
		for _, m := range claimed[w] {
			if prev, dup := owner[m.ID]; dup {
				t.Errorf("message %d was leased to workers %d and %d", m.ID, prev, w)
			}
			owner[m.ID] = w
			if m.ClaimedBy != fmt.Sprint("w", w) || m.Attempts != 1 {
				t.Errorf("worker %d got message %d with ClaimedBy %q, Attempts %d", w, m.ID, m.ClaimedBy, m.Attempts)
			}
		}
	}
	if len(owner) != n {
		t.Errorf("%d messages were claimed, want all %d", len(owner), n)
	}
}

func testOutboxStats(t *testing.T, s suite) {
	st := s.open(t)
	check := func(what string, pending int, oldest time.Time) {
		t.Helper()
		got, err := st.OutboxStats(t.Context())
		if err != nil {
			t.Fatalf("%s: OutboxStats: %v", what, err)
		}
		checkEqual(t, what, store.OutboxStats{Pending: pending, OldestPending: micro(oldest)}, &got)
	}
	check("an empty outbox", 0, time.Time{})
	// The oldest is not the first enqueued.
	m1, m2, m3 := message("K1", t0.Add(2*time.Hour)), message("K2", t0), message("K3", t0.Add(time.Hour))
	enqueue(t, st, m1, m2, m3)
	check("three enqueued", 3, t0)
	now := t0.Add(3 * time.Hour)
	wantClaimed(t, "the claim", claim(t, st, "w1", now, 10), m1, m2, m3)
	check("three leased", 3, t0)
	finish(t, st, m2.ID, "w1", delivered(now))
	check("the oldest delivered", 2, t0.Add(time.Hour))
	finish(t, st, m1.ID, "w1", store.OutboxResult{NextAttemptAt: now, LastError: "e", At: now})
	check("one failed", 2, t0.Add(time.Hour))
	finish(t, st, m3.ID, "w1", delivered(now))
	wantClaimed(t, "the claim of the failed one", claim(t, st, "w1", now, 10), m1)
	finish(t, st, m1.ID, "w1", delivered(now))
	check("all delivered", 0, time.Time{})
}

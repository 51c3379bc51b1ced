package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ethicsportal/store"
)

// The concurrency properties that matter on a database shared by several
// instances: the audit chain never forks, an action is decided once, and
// the outbox leases each message to one worker at a time and delivers each
// object's messages in order. Two handles stand for two instances.

// 2×20 transactions appending at once, on two pools: Seq 1..40 with no gap,
// each event sealed on its predecessor, details byte for byte as written.
func TestAppendAuditConcurrent(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	stores := []store.Store{opener(t), opener(t)}
	const perStore = 20
	written := make(map[string][]byte) // object -> details
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 * perStore {
		s := stores[i%2]
		object := fmt.Sprintf("test:%d", i)
		// Spacing and key order a JSON re-encoding would change.
		details := json.RawMessage(fmt.Sprintf(`{"z": %d,  "a":"張偉華\u00e9"}`, i))
		mu.Lock()
		written[object] = details
		mu.Unlock()
		wg.Go(func() {
			<-start
			err := s.Update(ctx, func(tx store.Tx) error {
				// A write before the append, as an applied action makes.
				if err := tx.CreateAction(ctx, &store.Action{Kind: store.ActionLiftBan, Object: object,
					Status: store.ActionPending, ProposedBy: "li", ProposedAt: t0}); err != nil {
					return err
				}
				e := &store.AuditEvent{At: t0.Add(time.Duration(i) * time.Second), Actor: "li",
					Action: "action.apply", Object: object, Details: details}
				return tx.AppendAudit(ctx, e)
			})
			if err != nil {
				t.Errorf("append %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()

	es, err := stores[0].AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2*perStore {
		t.Fatalf("%d events, want %d", len(es), 2*perStore)
	}
	var prev *store.AuditEvent
	for i := range es {
		e := &es[i]
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
		if !e.Check(prev) {
			t.Fatalf("event %d does not follow event %d", e.Seq, e.Seq-1)
		}
		if !bytes.Equal(e.Details, written[e.Object]) {
			t.Fatalf("event %d details %q, want %q", e.Seq, e.Details, written[e.Object])
		}
		prev = e
	}
	last, err := stores[1].LastAuditEvent(ctx)
	if err != nil || last.Seq != 2*perStore || !bytes.Equal(last.Hash, prev.Hash) {
		t.Fatalf("LastAuditEvent = %+v, %v; want the event with Seq %d", last, err, 2*perStore)
	}
}

// Transactions on two pools decide one action at the same moment: one
// wins, every other gets EConflict and can carry on in its transaction.
func TestDecideActionRace(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	stores := []store.Store{opener(t), opener(t)}
	const racers = 6
	for round := range 4 {
		a := &store.Action{Kind: store.ActionRevokeCredential, Object: "credential:X", Status: store.ActionPending,
			ProposedBy: "li", ProposedAt: t0}
		update(t, stores[0], func(tx store.Tx) error { return tx.CreateAction(ctx, a) })
		var wg, ready sync.WaitGroup
		start := make(chan struct{})
		var wins, conflicts atomic.Int32
		winner := make(chan string, racers)
		for i := range racers {
			by := fmt.Sprintf("reviewer%d", i)
			status := []string{store.ActionApplied, store.ActionRejected}[(i+round)%2]
			ready.Add(1)
			wg.Go(func() {
				err := stores[i%2].Update(ctx, func(tx store.Tx) error {
					// Every racer has seen the action pending before any decides.
					got, err := tx.ActionByID(ctx, a.ID)
					ready.Done()
					if err != nil {
						return err
					}
					if got.Status != store.ActionPending {
						return fmt.Errorf("status %q before deciding", got.Status)
					}
					<-start
					err = tx.DecideAction(ctx, a.ID, status, by, t0.Add(time.Minute), "reason of "+by)
					switch {
					case err == nil:
						wins.Add(1)
						winner <- by
						return nil
					case store.IsCode(err, store.EConflict):
						conflicts.Add(1)
						_, err := tx.ActionByID(ctx, a.ID) // the transaction is still usable
						return err
					default:
						return err
					}
				})
				if err != nil {
					t.Errorf("racer %s: %v", by, err)
				}
			})
		}
		ready.Wait()
		close(start)
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != racers-1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and %d", round, wins.Load(), conflicts.Load(), racers-1)
		}
		got, err := stores[1].ActionByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if by := <-winner; got.DecidedBy != by || got.DecisionReason != "reason of "+by || got.Status == store.ActionPending {
			t.Fatalf("round %d: stored %+v, want the decision of %s", round, got, by)
		}
	}
}

// Four workers on two pools drain a backlog of several objects: every
// message is claimed exactly once (leases are long, so a second claim would
// be a double lease), and each object's messages in id order.
func TestClaimOutboxRace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opener := newDB(t)
	stores := []store.Store{opener(t), opener(t)}
	const objects, perObject = 5, 12
	ids := map[string][]int64{} // object key -> ids in enqueue order
	update(t, stores[0], func(tx store.Tx) error {
		for i := range objects * perObject {
			key := fmt.Sprintf("case:%d", i%objects)
			m := &store.OutboxMessage{Topic: "case.published", ObjectKey: key,
				Payload: json.RawMessage(`{"n":` + fmt.Sprint(i) + `}`), CreatedAt: t0, NextAttemptAt: t0}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
			ids[key] = append(ids[key], m.ID)
		}
		return nil
	})

	var mu sync.Mutex
	claimed := map[int64]string{} // id -> worker
	order := map[string][]int64{} // object key -> ids in claim order
	delivered := map[int64]bool{} // marked before FinishOutbox commits
	var left atomic.Int32
	left.Store(objects * perObject)
	now := t0.Add(time.Second)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range 4 {
		owner := fmt.Sprintf("worker%d", w)
		s := stores[w%2]
		wg.Go(func() {
			<-start
			for left.Load() > 0 && ctx.Err() == nil {
				ms, err := s.ClaimOutbox(ctx, store.OutboxClaim{Owner: owner, Now: now, Lease: time.Hour, Limit: 3})
				if err != nil {
					t.Errorf("%s: claim: %v", owner, err)
					return
				}
				if len(ms) == 0 {
					time.Sleep(time.Millisecond) // the others hold what is due
					continue
				}
				mu.Lock()
				for i, m := range ms {
					if i > 0 && ms[i-1].ID >= m.ID {
						t.Errorf("%s: claim not in id order: %d after %d", owner, m.ID, ms[i-1].ID)
					}
					if other, ok := claimed[m.ID]; ok {
						t.Errorf("message %d leased to %s and then to %s", m.ID, other, owner)
					}
					claimed[m.ID] = owner
					for _, older := range ids[m.ObjectKey] {
						if older < m.ID && !delivered[older] {
							t.Errorf("message %d of %s claimed before %d was delivered", m.ID, m.ObjectKey, older)
						}
					}
					order[m.ObjectKey] = append(order[m.ObjectKey], m.ID)
					if m.ClaimedBy != owner || m.Attempts != 1 || !m.ClaimedUntil.Equal(now.Add(time.Hour).Truncate(time.Microsecond)) {
						t.Errorf("%s: claimed %+v", owner, m)
					}
				}
				mu.Unlock()
				for _, m := range ms {
					mu.Lock()
					delivered[m.ID] = true
					mu.Unlock()
					err := s.FinishOutbox(ctx, m.ID, owner, store.OutboxResult{Done: []string{"index"}, Delivered: true, At: now})
					if err != nil {
						t.Errorf("%s: finish %d: %v", owner, m.ID, err)
					}
					left.Add(-1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("not drained: %d messages left", left.Load())
	}
	for key, want := range ids {
		if !slices.Equal(order[key], want) {
			t.Errorf("%s claimed in order %v, want %v", key, order[key], want)
		}
	}
	st, err := stores[1].OutboxStats(ctx)
	if err != nil || st.Pending != 0 || !st.OldestPending.IsZero() {
		t.Fatalf("OutboxStats = %+v, %v; want an empty backlog", st, err)
	}
}

// While a transaction that enqueued for an object is open, a second one
// enqueuing for the same object waits: otherwise it could commit a message
// with a higher id first, and a claim would deliver it before the older.
func TestEnqueueOutboxKeepsObjectOrder(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	enqueued, release, done := make(chan int64), make(chan struct{}), make(chan struct{})
	// On every way out, so that a failure cannot leave the first
	// transaction holding its connection while Close waits for it.
	var once sync.Once
	releaseFirst := func() { once.Do(func() { close(release) }) }
	t.Cleanup(func() { releaseFirst(); <-done })
	var firstErr error
	go func() {
		defer close(done)
		firstErr = a.Update(ctx, func(tx store.Tx) error {
			m := &store.OutboxMessage{Topic: "t", ObjectKey: "case:1", CreatedAt: t0}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				close(enqueued)
				return err
			}
			enqueued <- m.ID
			<-release
			return nil
		})
	}()
	firstID, ok := <-enqueued
	if !ok {
		<-done
		t.Fatal(firstErr)
	}

	// The second transaction cannot get its message in while the first is open.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := b.Update(short, func(tx store.Tx) error {
		return tx.EnqueueOutbox(short, &store.OutboxMessage{Topic: "t", ObjectKey: "case:1", CreatedAt: t0})
	})
	cancel()
	if err == nil {
		t.Fatal("a second enqueue for the object committed while the first transaction was open")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second enqueue: %v, want it to wait until its deadline", err)
	}
	// Another object is not held up.
	update(t, b, func(tx store.Tx) error {
		return tx.EnqueueOutbox(ctx, &store.OutboxMessage{Topic: "t", ObjectKey: "case:2", CreatedAt: t0})
	})
	releaseFirst()
	if <-done; firstErr != nil {
		t.Fatal(firstErr)
	}
	update(t, b, func(tx store.Tx) error {
		return tx.EnqueueOutbox(ctx, &store.OutboxMessage{Topic: "t", ObjectKey: "case:1", CreatedAt: t0})
	})
	ms, err := b.ClaimOutbox(ctx, store.OutboxClaim{Owner: "w", Now: t0, Lease: time.Minute, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.ObjectKey)
		if m.ObjectKey == "case:1" && m.ID != firstID {
			t.Fatalf("claimed message %d of case:1, want the older %d", m.ID, firstID)
		}
	}
	if !slices.Equal(keys, []string{"case:1", "case:2"}) {
		t.Fatalf("claimed messages of %v, want the older of case:1, then case:2", keys)
	}
}

// PostgreSQL aborts a transaction at the first failed statement; the
// expected failures of the new Tx methods must not, so that a caller can
// carry on and commit, as on SQLite.
func TestExpectedFailuresLeaveTxUsable(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	p := &store.Person{Name: "张伟华", CreatedAt: t0}
	b := &store.Ban{Scope: store.BanScopeTeaching, StartsOn: store.NewDate(2024, time.January, 1), Reason: "r", CreatedAt: t0}
	a := &store.Action{Kind: store.ActionLiftBan, Object: "ban:1", Status: store.ActionPending, ProposedBy: "li", ProposedAt: t0}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreatePersons(ctx, []*store.Person{p}); err != nil {
			return err
		}
		b.PersonID = p.ID
		if err := tx.CreateBan(ctx, b); err != nil {
			return err
		}
		return tx.CreateAction(ctx, a)
	})
	update(t, s, func(tx store.Tx) error {
		for what, err := range map[string]error{
			"DecideAction of an unknown action":         tx.DecideAction(ctx, a.ID+100, store.ActionApplied, "wang", t0, ""),
			"DecideAction with a bad status":            tx.DecideAction(ctx, a.ID, store.ActionPending, "wang", t0, ""),
			"LiftBan of an unknown ban":                 tx.LiftBan(ctx, b.ID+100, t0),
			"LinkCredentialPerson of an unknown number": tx.LinkCredentialPerson(ctx, "Z9", 0, p.ID, t0),
			"SetCredentialStatus of an unknown number": tx.SetCredentialStatus(ctx, "Z9", store.CredentialStatus{Status: store.StatusActive},
				store.CredentialStatus{Status: store.StatusRevoked}, "", t0),
			"AddCredentialChange of an unknown number": tx.AddCredentialChange(ctx, &store.CredentialChange{
				CertificateNo: "Z9", At: t0, FromStatus: store.StatusActive, ToStatus: store.StatusRevoked}),
		} {
			if err == nil || store.IsCode(err, store.EInternal) {
				t.Errorf("%s: %v, want an expected failure", what, err)
			}
		}
		if err := tx.DecideAction(ctx, a.ID, store.ActionApplied, "wang", t0, ""); err != nil {
			return err
		}
		if err := tx.LiftBan(ctx, b.ID, t0); err != nil {
			return err
		}
		wantCode(t, tx.DecideAction(ctx, a.ID, store.ActionRejected, "zhao", t0, ""), store.EConflict)
		wantCode(t, tx.LiftBan(ctx, b.ID, t0.Add(time.Hour)), store.EConflict)
		return tx.AppendAudit(ctx, &store.AuditEvent{At: t0, Actor: "wang", Action: "action.apply", Object: "action:1"})
	})
	got, err := s.ActionByID(ctx, a.ID)
	if err != nil || got.Status != store.ActionApplied || got.DecidedBy != "wang" {
		t.Fatalf("action after the transaction: %+v, %v", got, err)
	}
	ban, err := s.BanByID(ctx, b.ID)
	if err != nil || !ban.LiftedAt.Equal(t0.Truncate(time.Microsecond)) {
		t.Fatalf("ban after the transaction: %+v, %v", ban, err)
	}
	if e, err := s.LastAuditEvent(ctx); err != nil || e.Seq != 1 || !e.Check(nil) {
		t.Fatalf("audit after the transaction: %+v, %v", e, err)
	}
}

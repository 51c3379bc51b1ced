package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

func appendAudit(t *testing.T, st store.Store, es ...*store.AuditEvent) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, e := range es {
			if err := tx.AppendAudit(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
}

// readAudit reads the whole log from r in pages of size events, checking
// that each page continues the one before.
func readAudit(t *testing.T, r store.Reader, size int) []store.AuditEvent {
	t.Helper()
	var all []store.AuditEvent
	after := int64(0)
	for {
		page, err := r.AuditEvents(t.Context(), after, size)
		if err != nil {
			t.Fatalf("AuditEvents(%d, %d): %v", after, size, err)
		}
		if len(page) > size {
			t.Fatalf("AuditEvents(%d, %d) returned %d events", after, size, len(page))
		}
		if len(page) == 0 {
			return all
		}
		if page[0].Seq <= after {
			t.Fatalf("AuditEvents(%d, %d) began at Seq %d", after, size, page[0].Seq)
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// checkChain checks that events are Seq 1..len(events), each intact and
// following the one before.
func checkChain(t *testing.T, events []store.AuditEvent) {
	t.Helper()
	var prev *store.AuditEvent
	for i := range events {
		e := &events[i]
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d, want %d", i, e.Seq, i+1)
		}
		if !e.Check(prev) {
			t.Fatalf("event %d does not check against its predecessor: %+v", e.Seq, e)
		}
		prev = e
	}
}

func testAuditRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		e, err := r.LastAuditEvent(t.Context())
		wantCode(t, "LastAuditEvent of an empty log", err, store.ENotFound)
		if e != nil {
			t.Errorf("LastAuditEvent of an empty log returned %+v with its error", e)
		}
		if got, err := r.AuditEvents(t.Context(), 0, 10); err != nil || len(got) != 0 {
			t.Errorf("AuditEvents of an empty log = %+v, %v; want none", got, err)
		}
	})

	e1 := &store.AuditEvent{At: t0, Actor: "alice", Action: "action.apply", Object: "action:12",
		Details: json.RawMessage(`{"b":1,  "a":[2]}`)}
	appendAudit(t, st, e1)
	if e1.Seq != 1 || !bytes.Equal(e1.PrevHash, store.GenesisHash) || !e1.Check(nil) {
		t.Errorf("the first event was sealed as %+v, want Seq 1 after the genesis hash", e1)
	}
	if !e1.At.Equal(micro(t0)) || e1.At.Location() != time.UTC {
		t.Errorf("AppendAudit left At %v, want %v", e1.At, micro(t0))
	}

	// A rolled-back append takes its Seq with it: no gap follows.
	sentinel := errors.New("storetest: deliberate failure")
	err := st.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.AppendAudit(t.Context(), &store.AuditEvent{At: t0, Actor: "x", Action: "x", Object: "x"}); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update = %v, want the error fn returned", err)
	}

	// Two appends in one transaction: the second follows the first, which
	// the transaction reads back as the last event before it commits.
	e2 := &store.AuditEvent{At: t0.Add(time.Second), Actor: "cli", Action: "credential.import", Object: "import:1"}
	e3 := &store.AuditEvent{At: t0.Add(-time.Hour), Actor: "张老师", Action: "auth.login", Object: "user:张老师",
		Details: oddJSON}
	update(t, st, func(tx store.Tx) error {
		if err := tx.AppendAudit(t.Context(), e2); err != nil {
			return err
		}
		last, err := tx.LastAuditEvent(t.Context())
		if err != nil {
			t.Fatalf("LastAuditEvent inside the transaction: %v", err)
		}
		checkEqual(t, "LastAuditEvent inside the transaction", *e2, last)
		return tx.AppendAudit(t.Context(), e3)
	})
	if string(e2.Details) != "{}" {
		t.Errorf("empty Details were sealed as %q, want {}", e2.Details)
	}
	for i, c := range []struct {
		e    *store.AuditEvent
		prev *store.AuditEvent
	}{{e2, e1}, {e3, e2}} {
		if c.e.Seq != int64(i+2) || !c.e.Check(c.prev) {
			t.Errorf("event %d was sealed as %+v, want Seq %d following %x", i+2, c.e, i+2, c.prev.Hash)
		}
	}

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.AuditEvents(t.Context(), 0, 10)
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if len(got) != 3 {
			t.Fatalf("AuditEvents returned %d events, want 3: %+v", len(got), got)
		}
		for i, e := range []*store.AuditEvent{e1, e2, e3} {
			checkEqual(t, fmt.Sprintf("event %d", i+1), *e, &got[i])
		}
		checkChain(t, got)
		last, err := r.LastAuditEvent(t.Context())
		if err != nil {
			t.Fatalf("LastAuditEvent: %v", err)
		}
		checkEqual(t, "LastAuditEvent", *e3, last)
	})
}

func testAuditPaging(t *testing.T, s suite) {
	st := s.open(t)
	const n = 10
	for i := range n {
		appendAudit(t, st, &store.AuditEvent{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice",
			Action: "case.publish", Object: fmt.Sprintf("case:%d", i), Details: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
	}
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, c := range []struct {
			after      int64
			limit      int
			first, end int64 // Seq of the first event and one past the last
		}{
			{0, 4, 1, 5}, {4, 4, 5, 9}, {8, 4, 9, 11}, {10, 4, 0, 0},
			{0, 100, 1, 11}, {3, 1, 4, 5}, {3, 0, 0, 0}, {20, 5, 0, 0},
		} {
			got, err := r.AuditEvents(t.Context(), c.after, c.limit)
			if err != nil {
				t.Fatalf("AuditEvents(%d, %d): %v", c.after, c.limit, err)
			}
			if want := int(c.end - c.first); len(got) != want {
				t.Errorf("AuditEvents(%d, %d) returned %d events, want %d", c.after, c.limit, len(got), want)
				continue
			}
			for i, e := range got {
				if want := c.first + int64(i); e.Seq != want || e.Object != fmt.Sprintf("case:%d", want-1) {
					t.Errorf("AuditEvents(%d, %d)[%d] = Seq %d %s, want Seq %d", c.after, c.limit, i, e.Seq, e.Object, want)
				}
			}
		}
		checkChain(t, readAudit(t, r, 3))
	})
}

// testAppendAuditRace appends from eight goroutines on two instances at
// once: the log comes out as one chain, Seq 1..N with no gap or repeat,
// holding every event once, each as its appender was told it was sealed.
func testAppendAuditRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const goroutines, each = 8, 5 // 20 appends per handle
	var (
		sealed [goroutines][each]store.AuditEvent
		errs   [goroutines]error
		start  = make(chan struct{})
		wg     sync.WaitGroup
	)
	for g := range goroutines {
		st := a
		if g%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			for i := range each {
				e := &store.AuditEvent{At: t0.Add(time.Duration(g*each+i) * time.Millisecond),
					Actor: fmt.Sprint("worker-", g), Action: "test.append", Object: fmt.Sprintf("g%d-i%d", g, i),
					Details: json.RawMessage(fmt.Sprintf(`{"g": %d,"i":%d }`, g, i))}
				if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.AppendAudit(t.Context(), e) }); err != nil {
					errs[g] = fmt.Errorf("append %d: %w", i, err)
					return
				}
				sealed[g][i] = *e
			}
		})
	}
	close(start)
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", g, err)
		}
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		events := readAudit(t, st, 7)
		if len(events) != goroutines*each {
			t.Fatalf("handle %s: the log holds %d events, want %d", name, len(events), goroutines*each)
		}
		checkChain(t, events)
		byObject := map[string]store.AuditEvent{}
		for _, e := range events {
			if _, dup := byObject[e.Object]; dup {
				t.Errorf("handle %s: %s is in the log twice", name, e.Object)
			}
			byObject[e.Object] = e
		}
		for g := range goroutines {
			for i := range each {
				want := sealed[g][i]
				got, ok := byObject[want.Object]
				if !ok {
					t.Errorf("handle %s: %s is missing from the log", name, want.Object)
					continue
				}
				checkEqual(t, "handle "+name+": event "+want.Object, want, &got)
			}
		}
	}
}

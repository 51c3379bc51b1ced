package outbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/outbox"
	"ethicsportal/outbox/outboxtest"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// fixture is a worker on a SQLite store with a clock the test controls.
type fixture struct {
	st     *sqlite.DB
	worker *outbox.Worker
	mu     sync.Mutex
	now    time.Time
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T, dir string, start time.Time, timing outbox.Timing, consumers ...outbox.Consumer) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, now: start}
	f.worker = outbox.NewWorker(st, consumers, slog.New(slog.NewTextHandler(io.Discard, nil)), f.clock, timing)
	return f
}

// enqueue commits one message for key, due now.
func (f *fixture) enqueue(t testing.TB, key string) {
	t.Helper()
	err := f.st.Update(context.Background(), func(tx store.Tx) error {
		return outbox.Enqueue(context.Background(), tx, f.clock(), "credential.status", key, map[string]string{"key": key})
	})
	if err != nil {
		t.Fatal(err)
	}
}

var start = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)

func TestDeliversOnce(t *testing.T) {
	rec := &outboxtest.Recorder{ConsumerName: "rec"}
	f := newFixture(t, t.TempDir(), start, outbox.Timing{}, rec)
	f.enqueue(t, "credential:1")
	if n, err := f.worker.Drain(context.Background(), "w1"); err != nil || n != 1 {
		t.Fatalf("drain: %d %v", n, err)
	}
	got := rec.Messages()
	if len(got) != 1 || got[0].ObjectKey != "credential:1" || string(got[0].Payload) != `{"key":"credential:1"}` {
		t.Fatalf("delivered %+v", got)
	}
	if n, _ := f.worker.Drain(context.Background(), "w1"); n != 0 {
		t.Fatal("a delivered message was claimed again")
	}
	if d := f.worker.Stats().Delivered.Load(); d != 1 {
		t.Fatalf("delivered count %d", d)
	}
}

func TestRetriesOnlyWhatFailed(t *testing.T) {
	good := &outboxtest.Recorder{ConsumerName: "good"}
	flaky := &outboxtest.Recorder{ConsumerName: "flaky", Fail: 2}
	f := newFixture(t, t.TempDir(), start, outbox.Timing{}, good, flaky)
	f.enqueue(t, "credential:1")
	ctx := context.Background()
	f.worker.Drain(ctx, "w1") // good takes it, flaky fails
	if n, _ := f.worker.Drain(ctx, "w1"); n != 0 {
		t.Fatal("a failed message was retried before its back-off")
	}
	st, _ := f.st.OutboxStats(ctx)
	if st.Pending != 1 || !st.OldestPending.Equal(start) {
		t.Fatalf("stats while failing: %+v", st)
	}
	f.advance(2 * time.Second) // first back-off is about a second
	f.worker.Drain(ctx, "w1")  // flaky fails again
	f.advance(10 * time.Second)
	if n, _ := f.worker.Drain(ctx, "w1"); n != 1 {
		t.Fatalf("third attempt claimed %d", n)
	}
	if len(good.Messages()) != 1 || len(flaky.Messages()) != 1 {
		t.Fatalf("good got %d, flaky got %d: want each exactly once", len(good.Messages()), len(flaky.Messages()))
	}
	if f.worker.Stats().Failed.Load() != 2 || f.worker.Stats().Delivered.Load() != 1 {
		t.Fatalf("worker stats: failed %d delivered %d", f.worker.Stats().Failed.Load(), f.worker.Stats().Delivered.Load())
	}
}

func TestKeepsOrderPerObject(t *testing.T) {
	rec := &outboxtest.Recorder{ConsumerName: "rec", Fail: 1}
	f := newFixture(t, t.TempDir(), start, outbox.Timing{}, rec)
	ctx := context.Background()
	f.enqueue(t, "credential:1")
	// A second event for another object is not held up by the first one's failure...
	f.enqueue(t, "credential:2")
	f.worker.Drain(ctx, "w1")
	if got := rec.Messages(); len(got) != 1 || got[0].ObjectKey != "credential:2" {
		t.Fatalf("first drain delivered %+v", got)
	}
	f.advance(5 * time.Second)
	f.worker.Drain(ctx, "w1")
	if got := rec.Messages(); len(got) != 2 || got[1].ObjectKey != "credential:1" {
		t.Fatalf("after retry %+v", got)
	}
}

// hanger is a consumer that never finishes on its own: it records the
// deadline it was given and returns only when its context ends.
type hanger struct {
	mu        sync.Mutex
	deadlines []time.Time
	errs      []error
}

func (h *hanger) Name() string { return "hanger" }
func (h *hanger) Consume(ctx context.Context, _ store.OutboxMessage) error {
	d, _ := ctx.Deadline()
	<-ctx.Done()
	h.mu.Lock()
	h.deadlines = append(h.deadlines, d)
	h.errs = append(h.errs, ctx.Err())
	h.mu.Unlock()
	return ctx.Err()
}

// A consumer that hangs cannot keep a batch past its lease: each Consume
// gets a deadline inside the lease, and messages the batch had no time for
// are released, due at once and not counted as a consumer's failure.
func TestBatchEndsWithinItsLease(t *testing.T) {
	const lease = 1200 * time.Millisecond
	h := &hanger{}
	f := newFixture(t, t.TempDir(), start, outbox.Timing{Lease: lease, Consume: 300 * time.Millisecond}, h)
	for i := range 5 {
		f.enqueue(t, fmt.Sprintf("credential:%d", i))
	}
	began := time.Now()
	n, err := f.worker.Drain(context.Background(), "w1")
	took := time.Since(began)
	if err != nil || n != 5 {
		t.Fatalf("drain: %d %v", n, err)
	}
	if took >= lease {
		t.Fatalf("the batch took %v, longer than its lease of %v", took, lease)
	}
	h.mu.Lock()
	calls, deadlines, errs := len(h.deadlines), h.deadlines, h.errs
	h.mu.Unlock()
	if calls == 0 || calls >= 5 {
		t.Fatalf("the hanging consumer was called %d times; want some but not all of 5 within the lease", calls)
	}
	for i, d := range deadlines {
		if d.IsZero() || !d.Before(began.Add(lease)) {
			t.Fatalf("call %d had deadline %v; want one before the lease ends at %v", i, d, began.Add(lease))
		}
		if !errors.Is(errs[i], context.DeadlineExceeded) {
			t.Fatalf("call %d ended with %v", i, errs[i])
		}
	}
	if got := f.worker.Stats().Failed.Load(); got != int64(calls) {
		t.Fatalf("failures counted %d, want one per attempted call (%d)", got, calls)
	}
	// The messages not attempted are due again at once, for any worker;
	// those that timed out wait for their back-off.
	f.advance(time.Millisecond)
	h2 := &outboxtest.Recorder{ConsumerName: "hanger"}
	other := outbox.NewWorker(f.st, []outbox.Consumer{h2}, slog.New(slog.NewTextHandler(io.Discard, nil)), f.clock, outbox.Timing{})
	if n, err := other.Drain(context.Background(), "w2"); err != nil || n != 5-calls {
		t.Fatalf("second worker claimed %d (%v), want the %d not attempted", n, err, 5-calls)
	}
}

// blocker is the consumer of the crash child: it announces that it holds
// a message and never returns, so the parent can kill the process mid-delivery.
type blocker struct{}

func (blocker) Name() string { return "rec" }
func (blocker) Consume(ctx context.Context, m store.OutboxMessage) error {
	fmt.Printf("delivering %d\n", m.ID)
	<-make(chan struct{})
	return nil
}

// TestSurvivesACrash kills a real process after the message has committed
// and while its worker holds it, then starts another worker on the same
// database: the message is delivered there.
func TestSurvivesACrash(t *testing.T) {
	if dir := os.Getenv("PORTAL_TEST_CRASH_DIR"); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesACrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PORTAL_TEST_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	seen := ""
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "delivering ") {
			seen = lines.Text()
			break
		}
	}
	if seen == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never reached delivery")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()

	rec := &outboxtest.Recorder{ConsumerName: "rec"}
	f := newFixture(t, dir, time.Now().Add(time.Minute), outbox.Timing{}, rec) // past the dead worker's lease
	if n, err := f.worker.Drain(context.Background(), "w2"); err != nil || n != 1 {
		t.Fatalf("drain after the crash: %d %v", n, err)
	}
	got := rec.Messages()
	if len(got) != 1 || got[0].ObjectKey != "credential:1" || got[0].Attempts != 2 {
		t.Fatalf("delivered after the crash: %+v", got)
	}
}

func crashChild(t *testing.T, dir string) {
	f := newFixture(t, dir, time.Now(), outbox.Timing{}, blocker{})
	f.enqueue(t, "credential:1")
	f.worker.Drain(context.Background(), "w1") // blocks in the consumer until killed
	t.Fatal("the consumer returned")
}

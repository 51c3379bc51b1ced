package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
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

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// recorder is a test consumer: it keeps what it is given and fails while
// fail is above zero.
type recorder struct {
	name string
	mu   sync.Mutex
	got  []store.OutboxMessage
	fail int
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Consume(_ context.Context, m store.OutboxMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("consumer down")
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) messages() []store.OutboxMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.OutboxMessage(nil), r.got...)
}

type fixture struct {
	app   *app.App
	now   time.Time
	mu    sync.Mutex
	path  string
	alice *app.Principal
	bob   *app.Principal
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func testConfig(t testing.TB, dir string) config.Config {
	l := config.NewLoader(flag.NewFlagSet("t", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := map[string]string{"PORTAL_DATA_DIR": dir, "PORTAL_REQUIRE_TOTP": "false"}[k]
		return v, ok
	})
	cfg, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newFixture opens an app on the SQLite database in dir with the consumers
// and a clock the test controls.
func newFixture(t *testing.T, dir string, start time.Time, consumers ...app.Consumer) *fixture {
	t.Helper()
	f := &fixture{now: start, path: filepath.Join(dir, "portal.db")}
	st, err := sqlite.Open(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	opts := []app.Option{app.WithStore(st), app.WithClock(f.clock)}
	for _, c := range consumers {
		opts = append(opts, app.WithConsumer(c))
	}
	a, err := app.New(context.Background(), testConfig(t, dir), slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f.app = a
	f.alice = &app.Principal{Username: "alice", Roles: []string{store.RoleRegistrar}}
	f.bob = &app.Principal{Username: "bob", Roles: []string{store.RoleReviewer}}
	return f
}

// revoke registers a credential and applies a revocation of it.
func (f *fixture) revoke(t testing.TB, no string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.app.CreateCredential(ctx, "alice", app.CredentialInput{CertificateNo: no, HolderName: "张三", Kind: "primary",
		IssuedOn: "2019-07-01", RegisteredUntil: "2029-06-30"}); err != nil {
		t.Fatal(err)
	}
	params := map[string]json.RawMessage{"certificate_no": json.RawMessage(`"` + no + `"`)}
	act, err := f.app.ProposeAction(ctx, f.alice, app.Proposal{Kind: store.ActionRevokeCredential, Reason: "撤销资格", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.ApproveAction(ctx, f.bob, act.ID); err != nil {
		t.Fatal(err)
	}
}

var start = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)

func TestOutboxDeliversAppliedActions(t *testing.T) {
	rec := &recorder{name: "rec"}
	f := newFixture(t, t.TempDir(), start, rec)
	f.revoke(t, "20191100000000001")
	if n, err := f.app.DrainOutbox(context.Background(), "w1"); err != nil || n != 1 {
		t.Fatalf("drain: %d %v", n, err)
	}
	got := rec.messages()
	if len(got) != 1 || got[0].Topic != "credential.status" || got[0].ObjectKey != "credential:20191100000000001" {
		t.Fatalf("delivered %+v", got)
	}
	var payload map[string]any
	json.Unmarshal(got[0].Payload, &payload)
	if payload["status"] != "revoked" || payload["from"] != "active" {
		t.Fatalf("payload %v", payload)
	}
	if n, _ := f.app.DrainOutbox(context.Background(), "w1"); n != 0 {
		t.Fatalf("a delivered message was claimed again")
	}
	if st, _ := f.app.OutboxStats(context.Background()); st.Pending != 0 {
		t.Fatalf("stats after delivery: %+v", st)
	}
}

func TestOutboxRetriesOnlyWhatFailed(t *testing.T) {
	good := &recorder{name: "good"}
	flaky := &recorder{name: "flaky", fail: 2}
	f := newFixture(t, t.TempDir(), start, good, flaky)
	f.revoke(t, "20191100000000001")
	ctx := context.Background()
	f.app.DrainOutbox(ctx, "w1") // good takes it, flaky fails
	if n, _ := f.app.DrainOutbox(ctx, "w1"); n != 0 {
		t.Fatal("a failed message was retried before its back-off")
	}
	st, _ := f.app.OutboxStats(ctx)
	if st.Pending != 1 || !st.OldestPending.Equal(start) {
		t.Fatalf("stats while failing: %+v", st)
	}
	f.advance(2 * time.Second)   // first back-off is about a second
	f.app.DrainOutbox(ctx, "w1") // flaky fails again
	f.advance(10 * time.Second)
	if n, _ := f.app.DrainOutbox(ctx, "w1"); n != 1 {
		t.Fatalf("third attempt claimed %d", n)
	}
	if len(good.messages()) != 1 || len(flaky.messages()) != 1 {
		t.Fatalf("good got %d, flaky got %d: want each exactly once", len(good.messages()), len(flaky.messages()))
	}
	if f.app.WorkerStats().Failed.Load() != 2 || f.app.WorkerStats().Delivered.Load() != 1 {
		t.Fatalf("worker stats: failed %d delivered %d", f.app.WorkerStats().Failed.Load(), f.app.WorkerStats().Delivered.Load())
	}
}

func TestOutboxKeepsOrderPerObject(t *testing.T) {
	rec := &recorder{name: "rec", fail: 1}
	f := newFixture(t, t.TempDir(), start, rec)
	ctx := context.Background()
	f.revoke(t, "20191100000000001")
	// A second event for another object is not held up by the first one's failure...
	f.revoke(t, "20191100000000002")
	f.app.DrainOutbox(ctx, "w1")
	if got := rec.messages(); len(got) != 1 || got[0].ObjectKey != "credential:20191100000000002" {
		t.Fatalf("first drain delivered %+v", got)
	}
	f.advance(5 * time.Second)
	f.app.DrainOutbox(ctx, "w1")
	if got := rec.messages(); len(got) != 2 || got[1].ObjectKey != "credential:20191100000000001" {
		t.Fatalf("after retry %+v", got)
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

// TestOutboxSurvivesACrash kills a real process after the approval has
// committed and while its worker holds the message, then starts another
// instance on the same database: the message is delivered there.
func TestOutboxSurvivesACrash(t *testing.T) {
	if dir := os.Getenv("PORTAL_TEST_CRASH_DIR"); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxSurvivesACrash$", "-test.count=1")
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

	rec := &recorder{name: "rec"}
	f := newFixture(t, dir, time.Now().Add(time.Minute), rec) // past the dead worker's lease
	if n, err := f.app.DrainOutbox(context.Background(), "w2"); err != nil || n != 1 {
		t.Fatalf("drain after the crash: %d %v", n, err)
	}
	got := rec.messages()
	if len(got) != 1 || got[0].Topic != "credential.status" || got[0].Attempts != 2 {
		t.Fatalf("delivered after the crash: %+v", got)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.CredentialByNumber(context.Background(), "20191100000000001")
	if err != nil || c.Status != store.StatusRevoked {
		t.Fatalf("the committed revocation: %+v %v", c, err)
	}
}

func crashChild(t *testing.T, dir string) {
	f := newFixture(t, dir, time.Now(), blocker{})
	f.revoke(t, "20191100000000001")
	f.app.DrainOutbox(context.Background(), "w1") // blocks in the consumer until killed
	t.Fatal("the consumer returned")
}

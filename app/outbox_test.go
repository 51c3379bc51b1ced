package app_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/outbox"
	"ethicsportal/outbox/outboxtest"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

type fixture struct {
	app   *app.App
	now   time.Time
	mu    sync.Mutex
	path  string
	alice *app.Principal
	bob   *app.Principal
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

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
func newFixture(t *testing.T, dir string, start time.Time, consumers ...outbox.Consumer) *fixture {
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
	rec := &outboxtest.Recorder{ConsumerName: "rec"}
	f := newFixture(t, t.TempDir(), start, rec)
	f.revoke(t, "20191100000000001")
	if n, err := f.app.DrainOutbox(context.Background(), "w1"); err != nil || n != 1 {
		t.Fatalf("drain: %d %v", n, err)
	}
	got := rec.Messages()
	if len(got) != 1 || got[0].Topic != "credential.status" || got[0].ObjectKey != "credential:20191100000000001" {
		t.Fatalf("delivered %+v", got)
	}
	var payload map[string]any
	json.Unmarshal(got[0].Payload, &payload)
	if payload["status"] != "revoked" || payload["from"] != "active" {
		t.Fatalf("payload %v", payload)
	}
	// The approval's message for watches comes next, held back behind the
	// first (same object).
	if n, _ := f.app.DrainOutbox(context.Background(), "w1"); n != 1 || rec.Messages()[1].Topic != app.TopicHolderChanged {
		t.Fatalf("second drain: %d, delivered %+v; want the %s message", n, rec.Messages(), app.TopicHolderChanged)
	}
	if n, _ := f.app.DrainOutbox(context.Background(), "w1"); n != 0 {
		t.Fatalf("a delivered message was claimed again")
	}
	if st, _ := f.app.OutboxStats(context.Background()); st.Pending != 0 {
		t.Fatalf("stats after delivery: %+v", st)
	}
}

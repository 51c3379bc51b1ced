package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ethicsportal/auth"
	"ethicsportal/demo"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/sqlite"
)

// demoNow is the clock of the demo tests: the generator writes as of it.
var demoNow = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)

// newDemoApp opens an app on an empty store of the backend, "sqlite" or
// "postgres" (a schema of its own on the test server).
func newDemoApp(t testing.TB, backend string) *App {
	t.Helper()
	dir := t.TempDir()
	var st store.Store
	var err error
	if backend == "postgres" {
		st, err = postgres.Open(context.Background(), pgtest.URL(t))
	} else {
		st, err = sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), benchConfig(t, dir), slog.New(slog.NewTextHandler(io.Discard, nil)), WithStore(st),
		WithClock(func() time.Time { return demoNow }), WithPasswordParams(auth.Params{Memory: 64, Time: 1, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// demoState is what the demo load left, counted.
type demoState struct {
	cases, events int
	outbox        map[string]int // undelivered messages by topic
	caseMessages  map[string]bool
}

// readDemoState counts what the store holds. It reads the outbox by
// claiming every message at claimAt for a moment and finishing none: a
// later call, with a later claimAt, sees them all again.
func readDemoState(t *testing.T, a *App, claimAt time.Time) demoState {
	t.Helper()
	ctx := context.Background()
	_, total, err := a.store.Cases(ctx, store.CaseFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	last, err := a.store.LastAuditEvent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := demoState{cases: total, events: int(last.Seq), outbox: map[string]int{}, caseMessages: map[string]bool{}}
	msgs, err := a.store.ClaimOutbox(ctx, store.OutboxClaim{Owner: "test", Now: claimAt, Lease: time.Second, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		s.outbox[m.Topic]++
		if m.Topic == "case.changed" {
			var p struct {
				CaseID string `json:"case_id"`
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || m.ObjectKey != "case:"+p.CaseID || s.caseMessages[p.CaseID] {
				t.Fatalf("case.changed message %s %s", m.ObjectKey, m.Payload)
			}
			s.caseMessages[p.CaseID] = true
		}
	}
	return s
}

var backends = []string{"sqlite", "postgres"}

func TestLoadDemoWritesTheCases(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { testLoadDemoWritesTheCases(t, b) })
	}
}

func testLoadDemoWritesTheCases(t *testing.T, backend string) {
	ctx := context.Background()
	a := newDemoApp(t, backend)
	start := time.Now()
	if loaded, err := a.LoadDemo(ctx); err != nil || !loaded {
		t.Fatalf("load: %v %v", loaded, err)
	}
	t.Logf("LoadDemo took %s", time.Since(start))
	g, err := demo.NewGenerator(demoSeed, demo.Options{Now: demoNow, CreatedBy: "demo-editor"})
	if err != nil {
		t.Fatal(err)
	}
	st := readDemoState(t, a, demoNow.Add(time.Hour))
	if st.cases != DemoCases+len(demoHolders) {
		t.Fatalf("%d cases in the store, want %d", st.cases, DemoCases+len(demoHolders))
	}
	// Every case as the generator made it: state, times, amendments.
	statuses := map[string]int{}
	public := 0
	for i := range DemoCases {
		want := g.Case(i)
		got, err := a.store.CaseByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		statuses[got.Status]++
		wantVersion := int64(2)
		if want.Status == store.CaseDraft {
			wantVersion = 1
		} else {
			public++
		}
		if !sameCase(got, &want) || got.Version != wantVersion {
			t.Fatalf("case %d as stored differs from the generator's:\n%+v\n%+v", i, got, want)
		}
		if st.caseMessages[want.ID] != (want.Status != store.CaseDraft) {
			t.Fatalf("case %d (%s): case.changed enqueued: %v", i, want.Status, st.caseMessages[want.ID])
		}
	}
	for _, s := range []string{store.CasePublished, store.CaseWithdrawn, store.CaseDraft} {
		if statuses[s] == 0 {
			t.Errorf("no %s case", s)
		}
	}
	// One case.changed per public case (holders' included), one
	// credential.status per status change, one ban.imposed per ban.
	changes, bans := 0, 0
	for _, h := range demoHolders {
		if h.status != "" {
			changes++
		}
		if h.banScope != "" {
			bans++
		}
	}
	wantOutbox := map[string]int{"case.changed": public + len(demoHolders), "credential.status": changes, "ban.imposed": bans}
	if !reflect.DeepEqual(st.outbox, wantOutbox) {
		t.Fatalf("outbox %v, want %v", st.outbox, wantOutbox)
	}
	events, err := a.store.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	byAction := map[string]int{}
	for _, e := range events {
		byAction[e.Action]++
	}
	if byAction["case.demo_load"] != (DemoCases+demoCaseBatch-1)/demoCaseBatch || byAction["credential.demo_load"] != 1 {
		t.Fatalf("audit events %v", byAction)
	}
	if rep, err := a.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("audit chain: %+v %v", rep, err)
	}

	// Again: nothing more is written.
	set, err := a.makeDemoCases()()
	if err != nil {
		t.Fatal(err)
	}
	set.resume = true
	if err := a.loadDemoCases(ctx, set); err != nil {
		t.Fatal(err)
	}
	if again := readDemoState(t, a, demoNow.Add(2*time.Hour)); again.cases != st.cases || again.events != st.events || !reflect.DeepEqual(again.outbox, st.outbox) {
		t.Fatalf("a second load wrote more: %d cases, %d events, outbox %v", again.cases, again.events, again.outbox)
	}
}

// sameCase compares what the store keeps of a case with what was written.
func sameCase(got, want *store.Case) bool {
	g, w := *got, *want
	for _, c := range []*store.Case{&g, &w} {
		for _, t := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.PublishedAt, &c.AmendedAt, &c.WithdrawnAt, &c.ExpiredAt} {
			*t = t.UTC()
		}
		c.Version = 0
		if len(c.Revisions) == 0 {
			c.Revisions = nil
		}
		revs := slices.Clone(c.Revisions)
		for i := range revs {
			revs[i].At = revs[i].At.UTC()
		}
		c.Revisions = revs
	}
	return reflect.DeepEqual(g, w)
}

func TestDemoHoldersTellOneStory(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { testDemoHoldersTellOneStory(t, b) })
	}
}

func testDemoHoldersTellOneStory(t *testing.T, backend string) {
	ctx := context.Background()
	a := newDemoApp(t, backend)
	if _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	today := store.Today(demoNow)
	linked, _, err := a.store.Cases(ctx, store.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byCert := map[string]store.Case{}
	for _, c := range linked {
		if c.CertificateNo != "" {
			byCert[c.CertificateNo] = c
		}
	}
	if len(byCert) != len(demoHolders) {
		t.Fatalf("%d cases linked to a credential, want %d", len(byCert), len(demoHolders))
	}
	seen := map[string]bool{}
	for _, h := range demoHolders {
		cred, bans, err := a.store.CredentialWithBans(ctx, h.certificateNo)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := byCert[h.certificateNo]
		if !ok {
			t.Fatalf("%s: no linked case", h.certificateNo)
		}
		// The case a verification's state points to is in public view
		// and names the holder only masked.
		if !c.Visible(today) || c.SubjectName != demo.MaskName(cred.HolderName) {
			t.Fatalf("%s: case %s visible %v, subject %q", h.certificateNo, c.ID, c.Visible(today), c.SubjectName)
		}
		for _, s := range []string{c.Title, c.Summary, c.Body, c.School, c.Authority} {
			if strings.Contains(s, cred.HolderName) {
				t.Fatalf("%s: the holder's name in %q", h.certificateNo, s)
			}
		}
		for _, want := range h.sanctions {
			if !slices.ContainsFunc(c.Sanctions, func(s store.Sanction) bool { return s.Type == want }) {
				t.Fatalf("%s: sanctions %v lack %s", h.certificateNo, c.Sanctions, want)
			}
		}
		status := cred.EffectiveStatus(today)
		seen[status] = true
		history, err := a.store.CredentialHistory(ctx, h.certificateNo)
		if err != nil {
			t.Fatal(err)
		}
		last := history[len(history)-1]
		switch {
		case h.status != "":
			if status != h.status || last.Kind != store.ChangeStatus || last.CaseID != c.ID || last.ActionID == 0 || last.ToStatus != h.status {
				t.Fatalf("%s: status %s, last change %+v", h.certificateNo, status, last)
			}
			act, err := a.store.ActionByID(ctx, last.ActionID)
			if err != nil || act.Status != store.ActionApplied || act.ProposedBy == act.DecidedBy || !strings.Contains(string(act.Params), c.ID) {
				t.Fatalf("%s: action %+v %v", h.certificateNo, act, err)
			}
		case last.Kind == store.ChangeStatus:
			t.Fatalf("%s: a status change with no status to give", h.certificateNo)
		}
		if h.status == store.StatusSuspended && !cred.SuspendedUntil.After(today) {
			t.Fatalf("%s: suspended until %s", h.certificateNo, cred.SuspendedUntil)
		}
		if h.banScope == "" {
			if len(bans) != 0 {
				t.Fatalf("%s: bans %+v", h.certificateNo, bans)
			}
			continue
		}
		seen["banned"] = true
		if len(bans) != 1 || bans[0].CaseID != c.ID || bans[0].Scope != h.banScope || !bans[0].InForce(today) || bans[0].Permanent() != h.banForLife {
			t.Fatalf("%s: bans %+v", h.certificateNo, bans)
		}
		if h.banForLife != c.PublishUntil.IsZero() || !h.banForLife && c.PublishUntil != bans[0].EndsOn {
			t.Fatalf("%s: case in view until %s, ban until %s", h.certificateNo, c.PublishUntil, bans[0].EndsOn)
		}
	}
	for _, s := range []string{store.StatusRevoked, store.StatusSuspended, store.StatusLapsed, store.StatusActive, "banned"} {
		if !seen[s] {
			t.Errorf("no demo holder is %s", s)
		}
	}
}

// A load cut short, with some cases in, completes without writing any twice.
func TestLoadDemoResumes(t *testing.T) {
	ctx := context.Background()
	a := newDemoApp(t, "sqlite")
	g, err := demo.NewGenerator(demoSeed, demo.Options{Now: demoNow, CreatedBy: "demo-editor"})
	if err != nil {
		t.Fatal(err)
	}
	err = a.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSecretIfAbsent(ctx, demoStoreMarker, []byte("1")); err != nil {
			return err
		}
		var d demoCaseDetails
		for i := range 30 {
			c := g.Case(i * 7)
			if err := a.writeDemoCase(ctx, tx, &c, &d, false); err != nil {
				return err
			}
		}
		return a.record(ctx, tx, ActorCLI, "case.demo_load", "cases", d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if loaded, err := a.LoadDemo(ctx); err != nil || !loaded {
		t.Fatalf("resumed load: %v %v", loaded, err)
	}
	st := readDemoState(t, a, demoNow.Add(time.Hour))
	if st.cases != DemoCases+len(demoHolders) || st.outbox["case.changed"] != len(st.caseMessages) {
		t.Fatalf("%d cases, %d case messages for %d cases", st.cases, st.outbox["case.changed"], len(st.caseMessages))
	}
}

// BenchmarkLoadDemo measures LoadDemo into an empty SQLite store, demo
// accounts hashed at the production cost as serve --demo does:
//
//	go test -run '^$' -bench LoadDemo -benchtime 3x ./app/
func BenchmarkLoadDemo(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
		if err != nil {
			b.Fatal(err)
		}
		a, err := New(context.Background(), benchConfig(b, dir), slog.New(slog.NewTextHandler(io.Discard, nil)), WithStore(st))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if loaded, err := a.LoadDemo(context.Background()); err != nil || !loaded {
			b.Fatal(loaded, err)
		}
		b.StopTimer()
		a.Close()
		b.StartTimer()
	}
}

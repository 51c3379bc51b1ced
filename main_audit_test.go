package main

import (
	"context"
	"database/sql"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/store"
	"ethicsportal/store/postgres/pgtest"
)

// auditBackends sets a fresh store up for the CLI on each backend.
var auditBackends = map[string]func(t *testing.T) *cli{
	"sqlite": newCLI,
	"postgres": func(t *testing.T) *cli {
		c := newEmptyCLI(t)
		t.Setenv("PORTAL_DATABASE_URL", pgtest.URL(t))
		makeStore(t)
		return c
	},
}

// openCLIApp opens the application on the store the CLI's environment
// names, as a server on it would.
func openCLIApp(t *testing.T) *app.App {
	t.Helper()
	cfg, err := config.NewLoader(flag.NewFlagSet("test", flag.ContinueOnError), nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// keepCheckpoint does what an auditor does: fetch the newest checkpoint
// (here from the app, which serves it at GET /api/v1/audit/checkpoint) and
// keep it in a file outside the portal.
func keepCheckpoint(t *testing.T) string {
	t.Helper()
	a := openCLIApp(t)
	cp, err := a.AuditCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	file := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(file, cp, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// rawDB opens the CLI's database directly, as someone with write access to
// it would, and returns it with a function that adapts $n placeholders to
// its driver.
func rawDB(t *testing.T, c *cli) (*sql.DB, func(string) string) {
	t.Helper()
	if url := os.Getenv("PORTAL_DATABASE_URL"); url != "" {
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, func(q string) string { return q }
	}
	db, err := sql.Open("sqlite", filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func(q string) string {
		for i := 9; i >= 1; i-- {
			q = strings.ReplaceAll(q, "$"+string(rune('0'+i)), "?")
		}
		return q
	}
}

// addUsers adds administrators through the CLI, one audit event each.
func (c *cli) addUsers(names ...string) {
	c.t.Helper()
	for _, name := range names {
		if code, _, errOut := c.run("a long enough password\n", "user", "add", name, "--role", "admin"); code != exitOK {
			c.t.Fatalf("user add %s: %s", name, errOut)
		}
	}
}

// reseal edits event seq's actor and recomputes the hash of it and every
// later event with the published algorithm (plain SHA-256), leaving a
// chain that checks on its own.
func reseal(t *testing.T, c *cli, seq int64, actor string) {
	t.Helper()
	a := openCLIApp(t)
	evs, err := a.Store().AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	db, q := rawDB(t, c)
	var prev *store.AuditEvent
	for i := range evs {
		e := &evs[i]
		if e.Seq == seq {
			e.Actor = actor
		}
		if e.Seq >= seq {
			e.Seal(prev)
			if _, err := db.Exec(q(`UPDATE audit_events SET actor = $1, digest = $2, prev_hash = $3, hash = $4 WHERE seq = $5`),
				e.Actor, e.Digest, e.PrevHash, e.Hash, e.Seq); err != nil {
				t.Fatal(err)
			}
		}
		prev = e
	}
}

func (c *cli) wantVerify(want int, outWant string, args ...string) {
	c.t.Helper()
	code, out, errOut := c.run("", append([]string{"audit", "verify"}, args...)...)
	if code != want || !strings.Contains(out+errOut, outWant) {
		c.t.Fatalf("audit verify %v: exit %d, want %d with %q\n%s%s", args, code, want, outWant, out, errOut)
	}
}

// TestAuditVerifyHoldsAKeptCheckpoint: a checkpoint kept outside the portal
// pins the log. Cutting events from its end, or editing one and resealing
// the chain, leaves a chain that checks on its own but no longer holds the
// checkpoint.
func TestAuditVerifyHoldsAKeptCheckpoint(t *testing.T) {
	for name, setup := range auditBackends {
		t.Run(name, func(t *testing.T) {
			t.Run("intact and grown", func(t *testing.T) {
				c := setup(t)
				c.addUsers("alice", "bob", "carol")
				kept := keepCheckpoint(t)
				c.wantVerify(exitOK, "checkpoint holds: event 3 has hash", "--checkpoint", kept)
				c.addUsers("dave") // a longer log still holds an older checkpoint
				c.wantVerify(exitOK, "checkpoint holds: event 3 has hash", "--checkpoint", kept)
			})
			t.Run("tail removed", func(t *testing.T) {
				c := setup(t)
				c.addUsers("alice", "bob", "carol", "dave")
				kept := keepCheckpoint(t)
				db, q := rawDB(t, c)
				if _, err := db.Exec(q(`DELETE FROM audit_events WHERE seq > $1`), 2); err != nil {
					t.Fatal(err)
				}
				c.wantVerify(exitOK, "audit chain intact: 2 events") // the chain alone cannot tell
				c.wantVerify(exitFailed, "the log has 2 events, the checkpoint covers 4: events were removed from its end", "--checkpoint", kept)
				c.addUsers("eve", "frank") // the count again, but other events
				c.wantVerify(exitFailed, "event 4 has hash", "--checkpoint", kept)
			})
			t.Run("edited and resealed", func(t *testing.T) {
				c := setup(t)
				c.addUsers("alice", "bob", "carol", "dave")
				kept := keepCheckpoint(t)
				reseal(t, c, 2, "mallory")
				c.wantVerify(exitOK, "audit chain intact: 4 events") // the chain alone cannot tell
				c.wantVerify(exitFailed, "the log was rewritten up to there", "--checkpoint", kept)
			})
			t.Run("edited and resealed after the checkpoint", func(t *testing.T) {
				c := setup(t)
				c.addUsers("alice", "bob")
				kept := keepCheckpoint(t)
				c.addUsers("carol", "dave")
				reseal(t, c, 3, "mallory") // after what was kept: the checkpoint cannot see it
				c.wantVerify(exitOK, "checkpoint holds: event 2", "--checkpoint", kept)
			})
			t.Run("row edited without resealing", func(t *testing.T) {
				c := setup(t)
				c.addUsers("alice", "bob", "carol")
				kept := keepCheckpoint(t)
				db, q := rawDB(t, c)
				if _, err := db.Exec(q(`UPDATE audit_events SET actor = $1 WHERE seq = $2`), "mallory", 2); err != nil {
					t.Fatal(err)
				}
				c.wantVerify(exitFailed, "the chain breaks at event 2, before the 3 events the checkpoint covers", "--checkpoint", kept)
			})
		})
	}
}

func TestAuditVerifyRefusesABadCheckpoint(t *testing.T) {
	c := newCLI(t)
	c.addUsers("alice", "bob", "carol")
	kept := keepCheckpoint(t)
	raw, err := os.ReadFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	// Another portal's checkpoint, for a log of the same length.
	t.Setenv("PORTAL_DATA_DIR", t.TempDir())
	makeStore(t)
	c.addUsers("xavier", "yvonne", "zoe")
	foreign := keepCheckpoint(t)
	t.Setenv("PORTAL_DATA_DIR", c.dir)

	write := func(name, content string) string {
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	lines := strings.SplitN(string(raw), "\n", 3)
	for _, tc := range []struct{ name, file, want string }{
		{"size changed without re-signing", write("size", lines[0]+"\n2\n"+lines[2]), "signature does not verify with this store's checkpoint key"},
		{"another portal's", foreign, "signature does not verify with this store's checkpoint key"},
		{"not a checkpoint", write("junk", "hello\n"), "it is not a signed checkpoint"},
		{"missing file", filepath.Join(t.TempDir(), "nothing.txt"), "checkpoint: open"},
	} {
		t.Run(tc.name, func(t *testing.T) { c.wantVerify(exitFailed, tc.want, "--checkpoint", tc.file) })
	}
	c.wantVerify(exitOK, "checkpoint holds", "--checkpoint", kept)
}

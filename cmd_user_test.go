package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
)

// TestCommandsRefuseAMissingStore is finding 7: every command but serve,
// pointed at a data dir without a store, exits 1 saying so and creates
// nothing, neither the dir nor a database in it.
func TestCommandsRefuseAMissingStore(t *testing.T) {
	c := newEmptyCLI(t)
	csv := filepath.Join(t.TempDir(), "register.csv")
	if err := os.WriteFile(csv, []byte("certificate_no,holder_name,kind,subject,issuer,issued_on,registered_until\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"audit", "verify"},
		{"import", "credentials", csv},
		{"user", "add", "alice", "--role", "admin"},
		{"user", "list"},
		{"user", "roles", "alice", "editor"},
		{"user", "disable", "alice"},
		{"user", "enable", "alice"},
		{"user", "passwd", "alice"},
		{"user", "reset-totp", "alice"},
	}
	for _, dir := range []string{filepath.Join(c.dir, "mistyped"), c.dir} {
		for _, args := range commands {
			code, out, errOut := c.run("a long enough password\n", append(args, "--data-dir", dir)...)
			if code != exitFailed || !strings.Contains(errOut, "no store") || !strings.Contains(errOut, dir) {
				t.Errorf("%v in %s: exit %d, want %d saying there is no store\n%s%s", args, dir, code, exitFailed, out, errOut)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "mistyped")); !os.IsNotExist(err) {
		t.Errorf("a command created the mistyped data dir: %v", err)
	}
	if entries, _ := os.ReadDir(c.dir); len(entries) != 0 {
		t.Errorf("commands left files in an empty data dir: %v", entries)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	c := newEmptyCLI(t)
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, _ := c.run("", arg)
		if code != exitOK {
			t.Fatalf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"serve", "--demo", "user add", "user list", "user roles", "user disable",
			"user enable", "user passwd", "user reset-totp", "import credentials", "audit verify"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s does not list %q:\n%s", arg, want, out)
			}
		}
	}
}

// TestUserCommands drives every user subcommand API.md lists, and checks
// that the audit log names the operating-system user.
func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	t.Setenv("PORTAL_REQUIRE_TOTP", "false")
	for _, u := range [][]string{{"alice", "admin"}, {"bob", "editor"}} {
		if code, out, errOut := c.run("a long enough password\n", "user", "add", u[0], "--role", u[1]); code != exitOK {
			t.Fatalf("user add %s: exit %d %s%s", u[0], code, out, errOut)
		}
	}
	steps := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"user", "roles", "bob", "reviewer,auditor"}, exitOK, "roles of bob are now reviewer,auditor"},
		{"", []string{"user", "roles", "bob", "boss"}, exitFailed, "unknown role"},
		{"", []string{"user", "disable", "bob"}, exitOK, "disabled bob"},
		{"", []string{"user", "list"}, exitOK, "bob       reviewer,auditor  disabled"},
		{"", []string{"user", "enable", "bob"}, exitOK, "enabled bob"},
		{"", []string{"user", "list"}, exitOK, "bob       reviewer,auditor  enabled"},
		{"new password for bob\n", []string{"user", "passwd", "bob"}, exitOK, "set a new password for bob"},
		{"short\n", []string{"user", "passwd", "bob"}, exitFailed, "at least 12"},
		{"", []string{"user", "reset-totp", "bob"}, exitOK, "reset the second factor of bob"},
		{"", []string{"user", "disable", "alice"}, exitFailed, "last enabled admin"},
		{"", []string{"user", "roles", "alice", "editor"}, exitFailed, "last enabled admin"},
		{"", []string{"user", "disable", "nobody"}, exitFailed, "no user"},
		{"", []string{"user", "disable"}, exitUsage, "exactly one USERNAME"},
		{"", []string{"user", "frob", "bob"}, exitUsage, "unknown user subcommand"},
	}
	for _, s := range steps {
		code, out, errOut := c.run(s.stdin, s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Fatalf("%v: exit %d, want %d with %q\n%s%s", s.args, code, s.code, s.want, out, errOut)
		}
	}
	// With TOTP required, a reset prints the new enrolment URI.
	t.Setenv("PORTAL_REQUIRE_TOTP", "true")
	if code, out, errOut := c.run("", "user", "reset-totp", "bob"); code != exitOK || !strings.Contains(out, "otpauth://totp/EthicsPortal:bob?") {
		t.Fatalf("reset-totp with TOTP required: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := c.run("", "user", "list"); code != exitOK || !strings.Contains(out, "bob       reviewer,auditor  enabled  yes") {
		t.Fatalf("list after the reset:\n%s", out)
	}

	// The audit log names the operating-system user, not just "cli".
	me, err := user.Current()
	if err != nil {
		t.Skip("no current OS user to compare with") // cannot happen on the CI machine, which runs as root
	}
	code, _, _ := c.run("", "audit", "verify")
	if code != exitOK {
		t.Fatalf("audit verify: exit %d", code)
	}
	events := auditActors(t, c)
	if len(events) < 8 {
		t.Fatalf("only %d audit events", len(events))
	}
	for _, actor := range events {
		if actor != "cli:"+me.Username {
			t.Fatalf("an audit event names %q, want %q", actor, "cli:"+me.Username)
		}
	}
}

// auditActors reads the actor of every audit event from the store file.
func auditActors(t *testing.T, c *cli) []string {
	t.Helper()
	db, err := sqlOpen(filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT actor FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serving runs 'ethicsportal args...' until it answers /healthz and returns
// its base URL and a stop function that returns the exit status.
func serving(t *testing.T, args ...string) (string, func() int) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() { done <- run(ctx, append(args, "--addr", addr), strings.NewReader(""), io.Discard, &errOut) }()
	// Wait for the listener: poll, bounded. serve --demo loads the demo data
	// and rebuilds the index first, seconds and more under -race on a busy machine.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not come up: %v", err)
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "http://" + addr, func() int { cancel(); return <-done }
}

func login(t *testing.T, base, username, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServeDemoOnlyOnAnEmptyStore is finding 6: --demo on a store holding
// anything else refuses to start (exit 2, saying why) and loads nothing; on
// an empty store (even one served before without --demo) it marks the store
// as a demo store, which a later serve without --demo refuses, so the demo
// accounts never work on a real store.
func TestServeDemoOnlyOnAnEmptyStore(t *testing.T) {
	c := newCLI(t)
	t.Setenv("PORTAL_REQUIRE_TOTP", "false")
	if code, _, errOut := c.run("a long enough password\n", "user", "add", "alice", "--role", "admin"); code != exitOK {
		t.Fatalf("user add: %s", errOut)
	}
	code, _, errOut := c.run("", "serve", "--demo", "--addr", freeAddr(t))
	if code != exitUsage || !strings.Contains(errOut, "not a demo store") {
		t.Fatalf("serve --demo on a real store: exit %d, want %d saying why\n%s", code, exitUsage, errOut)
	}
	base, stop := serving(t, "serve")
	if s := login(t, base, "demo-admin", "demo-password-2026"); s != 401 {
		t.Fatalf("a demo account signs in on the real store: %d", s)
	}
	if s := login(t, base, "alice", "a long enough password"); s != 200 {
		t.Fatalf("the real account: %d", s)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}

	// An empty store becomes a demo store.
	demo := newEmptyCLI(t)
	base, stop = serving(t, "serve", "--demo")
	if s := login(t, base, "demo-admin", "demo-password-2026"); s != 200 {
		t.Fatalf("the demo account on the demo store: %d", s)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve --demo exited with %d", code)
	}
	// Again with --demo: it is a demo store, so it starts.
	_, stop = serving(t, "serve", "--demo")
	if code := stop(); code != exitOK {
		t.Fatalf("serve --demo on the demo store exited with %d", code)
	}
	code, _, errOut = demo.run("", "serve", "--addr", freeAddr(t))
	if code != exitUsage || !strings.Contains(errOut, "demo store") {
		t.Fatalf("serve without --demo on a demo store: exit %d, want %d saying why\n%s", code, exitUsage, errOut)
	}

	// A store served without --demo that holds nothing takes the demo: there
	// is nothing real in it to mix with.
	newEmptyCLI(t)
	_, stop = serving(t, "serve")
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}
	base, stop = serving(t, "serve", "--demo")
	if s := login(t, base, "demo-admin", "demo-password-2026"); s != 200 {
		t.Fatalf("the demo account on a store that was empty: %d", s)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve --demo exited with %d", code)
	}
}

// TestCommandsRefuseAMissingStoreOnPostgreSQL: a database without the
// portal's tables is refused and left without them.
func TestCommandsRefuseAMissingStoreOnPostgreSQL(t *testing.T) {
	c := newEmptyCLI(t)
	url := pgtest.URL(t)
	t.Setenv("PORTAL_DATABASE_URL", url)
	for _, args := range [][]string{{"audit", "verify"}, {"user", "list"}, {"user", "add", "alice", "--role", "admin"}} {
		code, out, errOut := c.run("a long enough password\n", args...)
		if code != exitFailed || !strings.Contains(errOut, "no store") {
			t.Errorf("%v: exit %d, want %d saying there is no store\n%s%s", args, code, exitFailed, out, errOut)
		}
	}
	if ok, err := postgres.Exists(context.Background(), url); err != nil || ok {
		t.Fatalf("after the refused commands the database holds a store: %v, %v", ok, err)
	}
	// Once serve has made the store, the commands work on it.
	_, stop := serving(t, "serve")
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}
	if code, out, errOut := c.run("a long enough password\n", "user", "add", "alice", "--role", "admin", "--require-totp=false"); code != exitOK {
		t.Fatalf("user add on the new store: exit %d\n%s%s", code, out, errOut)
	}
}

// TestServeRetiresDemoAccountsMixedIntoARealStore: a store into which an
// older version loaded the demo beside real data keeps serving, but the
// demo accounts with the published password stop working.
func TestServeRetiresDemoAccountsMixedIntoARealStore(t *testing.T) {
	c := newCLI(t)
	t.Setenv("PORTAL_REQUIRE_TOTP", "false")
	if code, _, errOut := c.run("a long enough password\n", "user", "add", "alice", "--role", "admin"); code != exitOK {
		t.Fatalf("user add: %s", errOut)
	}
	// What an older 'serve --demo' left: the demo accounts and the data set's marker.
	for _, name := range []string{"demo-admin", "demo-editor"} {
		if code, _, errOut := c.run(app.DemoPassword+"\n", "user", "add", name, "--role", strings.TrimPrefix(name, "demo-")); code != exitOK {
			t.Fatalf("user add %s: %s", name, errOut)
		}
	}
	db, err := sqlOpen(filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO secrets (name, value) VALUES ('demo_loaded', x'31')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	base, stop := serving(t, "serve")
	for _, name := range []string{"demo-admin", "demo-editor"} {
		if s := login(t, base, name, app.DemoPassword); s != 401 {
			t.Errorf("demo account %s signs in on a real store: %d", name, s)
		}
	}
	if s := login(t, base, "alice", "a long enough password"); s != 200 {
		t.Errorf("the real admin: %d", s)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}
	if _, out, _ := c.run("", "user", "list"); !strings.Contains(out, "demo-admin   admin   disabled") {
		t.Fatalf("the demo admin is not disabled:\n%s", out)
	}
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	_ "modernc.org/sqlite"

	"ethicsportal/app"
	"ethicsportal/config"
)

// cli runs the command line in-process with a fresh data dir per test.
type cli struct {
	t   *testing.T
	dir string
}

// newCLI gives the test a data dir holding a fresh store, as the first
// 'ethicsportal serve' would leave it.
func newCLI(t *testing.T) *cli {
	c := newEmptyCLI(t)
	makeStore(t)
	return c
}

// makeStore creates the store the environment names, as the first
// 'ethicsportal serve' on it would: every other command refuses a missing one.
func makeStore(t *testing.T) {
	t.Helper()
	cfg, err := config.NewLoader(flag.NewFlagSet("test", flag.ContinueOnError), nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// newEmptyCLI gives the test an empty data dir.
func newEmptyCLI(t *testing.T) *cli {
	t.Setenv("PORTAL_DATA_DIR", t.TempDir())
	t.Setenv("PORTAL_DATABASE_URL", "")
	return &cli{t: t, dir: os.Getenv("PORTAL_DATA_DIR")}
}

func sqlOpen(path string) (*sql.DB, error) { return sql.Open("sqlite", path) }

func (c *cli) run(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUserAdd(t *testing.T) {
	c := newCLI(t)
	t.Setenv("PORTAL_REQUIRE_TOTP", "true")
	code, out, errOut := c.run("a long enough password\n", "user", "add", "alice", "--role", "registrar,reviewer")
	if code != exitOK || !strings.Contains(out, "added user alice with roles registrar,reviewer") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "otpauth://totp/EthicsPortal:alice?") {
		t.Fatalf("no enrolment URI printed:\n%s", out)
	}
	if code, _, errOut := c.run("another long password\n", "user", "add", "alice", "--role", "admin"); code != exitFailed || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate user: exit %d %s", code, errOut)
	}
	if code, _, errOut := c.run("short\n", "user", "add", "bob", "--role", "admin"); code != exitFailed || !strings.Contains(errOut, "at least 12") {
		t.Fatalf("short password: exit %d %s", code, errOut)
	}
	if code, _, errOut := c.run("a long enough password\n", "user", "add", "bob", "--role", "boss"); code != exitFailed || !strings.Contains(errOut, "unknown role") {
		t.Fatalf("bad role: exit %d %s", code, errOut)
	}
	if code, _, _ := c.run("", "user", "add", "bob"); code != exitUsage {
		t.Fatalf("missing --role: exit %d", code)
	}
}

func TestImportCommand(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(t.TempDir(), "register.csv")
	csv := "certificate_no,holder_name,kind,subject,issuer,issued_on,registered_until,序号\r\n" +
		"20191100000000001,王芳,primary,语文,东城区教委,2019-07-01,2029-06-30,1\r\n" +
		"20191100000000002,李四,primary,语文,东城区教委,2019-02-30,2029-06-30,2\r\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(csv))
	if err := os.WriteFile(file, gbk, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.run("", "import", "credentials", file)
	if code != exitRejected {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitRejected, out, errOut)
	}
	for _, want := range []string{"line 3: invalid_field issued_on:", "2 rows read (gb18030): 1 inserted, 0 updated, 0 unchanged, 1 rejected", "ignored columns: [序号]"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	// Flags after the file work too; a rerun is a no-op.
	code, out, _ = c.run("", "import", "credentials", file, "--encoding", "gbk")
	if code != exitRejected || !strings.Contains(out, "0 inserted, 0 updated, 1 unchanged") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	if code, _, errOut := c.run("", "import", "credentials", filepath.Join(t.TempDir(), "missing.csv")); code != exitFailed || errOut == "" {
		t.Fatalf("missing file: exit %d", code)
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	if code, _, errOut := c.run("", "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if code, _, errOut := c.run("", "serve", "--rate-verify", "fast"); code != exitUsage || !strings.Contains(errOut, "--rate-verify") {
		t.Fatalf("bad flag value: exit %d %s", code, errOut)
	}
	if code, out, _ := c.run("", "help"); code != exitOK || !strings.Contains(out, "import credentials") {
		t.Fatalf("help: exit %d", code)
	}
}

func TestServeAndGracefulShutdown(t *testing.T) {
	newCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--addr", addr}, strings.NewReader(""), io.Discard, &errOut)
	}()
	var res *http.Response
	for i := 0; i < 100; i++ { // wait for the listener: poll, bounded
		if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited with %d after the signal: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "stopped") {
		t.Fatalf("no orderly stop logged: %s", errOut.String())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	c := newCLI(t)
	for _, name := range []string{"alice", "bob", "carol"} {
		if code, _, errOut := c.run("a long enough password\n", "user", "add", name, "--role", "admin"); code != exitOK {
			t.Fatalf("user add: %s", errOut)
		}
	}
	code, out, _ := c.run("", "audit", "verify")
	if code != exitOK || !strings.Contains(out, "audit chain intact: 3 events, head ") {
		t.Fatalf("intact chain: exit %d %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET object = 'user:mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = c.run("", "audit", "verify")
	if code != exitFailed || !strings.Contains(out, "BROKEN at sequence 2") {
		t.Fatalf("tampered chain: exit %d %s", code, out)
	}
}

// TestImportCommandKeepsWhoHoldsACredential: on the command line too, a
// file cannot rename a holder, re-link a credential to another person, or
// link one by ID number to a person of another name; the report names
// each refused line and nothing of it is applied.
func TestImportCommandKeepsWhoHoldsACredential(t *testing.T) {
	c := newCLI(t)
	const idA, idB = "110108198001010015", "110108198001010023"
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("certificate_no,holder_name,id_number,kind,issued_on,registered_until\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	code, out, errOut := c.run("", "import", "credentials", write("first.csv",
		"20191100000000001,王芳,"+idA+",primary,2019-07-01,2029-06-30\n"+
			"20191100000000002,李四,"+idB+",primary,2019-07-01,2029-06-30\n"))
	if code != exitOK || !strings.Contains(out, "2 inserted") {
		t.Fatalf("first import: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = c.run("", "import", "credentials", write("second.csv",
		"20191100000000001,王五,"+idA+",primary,2019-07-01,2029-06-30\n"+ // rename
			"20191100000000002,李四,"+idA+",primary,2019-07-01,2029-06-30\n"+ // re-link
			"20191100000000003,赵六,"+idB+",primary,2019-07-01,2029-06-30\n"+ // mislink
			"20191100000000004,李四,"+idB+",primary,2020-07-01,2030-06-30\n")) // the same person's second credential
	for _, want := range []string{"line 2: identity_change holder_name:", "line 3: identity_change id_number:",
		"line 4: id_name_mismatch id_number:", "4 rows read (utf-8): 1 inserted, 0 updated, 0 unchanged, 3 rejected"} {
		if !strings.Contains(out, want) {
			t.Fatalf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	if code != exitRejected || strings.Contains(out, idA) || strings.Contains(out, idB) {
		t.Fatalf("exit %d, want %d, and no ID number in the report:\n%s", code, exitRejected, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names string
	if err := db.QueryRow(`SELECT group_concat(certificate_no || '=' || holder_name, ' ') FROM
		(SELECT certificate_no, holder_name FROM credentials ORDER BY certificate_no)`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	if want := "20191100000000001=王芳 20191100000000002=李四 20191100000000004=李四"; names != want {
		t.Fatalf("register holds %s, want %s", names, want)
	}
	var persons, linked int
	if err := db.QueryRow(`SELECT count(DISTINCT person_id), count(*) FROM credentials
		WHERE certificate_no IN ('20191100000000002', '20191100000000004')`).Scan(&persons, &linked); err != nil || persons != 1 || linked != 2 {
		t.Fatalf("李四's credentials are linked to %d persons (%v), want one", persons, err)
	}
	var file string
	var row int
	if err := db.QueryRow(`SELECT source_file, source_row FROM credential_changes
		WHERE certificate_no = '20191100000000004'`).Scan(&file, &row); err != nil || file != "second.csv" || row != 5 {
		t.Fatalf("history of the imported credential: %q row %d (%v), want second.csv row 5", file, row, err)
	}
}

// TestPepperMismatchRefusesEveryCommand: on a store created with one
// PORTAL_ID_PEPPER, serve and the other commands refuse another or none,
// exiting non-zero with a message that names the variable but shows no
// pepper.
func TestPepperMismatchRefusesEveryCommand(t *testing.T) {
	const made, other = "the pepper this store was made with, 32+ chars", "another pepper of more than thirty-two chars"
	c := newEmptyCLI(t)
	t.Setenv("PORTAL_ID_PEPPER", made)
	makeStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, in case serve did start
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTAL_ADDR", ln.Addr().String())
	ln.Close()
	for _, pepper := range []string{other, ""} {
		t.Setenv("PORTAL_ID_PEPPER", pepper)
		for _, args := range [][]string{{"serve"}, {"user", "list"}, {"audit", "verify"}} {
			// A bound on a serve that wrongly started: it then stops and exits 0.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var out, errBuf bytes.Buffer
			code := run(ctx, args, strings.NewReader(""), &out, &errBuf)
			cancel()
			errOut := errBuf.String()
			if code == exitOK || !strings.Contains(errOut, "PORTAL_ID_PEPPER") {
				t.Fatalf("%v with PORTAL_ID_PEPPER=%q: exit %d\n%s", args, pepper, code, errOut)
			}
			if strings.Contains(errOut, made) || strings.Contains(errOut, other) {
				t.Fatalf("%v shows a pepper:\n%s", args, errOut)
			}
		}
	}
	t.Setenv("PORTAL_ID_PEPPER", made)
	if code, out, errOut := c.run("", "user", "list"); code != exitOK {
		t.Fatalf("user list with the store's pepper: exit %d\n%s\n%s", code, out, errOut)
	}
}

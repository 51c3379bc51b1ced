package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/outbox"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// publishCases writes n published cases whose titles hold marker straight
// into the SQLite store in dir, each with its case.changed message, in one
// transaction: what n publications leave behind before the worker has
// indexed any of them.
func publishCases(t *testing.T, dir, marker string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	err = st.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			b := make([]byte, 10)
			rand.Read(b)
			c := store.Case{
				ID: strings.ToLower(base32.StdEncoding.EncodeToString(b)),
				CaseContent: store.CaseContent{
					Title: fmt.Sprintf("%s第%d号案例", marker, i), Summary: "经查属实。", Body: "正文。", SubjectName: "张某某",
					School: "北京市某中学", District: "朝阳区", Stage: "junior_secondary", Categories: []int{4},
					Sanctions:    []store.Sanction{{Type: "demerit", Detail: "记过处分"}},
					IncidentDate: store.NewDate(2026, 1, 5), DecisionDate: store.NewDate(2026, 2, 5), Authority: "朝阳区教育委员会",
				},
				Status: store.CasePublished, CreatedBy: "editor", CreatedAt: now, UpdatedAt: now, PublishedAt: now,
			}
			if err := tx.CreateCase(ctx, &c); err != nil {
				return err
			}
			if err := outbox.Enqueue(ctx, tx, now, "case.changed", "case:"+c.ID, map[string]string{"case_id": c.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReindexCommand(t *testing.T) {
	c := newCLI(t)
	if code, out, _ := c.run("", "help"); code != exitOK || !strings.Contains(out, "ethicsportal reindex") {
		t.Fatalf("help does not list reindex: exit %d\n%s", code, out)
	}
	publishCases(t, c.dir, "体罚", 30) // never delivered: only a rebuild indexes them
	code, out, errOut := c.run("", "reindex")
	if code != exitOK || !strings.Contains(out, "search index rebuilt: 30 published cases") {
		t.Fatalf("reindex: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := c.run("", "reindex", "extra"); code != exitUsage || !strings.Contains(errOut, "no arguments") {
		t.Fatalf("reindex with an argument: exit %d %s", code, errOut)
	}

	// While another process (here: an App in this one) holds the embedded
	// index, reindex fails at once and says what to do.
	cfg, err := config.NewLoader(newFlagSet("test", io.Discard), nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = c.run("", "reindex")
	a.Close()
	if code != exitFailed || !strings.Contains(errOut, "in use by another process") || !strings.Contains(errOut, "stop 'ethicsportal serve'") {
		t.Fatalf("reindex beside a server: exit %d\n%s", code, errOut)
	}

	// No store: refused, nothing created.
	empty := newEmptyCLI(t)
	if code, _, errOut := empty.run("", "reindex"); code != exitFailed || !strings.Contains(errOut, "no store") {
		t.Fatalf("reindex without a store: exit %d %s", code, errOut)
	}
	if entries, _ := os.ReadDir(empty.dir); len(entries) != 0 {
		t.Fatalf("reindex without a store created %d entries in the data dir", len(entries))
	}
}

// TestReindexUnreachableMeilisearch: with PORTAL_MEILI_URL pointing at
// nothing, reindex exits non-zero naming the server, without hanging.
func TestReindexUnreachableMeilisearch(t *testing.T) {
	c := newCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port with nothing behind it once closed
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("PORTAL_MEILI_URL", "http://"+addr)
	began := time.Now()
	code, _, errOut := c.run("", "reindex")
	if code != exitFailed || !strings.Contains(errOut, addr) {
		t.Fatalf("reindex with Meilisearch down: exit %d\n%s", code, errOut)
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Fatalf("took %v", d)
	}
}

// TestSearchSurvivesACrash runs the portal as a real process, lets it start
// indexing a backlog of publications, kills it (SIGKILL: nothing is
// flushed or closed), and starts it again on the same data dir: every case
// published is then searchable, none twice.
func TestSearchSurvivesACrash(t *testing.T) {
	if os.Getenv("PORTAL_TEST_SERVE_CHILD") != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		os.Exit(run(ctx, []string{"serve"}, strings.NewReader(""), os.Stdout, os.Stderr))
	}
	if testing.Short() {
		t.Skip("runs the server as a process and waits out a lease")
	}
	dir := t.TempDir()
	const marker, n = "體罰", 400

	first := startServer(t, dir)
	publishCases(t, dir, marker, n)
	// Kill it once the worker is visibly part-way through the backlog.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if total := first.searchTotal(t, "体罚"); total > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing was indexed in 30 s\n%s", first.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.kill(t)

	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.OutboxStats(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pending == 0 {
		t.Fatalf("the worker indexed the whole backlog before the kill: raise n\n%s", first.log())
	}
	t.Logf("killed with %d of %d publications not yet indexed", stats.Pending, n)

	// The dead worker's lease (30 s) must run out before its batch is
	// claimed again.
	second := startServer(t, dir)
	deadline = time.Now().Add(90 * time.Second)
	for {
		total := second.searchTotal(t, "体罚")
		if total == n {
			break
		}
		if total > n {
			t.Fatalf("search finds %d, more than the %d published", total, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart search finds %d of %d\n%s", total, n, second.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// server is a portal running as a child process.
type server struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (s *server) log() string { s.mu.Lock(); defer s.mu.Unlock(); return s.out.String() }

// startServer runs 'ethicsportal serve' on dir in a child process (this
// test binary, re-run to serve) and waits until it is ready.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{base: "http://" + addr, done: make(chan struct{})}
	s.cmd = exec.Command(os.Args[0], "-test.run=^TestSearchSurvivesACrash$", "-test.count=1")
	s.cmd.Env = append(os.Environ(), "PORTAL_TEST_SERVE_CHILD=1", "PORTAL_DATA_DIR="+dir, "PORTAL_ADDR="+addr,
		"PORTAL_DATABASE_URL=", "PORTAL_MEILI_URL=", "PORTAL_RATE_SEARCH=100000/s", "PORTAL_REQUIRE_TOTP=false")
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill(t) })
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("the server exited before it was ready\n%s", s.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server was not ready in 60 s\n%s", s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL and waits for it to be gone.
func (s *server) kill(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// searchTotal asks the server how many cases match q.
func (s *server) searchTotal(t *testing.T, q string) int {
	t.Helper()
	res, err := http.Get(s.base + "/api/v1/cases?per_page=1&q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("search: %v\n%s", err, s.log())
	}
	defer res.Body.Close()
	var ans struct {
		Total int `json:"total"`
	}
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&ans) != nil {
		t.Fatalf("search: status %d\n%s", res.StatusCode, s.log())
	}
	return ans.Total
}

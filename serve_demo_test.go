package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
	"ethicsportal/store/sqlite"
)

// TestServeDemoSearchesEveryCaseAtOnce: serve --demo rebuilds the index
// after loading the demo data and before it listens, so the first search
// finds every visible demo case, not the part the outbox worker has
// delivered so far.
func TestServeDemoSearchesEveryCaseAtOnce(t *testing.T) {
	c := newEmptyCLI(t)
	t.Setenv("PORTAL_MEILI_URL", "") // the embedded index, whose one-by-one filling was slow
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut syncBuffer
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr}, strings.NewReader(""), io.Discard, &errOut)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited with %d after the signal: %s", code, errOut.String())
		}
	}()
	// Loading the demo data takes seconds on a busy machine: poll, bounded.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve --demo did not listen within 2 minutes: %s", errOut.String())
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	// At once: the first answer must be whole.
	const word = "教师"
	res, err := http.Get("http://" + addr + "/api/v1/cases?per_page=1&q=" + url.QueryEscape(word))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var answer struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("search %s: %d %s", word, res.StatusCode, body)
	}

	// What it must find, read from the store beside the server.
	db, err := sqlite.Open(context.Background(), filepath.Join(c.dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases, _, err := db.Cases(context.Background(), store.CaseFilter{Status: store.CasePublished})
	if err != nil {
		t.Fatal(err)
	}
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	today := store.Today(time.Now())
	visible, matching := 0, 0
	for i := range cases {
		cs := &cases[i]
		if !cs.Visible(today) {
			continue
		}
		visible++
		text := strings.Join([]string{cs.Title, cs.Summary, cs.Body, cs.SubjectName, cs.School, cs.Authority}, "\n")
		if strings.Contains(search.MatchText(f, text), word) {
			matching++
		}
	}
	t.Logf("search %s right after start: %d hits; %d visible demo cases, %d of them with the word", word, answer.Total, visible, matching)
	if visible < 100 || matching != visible {
		t.Fatalf("the demo data: %d visible cases, %d of them with %s; want over 100, all with it", visible, matching, word)
	}
	if answer.Total != visible {
		t.Fatalf("search %s right after serve --demo started finds %d of %d visible cases", word, answer.Total, visible)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines
// and read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

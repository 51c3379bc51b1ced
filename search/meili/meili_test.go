package meili_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"ethicsportal/search"
	"ethicsportal/search/meili"
	"ethicsportal/search/meili/meilitest"
	"ethicsportal/search/searchtest"
	"ethicsportal/store"
)

func folder(tb testing.TB) *search.Folder {
	tb.Helper()
	f, err := search.NewFolder()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// open makes an index of its own on the test server, deleted when the test
// ends.
func open(t *testing.T, f *search.Folder) (*meili.Index, meili.Config) {
	t.Helper()
	cfg := meilitest.Config(t)
	ix, err := meili.New(t.Context(), cfg, f)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix, cfg
}

func TestConformance(t *testing.T) {
	f := folder(t)
	searchtest.Run(t, func(t *testing.T) search.Index {
		ix, cfg := open(t, f)
		t.Cleanup(func() { noBuildIndexes(t, cfg) })
		return ix
	})
}

// noBuildIndexes checks that no rebuild left an index behind.
func noBuildIndexes(t *testing.T, cfg meili.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := meilisearch.New(cfg.URL, meilisearch.WithAPIKey(cfg.Key))
	defer c.Close()
	list, err := c.ListIndexes(ctx, &meilisearch.IndexesQuery{Limit: 1000})
	if err != nil {
		t.Errorf("listing indexes: %v", err)
		return
	}
	for _, ix := range list.Results {
		if strings.HasPrefix(ix.UID, cfg.Index+"_build_") {
			t.Errorf("a rebuild left index %s behind", ix.UID)
		}
	}
}

// TestNewTwice: a second instance on an existing index (as another
// application instance starting) finds it and its documents.
func TestNewTwice(t *testing.T) {
	f := folder(t)
	ix, cfg := open(t, f)
	docs := searchtest.Generate(3, 5)
	if err := ix.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	ix2, err := meili.New(t.Context(), cfg, f)
	if err != nil {
		t.Fatalf("New on an existing index: %v", err)
	}
	defer ix2.Close()
	if n, err := ix2.Count(t.Context()); err != nil || n != len(docs) {
		t.Fatalf("Count through the second instance = %d, %v; want %d", n, err, len(docs))
	}
}

// TestSettings: the settings that matching depends on are in place.
func TestSettings(t *testing.T) {
	_, cfg := open(t, folder(t))
	c := meilisearch.New(cfg.URL, meilisearch.WithAPIKey(cfg.Key))
	defer c.Close()
	s, err := c.Index(cfg.Index).GetSettings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.TypoTolerance == nil || s.TypoTolerance.Enabled {
		t.Errorf("typo tolerance %+v, want it off", s.TypoTolerance)
	}
	if !slices.Equal(s.RankingRules[:1], []string{"sort"}) || !slices.Contains(s.RankingRules, "id:asc") {
		t.Errorf("ranking rules %v", s.RankingRules)
	}
	if len(s.LocalizedAttributes) != 1 || !slices.Equal(s.LocalizedAttributes[0].Locales, []string{"eng"}) {
		t.Errorf("localized attributes %+v", s.LocalizedAttributes)
	}
	if s.Pagination == nil || s.Pagination.MaxTotalHits < 1_000_000 {
		t.Errorf("pagination %+v", s.Pagination)
	}
	if slices.Contains(s.DisplayedAttributes, "m_body") || slices.Contains(s.DisplayedAttributes, "*") {
		t.Errorf("displayed attributes %v include the token fields", s.DisplayedAttributes)
	}
}

// TestRefusedWrite: a document the engine refuses fails the task, and
// Upsert says so; that is not the engine being unavailable.
func TestRefusedWrite(t *testing.T) {
	ix, _ := open(t, folder(t))
	d := searchtest.Generate(3, 1)[0]
	d.ID = "not a valid id!"
	err := ix.Upsert(t.Context(), d)
	if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("Upsert of a document with a bad id = %v; want a failed task", err)
	}
	if n, err := ix.Count(t.Context()); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v; want 0", n, err)
	}
}

// TestUnavailable: a server that is down, that fails, or that does not
// answer in time gives errors wrapping search.ErrUnavailable, from New and
// from every method, and quickly.
func TestUnavailable(t *testing.T) {
	f := folder(t)
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"message":"down for maintenance","code":"x","type":"system"}`))
	}))
	defer failing.Close()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)

	for name, url := range map[string]string{"down": down, "failing": failing.URL, "hanging": hanging.URL} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := meili.New(ctx, meili.Config{URL: url, Key: "k", Index: "cases"}, f)
			if !errors.Is(err, search.ErrUnavailable) {
				t.Fatalf("New = %v, want ErrUnavailable", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("New took %v to fail", d)
			}
		})
	}
}

// TestUnavailableAfterStart: an index whose server goes away answers every
// call with ErrUnavailable.
func TestUnavailableAfterStart(t *testing.T) {
	f := folder(t)
	cfg := meilitest.Config(t)
	// A proxy to the test server that can be cut.
	var cut chan struct{} = make(chan struct{})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-cut:
			hj, ok := w.(http.Hijacker)
			if ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		default:
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, cfg.URL+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			_, _ = w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}))
	defer proxy.Close()
	via := cfg
	via.URL = proxy.URL
	ix, err := meili.New(t.Context(), via, f)
	if err != nil {
		t.Fatalf("New through the proxy: %v", err)
	}
	defer ix.Close()
	if err := ix.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	close(cut)
	q := search.Query{Text: "体罚", Today: store.NewDate(2025, 1, 1), Limit: 10}
	checks := map[string]error{
		"Ping":   ix.Ping(t.Context()),
		"Upsert": ix.Upsert(t.Context(), searchtest.Generate(1, 1)...),
		"Delete": ix.Delete(t.Context(), "x"),
		"Rebuild": ix.Rebuild(t.Context(), func(func([]search.Document) error) error {
			return nil
		}),
	}
	_, checks["Search"] = ix.Search(t.Context(), q)
	_, checks["Count"] = ix.Count(t.Context())
	for name, err := range checks {
		if !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%s with the server gone = %v, want ErrUnavailable", name, err)
		}
	}
}

func TestNewRejectsConfig(t *testing.T) {
	f := folder(t)
	for _, cfg := range []meili.Config{
		{URL: "", Index: "cases"},
		{URL: "http://127.0.0.1:1", Index: ""},
		{URL: "http://127.0.0.1:1", Index: "cases; drop"},
		{URL: "http://127.0.0.1:1", Index: "案例"},
	} {
		if _, err := meili.New(t.Context(), cfg, f); err == nil || errors.Is(err, search.ErrUnavailable) {
			t.Errorf("New(%+v) = %v, want a configuration error", cfg, err)
		}
	}
	if _, err := meili.New(t.Context(), meili.Config{URL: "http://127.0.0.1:1", Index: "cases"}, nil); err == nil {
		t.Error("New with no Folder: no error")
	}
}

package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/outbox"
	"ethicsportal/search"
	"ethicsportal/search/meili/meilitest"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/postgres/pgtest"
	"ethicsportal/store/sqlite"
)

// searchEnv is an app on a real SQLite store and the search index its
// configuration names (the embedded index in its data dir, or the index
// the test hands in), with a clock the test controls.
type searchEnv struct {
	t   *testing.T
	app *app.App
	dir string
	mu  sync.Mutex
	now time.Time
}

func (e *searchEnv) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
func (e *searchEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// searchConfig is the configuration of a search test: the data dir and
// vars (such as the Meilisearch settings of a backend) over the defaults.
func searchConfig(t *testing.T, dir string, vars map[string]string) config.Config {
	t.Helper()
	all := map[string]string{"PORTAL_DATA_DIR": dir, "PORTAL_REQUIRE_TOTP": "false", "PORTAL_BASE_URL": "http://portal.test"}
	maps.Copy(all, vars)
	cfg, err := config.NewLoader(flag.NewFlagSet("t", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := all[k]
		return v, ok
	}).Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// forEachBackend runs test on the embedded index and, when
// PORTAL_TEST_MEILI_URL is set (as CI must), on an index of its own on that
// Meilisearch server, both with a SQLite store; and on the embedded index
// with a PostgreSQL store when PORTAL_TEST_POSTGRES_URL is set. vars select
// the backends; nil is the embedded index on SQLite.
func forEachBackend(t *testing.T, test func(t *testing.T, vars map[string]string)) {
	t.Run("bleve", func(t *testing.T) { test(t, nil) })
	t.Run("postgres", func(t *testing.T) { test(t, map[string]string{"PORTAL_DATABASE_URL": pgtest.URL(t)}) })
	t.Run("meili", func(t *testing.T) {
		mc := meilitest.Config(t)
		test(t, map[string]string{"PORTAL_MEILI_URL": mc.URL, "PORTAL_MEILI_KEY": mc.Key, "PORTAL_MEILI_INDEX": mc.Index})
	})
}

func newSearchEnv(t *testing.T, dir string, vars map[string]string, opts ...app.Option) *searchEnv {
	t.Helper()
	e := &searchEnv{t: t, dir: dir, now: start}
	var st store.Store
	var err error
	if url := vars["PORTAL_DATABASE_URL"]; url != "" {
		st, err = postgres.Open(context.Background(), url)
	} else {
		st, err = sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]app.Option{app.WithStore(st), app.WithClock(e.clock)}, opts...)
	a, err := app.New(context.Background(), searchConfig(t, dir, vars), slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.app = a
	return e
}

// caseID makes an id as the app does: 16 lowercase base32 characters.
func caseID(t testing.TB) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// newCase returns a published case with the title and body given.
func newCase(t testing.TB, now time.Time, title, body string) store.Case {
	return store.Case{
		ID: caseID(t),
		CaseContent: store.CaseContent{
			Title: title, Summary: "经查，" + title + "。", Body: body, SubjectName: "张某某",
			School: "北京市某小学", District: "海淀区", Stage: "primary", Categories: []int{5},
			Sanctions:    []store.Sanction{{Type: "warning", Detail: "警告处分"}},
			IncidentDate: store.NewDate(2026, 3, 1), DecisionDate: store.NewDate(2026, 4, 1), Authority: "海淀区教育委员会",
		},
		Status: store.CasePublished, CreatedBy: "editor", CreatedAt: now, UpdatedAt: now, PublishedAt: now,
	}
}

// put writes c to the store (creating or rewriting it) with its case.changed
// message in the same transaction, as publishing, amending and withdrawing
// do.
func (e *searchEnv) put(c *store.Case) {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock()
	c.UpdatedAt = now
	err := e.app.Store().Update(ctx, func(tx store.Tx) error {
		if c.Version == 0 {
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
		} else if err := tx.WriteCase(ctx, c, c.Version); err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, now, "case.changed", "case:"+c.ID, map[string]string{"case_id": c.ID})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// drain delivers every due outbox message.
func (e *searchEnv) drain() {
	e.t.Helper()
	for {
		n, err := e.app.DrainOutbox(context.Background(), "test-worker")
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *searchEnv) search(p app.SearchParams) *app.SearchAnswer {
	e.t.Helper()
	ans, err := e.app.SearchCases(context.Background(), p)
	if err != nil {
		e.t.Fatalf("search %+v: %v", p, err)
	}
	return ans
}

// ids are the ids of an answer's hits, in order.
func ids(ans *app.SearchAnswer) []string {
	out := make([]string, len(ans.Hits))
	for i, h := range ans.Hits {
		out[i] = h.ID
	}
	return out
}

func has(ans *app.SearchAnswer, id string) bool {
	for _, h := range ans.Hits {
		if h.ID == id {
			return true
		}
	}
	return false
}

// TestPublishReachesSearchWithinTwoSeconds: with the worker running as the
// server runs it, a case published (written with its outbox message, by
// another instance: nothing wakes this worker, it finds the message when it
// polls) is found by search within two seconds, in either script.
//
// With Meilisearch the two seconds bound the portal's own part: the worker
// must hand the case to the engine (the engine's enqueuedAt for the
// document addition) within 2 s of publication. What the engine then takes
// is its own: a one-document task was seen at 0.07 s on an idle machine and
// at 1.7 to 2.4 s on this shared two-core one while loaded (about 10 ms of
// work; the rest its indexing threads waiting for CPU), so searchability
// there gets a generous bound beside it.
func TestPublishReachesSearchWithinTwoSeconds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, vars map[string]string) {
		const handBound = 2 * time.Second
		meili := vars["PORTAL_MEILI_URL"] != ""
		bound := 2 * time.Second
		if meili {
			bound = 20 * time.Second
		}
		e := newSearchEnv(t, t.TempDir(), vars)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.app.RunWorker(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		c := newCase(t, e.clock(), "某小学教师體罰學生案", "該教師於課堂上體罰學生。")
		written := time.Now() // the worker may take the message as soon as it commits
		e.put(&c)
		published := time.Now()
		handed := time.Duration(-1) // with Meilisearch: publication to the engine's enqueuedAt
		checkHanded := func() {
			if !meili || handed >= 0 {
				return
			}
			at, ok := meiliAddedSince(t, vars, written)
			switch {
			case ok:
				handed = at.Sub(published)
				t.Logf("handed to Meilisearch %v after publication", handed.Round(time.Millisecond))
				if handed > handBound {
					t.Fatalf("the worker handed the case to Meilisearch %v after publication, over %v", handed, handBound)
				}
			case time.Since(published) > handBound+500*time.Millisecond:
				// The margin is for this poll, not the worker: enqueuedAt is what is bounded.
				t.Fatalf("the worker did not hand the case to Meilisearch within %v of publication", handBound)
			}
		}
		for {
			checkHanded()
			ans := e.search(app.SearchParams{Q: "体罚"})
			if has(ans, c.ID) {
				t.Logf("searchable %v after publication", time.Since(published).Round(time.Millisecond))
				checkHanded()
				if meili && handed < 0 {
					t.Fatal("searchable, but Meilisearch lists no document addition since publication")
				}
				h := ans.Hits[0]
				if !strings.HasSuffix(h.URL, "/cases/"+c.ID) {
					t.Fatalf("url %q", h.URL)
				}
				if h.Highlight == nil || !strings.Contains(h.Highlight.Title, "<mark>") {
					t.Fatalf("no highlight: %+v", h.Highlight)
				}
				break
			}
			if time.Since(published) > bound {
				t.Fatalf("not searchable %v after publication: %v", bound, ids(ans))
			}
			time.Sleep(20 * time.Millisecond) // polling with a deadline, not waiting for a guess
		}
	})
}

// TestOnlyVisibleCasesAreSearchable: drafts, withdrawn cases and cases past
// their disclosure period are never found, whatever the query or filter.
func TestOnlyVisibleCasesAreSearchable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, vars map[string]string) {
		e := newSearchEnv(t, t.TempDir(), vars)
		now := e.clock()
		today := store.Today(now)

		visible := newCase(t, now, "公开案例体罚", "正文")
		draft := newCase(t, now, "草稿案例体罚", "正文")
		draft.Status, draft.PublishedAt = store.CaseDraft, time.Time{}
		withdrawn := newCase(t, now, "撤回案例体罚", "正文")
		expired := newCase(t, now, "过期案例体罚", "正文")
		expired.PublishUntil = today.AddDays(-1)
		expiring := newCase(t, now, "即将到期案例体罚", "正文")
		expiring.PublishUntil = today
		for _, c := range []*store.Case{&visible, &draft, &withdrawn, &expired, &expiring} {
			e.put(c)
		}
		e.drain()
		all := func() *app.SearchAnswer { return e.search(app.SearchParams{Q: "体罚", PerPage: "100"}) }
		if got := all(); got.Total != 3 || !has(got, visible.ID) || !has(got, withdrawn.ID) || !has(got, expiring.ID) {
			t.Fatalf("before withdrawal: total %d, %v", got.Total, ids(got))
		}

		withdrawn.Status, withdrawn.WithdrawnAt, withdrawn.WithdrawReason = store.CaseWithdrawn, now, "决定已撤销"
		e.put(&withdrawn)
		e.drain()
		for _, p := range []app.SearchParams{
			{Q: "体罚", PerPage: "100"},
			{PerPage: "100"},
			{District: `海淀区`, PerPage: "100"},
			{Q: "撤回案例", PerPage: "100"},
			{Q: "草稿", PerPage: "100"},
			{Q: "过期", PerPage: "100"},
		} {
			got := e.search(p)
			for _, c := range []store.Case{draft, withdrawn, expired} {
				if has(got, c.ID) {
					t.Errorf("%+v finds the %s case %q", p, c.Status, c.Title)
				}
			}
		}
		// The disclosure period ends with the day: tomorrow the expiring case
		// has left search, before any sweep has touched the store or index.
		e.advance(24 * time.Hour)
		if got := all(); got.Total != 1 || !has(got, visible.ID) {
			t.Fatalf("a day later: total %d, %v", got.Total, ids(got))
		}
	})
}

// TestSearchAnswerShape: hits carry the public summary (never the linked
// certificate number), facets count by every dimension with categories as
// strings, and filters, sorting and paging apply.
func TestSearchAnswerShape(t *testing.T) {
	forEachBackend(t, func(t *testing.T, vars map[string]string) {
		e := newSearchEnv(t, t.TempDir(), vars)
		now := e.clock()
		a := newCase(t, now, "教师体罚学生", "正文一")
		a.District, a.Categories, a.DecisionDate = "朝阳区", []int{5, 7}, store.NewDate(2026, 1, 10)
		a.CertificateNo = "20191100000000001"
		b := newCase(t, now, "教师收受礼品", "正文二")
		b.Sanctions = []store.Sanction{{Type: "industry_ban", Detail: "禁止从事教育工作五年"}}
		b.Categories, b.DecisionDate = []int{9}, store.NewDate(2026, 2, 10)
		c := newCase(t, now, "教师<b>体罚</b>学生 & 家长", "正文三")
		c.DecisionDate = store.NewDate(2026, 3, 10)
		for _, x := range []*store.Case{&a, &b, &c} {
			e.put(x)
		}
		e.drain()

		all := e.search(app.SearchParams{})
		if all.Total != 3 || all.Page != 1 || all.PerPage != 20 {
			t.Fatalf("answer %d/%d/%d", all.Total, all.Page, all.PerPage)
		}
		if f := all.Facets; f.District["朝阳区"] != 1 || f.District["海淀区"] != 2 || f.Category["5"] != 2 || f.Category["7"] != 1 ||
			f.Category["9"] != 1 || f.Sanction["warning"] != 2 || f.Sanction["industry_ban"] != 1 || f.Stage["primary"] != 3 {
			t.Fatalf("facets %+v", f)
		}
		if strings.Contains(string(all.JSON()), "20191100000000001") || strings.Contains(string(all.JSON()), "certificate") {
			t.Fatalf("the answer carries the linked certificate: %s", all.JSON())
		}
		if got := ids(e.search(app.SearchParams{Sort: "oldest"})); strings.Join(got, ",") != a.ID+","+b.ID+","+c.ID {
			t.Fatalf("oldest first: %v", got)
		}
		if got := ids(e.search(app.SearchParams{Sort: "newest"})); strings.Join(got, ",") != c.ID+","+b.ID+","+a.ID {
			t.Fatalf("newest first: %v", got)
		}
		if got := e.search(app.SearchParams{Sort: "newest", Page: "2", PerPage: "2"}); got.Total != 3 || len(got.Hits) != 1 || got.Hits[0].ID != a.ID {
			t.Fatalf("page 2: %d %v", got.Total, ids(got))
		}
		if got := e.search(app.SearchParams{Page: "3", PerPage: "2"}); got.Total != 3 || len(got.Hits) != 0 {
			t.Fatalf("past the end: %d %v", got.Total, ids(got))
		}
		if got := e.search(app.SearchParams{Categories: []string{"9", "7"}}); got.Total != 2 || has(got, c.ID) {
			t.Fatalf("categories 7 or 9: %v", ids(got))
		}
		if got := e.search(app.SearchParams{Sanctions: []string{"industry_ban"}, District: "海淀区"}); got.Total != 1 || got.Hits[0].ID != b.ID {
			t.Fatalf("ban in 海淀区: %v", ids(got))
		}
		if got := e.search(app.SearchParams{From: "2026-02-10", To: "2026-03-09"}); got.Total != 1 || got.Hits[0].ID != b.ID {
			t.Fatalf("date range: %v", ids(got))
		}
		got := e.search(app.SearchParams{Q: "体罚", Sort: "oldest"})
		if got.Total != 2 || got.Facets.District["朝阳区"] != 1 || got.Facets.District["海淀区"] != 1 {
			t.Fatalf("体罚: %v %+v", ids(got), got.Facets)
		}
		hl := got.Hits[1].Highlight.Title
		if hl != "教师&lt;b&gt;<mark>体罚</mark>&lt;/b&gt;学生 &amp; 家长" {
			t.Fatalf("highlight %q", hl)
		}
		if got.Hits[1].Title != c.Title {
			t.Fatalf("title changed for display: %q", got.Hits[1].Title)
		}
	})
}

// TestSearchCacheFollowsTheGeneration: an answer is served from the cache
// until the publication generation moves, and not after.
func TestSearchCacheFollowsTheGeneration(t *testing.T) {
	ix := &countingIndex{Index: openTestIndex(t, t.TempDir())}
	e := newSearchEnv(t, t.TempDir(), nil, app.WithIndex(ix))
	first := newCase(t, e.clock(), "第一个体罚案例", "正文")
	e.put(&first)
	e.drain()
	p := app.SearchParams{Q: "体罚"}
	if got := e.search(p); got.Total != 1 {
		t.Fatalf("first search: %v", ids(got))
	}
	calls := ix.searches.Load()
	if got := e.search(app.SearchParams{Q: " 體罰 "}); got.Total != 1 || ix.searches.Load() != calls {
		t.Fatalf("the same search in another spelling went to the index (%d calls, was %d)", ix.searches.Load(), calls)
	}

	// Written straight into the index, without the consumer's bump: the
	// cached answer stands.
	second := newCase(t, e.clock(), "第二个体罚案例", "正文")
	if err := ix.Upsert(context.Background(), app.CaseDocument(&second)); err != nil {
		t.Fatal(err)
	}
	if got := e.search(p); got.Total != 1 {
		t.Fatalf("the cached answer was not served: %v", ids(got))
	}
	// Through the store and the outbox, the generation moves and the next
	// search sees both.
	third := newCase(t, e.clock(), "第三个体罚案例", "正文")
	e.put(&third)
	e.drain()
	if got := e.search(p); got.Total != 3 {
		t.Fatalf("after a publication: %v", ids(got))
	}
}

// TestConcurrentSearchesShareOneQuery: identical searches arriving together
// make one query to the index.
func TestConcurrentSearchesShareOneQuery(t *testing.T) {
	gate := make(chan struct{})
	ix := &countingIndex{Index: openTestIndex(t, t.TempDir()), gate: gate}
	cache := &mapCache{m: map[string]*app.SearchAnswer{}}
	e := newSearchEnv(t, t.TempDir(), nil, app.WithIndex(ix), app.WithSearchCache(cache))
	c := newCase(t, e.clock(), "体罚案例", "正文")
	e.put(&c)
	e.drain()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			ans, err := e.app.SearchCases(context.Background(), app.SearchParams{Q: "体罚"})
			if err == nil && ans.Total != 1 {
				err = fmt.Errorf("total %d", ans.Total)
			}
			errs <- err
		})
	}
	// The first query is held at the index until every caller has missed
	// the cache: each then joins the query in flight.
	deadline := time.Now().Add(5 * time.Second)
	for cache.gets.Load() < 20 {
		if time.Now().After(deadline) {
			close(gate)
			t.Fatalf("only %d of 20 searches reached the cache", cache.gets.Load())
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ix.searches.Load(); n != 1 {
		t.Fatalf("%d queries reached the index, want 1", n)
	}
}

// TestSearchUnavailable: a closed index, or one slower than the search
// timeout, is EUnavailable (503) at once, never an internal error or a
// hang; the index is named by Ready.
func TestSearchUnavailable(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		ix := openTestIndex(t, t.TempDir())
		e := newSearchEnv(t, t.TempDir(), nil, app.WithIndex(ix))
		ix.Close()
		_, err := e.app.SearchCases(context.Background(), app.SearchParams{Q: "体罚"})
		if store.ErrorCode(err) != store.EUnavailable {
			t.Fatalf("closed index: %v", err)
		}
		if failed := e.app.Ready(context.Background()); failed["index"] == nil {
			t.Fatalf("Ready does not name the index: %v", failed)
		}
	})
	t.Run("slow", func(t *testing.T) {
		e := newSearchEnv(t, t.TempDir(), nil, app.WithIndex(&stuckIndex{Index: openTestIndex(t, t.TempDir())}), app.WithSearchTimeout(200*time.Millisecond))
		began := time.Now()
		_, err := e.app.SearchCases(context.Background(), app.SearchParams{Q: "体罚"})
		if store.ErrorCode(err) != store.EUnavailable || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow index: %v", err)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Fatalf("took %v with a 200ms timeout", d)
		}
	})
}

// TestReindexRebuildsFromTheStore: the index rebuilt from the store holds
// exactly the visible cases, and an empty embedded index is rebuilt at
// start (the index directory removed, or the first start after upgrade).
func TestReindexRebuildsFromTheStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, vars map[string]string) {
		dir := t.TempDir()
		e := newSearchEnv(t, dir, vars)
		now := e.clock()
		var want []string
		published := 0
		for i := range 1203 { // more than two pages of the rebuild
			c := newCase(t, now, fmt.Sprintf("第%d号体罚案例", i), "正文")
			switch i % 10 {
			case 0:
				c.Status = store.CaseDraft
			case 1:
				c.Status, c.WithdrawnAt = store.CaseWithdrawn, now
			case 2:
				c.PublishUntil = store.Today(now).AddDays(-1)
				published++
			default:
				want = append(want, c.ID)
				published++
			}
			e.put(&c) // the messages are never delivered: the rebuild alone must find them
		}
		var calls, lastDone, lastTotal int
		if err := e.app.Reindex(context.Background(), func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total }); err != nil {
			t.Fatal(err)
		}
		if calls < 2 || lastDone != published || lastTotal != published {
			t.Fatalf("progress: %d calls, last %d of %d; want %d of %d", calls, lastDone, lastTotal, published, published)
		}
		if n, err := e.app.IndexedCases(context.Background()); err != nil || n != len(want) {
			t.Fatalf("indexed %d (%v), want %d", n, err, len(want))
		}
		if got := e.search(app.SearchParams{Q: "体罚"}); got.Total != len(want) {
			t.Fatalf("search finds %d, want %d", got.Total, len(want))
		}
		if vars["PORTAL_MEILI_URL"] != "" {
			return // the rest is the embedded index's
		}
		e.app.Close()

		// The index directory removed: the next start rebuilds it.
		if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
			t.Fatal(err)
		}
		again := newSearchEnv(t, dir, vars)
		if n, err := again.app.IndexedCases(context.Background()); err != nil || n != len(want) {
			t.Fatalf("after a start on an empty index: %d (%v), want %d", n, err, len(want))
		}
	})
}

// TestMeilisearchUnreachable: a server started with Meilisearch down runs
// without search (503, Ready naming the index) rather than not at all; the
// reindex command's App fails at once instead.
func TestMeilisearchUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := map[string]string{"PORTAL_MEILI_URL": "http://" + ln.Addr().String(), "PORTAL_MEILI_KEY": "k"}
	ln.Close() // nothing listens there now
	dir := t.TempDir()
	e := newSearchEnv(t, dir, down)
	if _, err := e.app.SearchCases(context.Background(), app.SearchParams{Q: "体罚"}); store.ErrorCode(err) != store.EUnavailable {
		t.Fatalf("search with Meilisearch down: %v", err)
	}
	if failed := e.app.Ready(context.Background()); failed["index"] == nil || failed["store"] != nil {
		t.Fatalf("Ready: %v", failed)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), searchConfig(t, dir, down), slog.New(slog.NewTextHandler(io.Discard, nil)), app.WithStore(st), app.ForReindex())
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), down["PORTAL_MEILI_URL"]) {
		t.Fatalf("reindex with Meilisearch down: %v", err)
	}
}

// TestEmbeddedIndexIsOneProcess: while one App holds the embedded index,
// another opened for a reindex fails at once with ErrIndexLocked, and one
// opened to serve starts without it (search 503, Ready naming the index).
func TestEmbeddedIndexIsOneProcess(t *testing.T) {
	dir := t.TempDir()
	newSearchEnv(t, dir, nil)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), searchConfig(t, dir, nil), slog.New(slog.NewTextHandler(io.Discard, nil)), app.WithStore(st), app.ForReindex())
	if !errors.Is(err, app.ErrIndexLocked) {
		t.Fatalf("reindex beside a running app: %v", err)
	}
	second := newSearchEnv(t, dir, nil)
	if _, err := second.app.SearchCases(context.Background(), app.SearchParams{}); store.ErrorCode(err) != store.EUnavailable {
		t.Fatalf("search on the second app: %v", err)
	}
	if failed := second.app.Ready(context.Background()); failed["index"] == nil {
		t.Fatalf("Ready: %v", failed)
	}
}

// countingIndex counts searches and, with a gate, holds each until the
// gate closes.
type countingIndex struct {
	search.Index
	gate     chan struct{}
	searches atomic.Int64
}

func (c *countingIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	c.searches.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Index.Search(ctx, q)
}

// mapCache is a SearchCache that counts lookups.
type mapCache struct {
	mu   sync.Mutex
	m    map[string]*app.SearchAnswer
	gets atomic.Int64
}

func (c *mapCache) Get(_ context.Context, key string) (*app.SearchAnswer, bool) {
	c.gets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[key]
	return a, ok
}

func (c *mapCache) Set(_ context.Context, key string, a *app.SearchAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = a
}

// stuckIndex never answers a search before its context ends.
type stuckIndex struct{ search.Index }

func (s *stuckIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	<-ctx.Done()
	return search.Result{}, fmt.Errorf("%w: %w", search.ErrUnavailable, ctx.Err())
}

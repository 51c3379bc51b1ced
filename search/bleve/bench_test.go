package bleve

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
)

// TestBenchSearch measures the index at scale. It runs only when PORTAL_BLEVE_BENCH holds the
// number of cases, for example:
//
//	go test -c -o /tmp/bleve.test ./search/bleve
//	PORTAL_BLEVE_BENCH=100000 PORTAL_BLEVE_BENCH_REPS=3 PORTAL_BLEVE_BENCH_DIR=/tmp/bb100k \
//	  GOMAXPROCS=1 taskset -c 0 /tmp/bleve.test -test.run TestBenchSearch -test.v
//
// It reports the build time (wall and CPU) and the index size, then p50, p90, p99, max and mean
// over a fixed set of 500 one- and two-word queries (20 hits a page) in five passes: text only,
// with facets, with filters, with filters and facets, newest first with facets; and for an
// empty query (every case, newest first: the portal's landing page), with facets, with and
// without filters.
//
// PORTAL_BLEVE_BENCH_REPS runs each query that many times and counts its fastest run (default
// 1). PORTAL_BLEVE_BENCH_DIR keeps the index there and reuses it when it already holds that many
// cases (the build is then not measured again). PORTAL_BLEVE_BENCH_BASELINE=1 also builds plain
// Bleve (baseline_test.go) from the same cases and runs every pass on it too, in the same
// process, with the ratio of the p99s.
//
// PORTAL_BLEVE_BENCH_DATA=demo measures the portal's demo data set instead of this package's
// generator: the cases of bench/gencases (package demo, seed 1, all in public view) and the 500
// queries of bench/gencases -queries 500, the data of bench/search.sh. PORTAL_BLEVE_BENCH_SLOW
// logs that many of the slowest queries of each pass (default 6).
func TestBenchSearch(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTAL_BLEVE_BENCH"))
	if n <= 0 {
		t.Skip("set PORTAL_BLEVE_BENCH to the number of cases to measure")
	}
	ctx := context.Background()
	dir := os.Getenv("PORTAL_BLEVE_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	x, err := Open(dir, testFolder())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var docs []search.Document
	withBaseline := os.Getenv("PORTAL_BLEVE_BENCH_BASELINE") != ""
	useDemo := os.Getenv("PORTAL_BLEVE_BENCH_DATA") == "demo"
	if have, _ := x.Count(ctx); have != n || withBaseline {
		start := time.Now()
		if useDemo {
			if docs, err = demoCases(n); err != nil {
				t.Fatal(err)
			}
		} else {
			docs = genCases(t, 42, n)
		}
		t.Logf("generated %d cases in %v", n, time.Since(start).Round(time.Millisecond))
	}
	if have, _ := x.Count(ctx); have != n {
		start := time.Now()
		cpu := cpuTime(t)
		err := x.Rebuild(ctx, func(put func([]search.Document) error) error {
			for b := range slices.Chunk(docs, 1000) {
				if err := put(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %d cases in %v (CPU %v)", n, time.Since(start).Round(time.Millisecond), (cpuTime(t) - cpu).Round(time.Millisecond))
		if have, err := x.Count(ctx); err != nil || have != n {
			t.Fatalf("built %d cases, %v; want %d", have, err, n)
		}
	}
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	t.Logf("index size %.0f MiB; Go heap in use with the index open %.0f MiB", float64(dirSize(t, dir))/(1<<20), float64(mem.HeapInuse)/(1<<20))
	var base *baseline
	if withBaseline {
		base = newBaseline(t, testFolder(), filepath.Join(t.TempDir(), "baseline"), docs)
		defer base.idx.Close()
	}

	// Each query runs reps times and counts its fastest run: the machine is shared, and a query
	// that another process delayed once is not a slow query.
	reps, _ := strconv.Atoi(os.Getenv("PORTAL_BLEVE_BENCH_REPS"))
	reps = max(reps, 1)
	queries, today := benchQueries(), store.NewDate(2025, 6, 1)
	if useDemo {
		queries, today = demoQueries(), demoToday()
	}
	slowest, err := strconv.Atoi(os.Getenv("PORTAL_BLEVE_BENCH_SLOW"))
	if err != nil {
		slowest = 6
	}
	filtered := benchFilters(len(queries))
	type pass struct {
		name          string
		text, filters bool
		facets        bool
		sort          string
	}
	passes := []pass{
		{name: "text", text: true},
		{name: "text+facets", text: true, facets: true},
		{name: "text+filters", text: true, filters: true},
		{name: "text+filters+facets", text: true, filters: true, facets: true},
		{name: "text newest+facets", text: true, facets: true, sort: search.SortNewest},
		{name: "empty+facets", facets: true},
		{name: "empty+filters+facets", filters: true, facets: true},
	}
	type timed struct {
		d time.Duration
		q string
	}
	run := func(p pass, record bool, do func(context.Context, search.Query) error) []timed {
		var times []timed
		for i, text := range queries {
			q := search.Query{Today: today, Limit: 20, Facets: p.facets, Sort: p.sort}
			if p.text {
				q.Text = text
			}
			if p.filters {
				f := filtered[i]
				q.District, q.Stage, q.Categories, q.Sanctions, q.From, q.To = f.District, f.Stage, f.Categories, f.Sanctions, f.From, f.To
			}
			best := time.Duration(1<<63 - 1)
			for range reps {
				start := time.Now()
				if err := do(ctx, q); err != nil {
					t.Fatal(err)
				}
				best = min(best, time.Since(start))
			}
			if record {
				times = append(times, timed{best, q.Text})
			}
			if !p.text && i == 49 {
				break // an empty query is the same query every time
			}
		}
		return times
	}
	ours := func(ctx context.Context, q search.Query) error {
		_, err := x.Search(ctx, q)
		return err
	}
	report := func(name string, times []timed) time.Duration {
		slices.SortFunc(times, func(a, b timed) int { return int(a.d - b.d) })
		q := func(f float64) time.Duration { return times[int(f*float64(len(times)-1))].d }
		var sum time.Duration
		for _, e := range times {
			sum += e.d
		}
		t.Logf("%-31s n=%3d  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms  mean %6.2f ms",
			name, len(times), ms(q(.5)), ms(q(.9)), ms(q(.99)), ms(times[len(times)-1].d), ms(sum/time.Duration(len(times))))
		return q(.99)
	}
	run(passes[1], false, ours) // warm the page cache and the segment readers
	if base != nil {
		run(passes[1], false, base.search)
	}
	for _, p := range passes {
		times := run(p, true, ours)
		p99 := report(p.name, times)
		if testing.Verbose() && p.text {
			var slow []string
			for _, e := range times[len(times)-min(slowest, len(times)):] {
				slow = append(slow, fmt.Sprintf("%q %.1f", e.q, ms(e.d)))
			}
			t.Logf("    slowest: %s", strings.Join(slow, ", "))
		}
		if base != nil {
			bp99 := report(p.name+" (baseline)", run(p, true, base.search))
			t.Logf("    p99 baseline/ours: %.1fx", float64(bp99)/float64(p99))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchQueries returns the fixed 500 queries: 250 of one word and 250 of two.
func benchQueries() []string {
	r := rand.New(rand.NewPCG(500, 500))
	vocab := append(slices.Clone(queryWords), benchWords...)
	qs := make([]string, 0, 500)
	for i := range 500 {
		w := vocab[r.IntN(len(vocab))]
		if i%2 == 1 {
			w += " " + vocab[r.IntN(len(vocab))]
		}
		qs = append(qs, w)
	}
	return qs
}

// benchWords widen the vocabulary of the benchmark beyond the oracle test's.
var benchWords = []string{
	"教师", "老师", "学校", "小学", "中学", "幼儿园", "罚站", "作业", "课堂", "家长群", "购物卡", "宴请", "回扣", "培训机构",
	"辅导班", "寒暑假", "职业道德", "立德树人", "诚信档案", "撤销", "禁止从事", "终身", "调离", "岗位", "约谈", "整改",
	"举报", "调查", "视频", "网络", "侮辱", "自尊心", "排名", "座位", "推销", "保健品", "器械", "摔伤", "隐瞒", "招生",
	"营利", "错误言论", "课件", "获奖证书", "高级职称", "体育课", "河边", "教委", "区", "学", "师", "款", "某", "處分", "師德",
}

type benchFilter struct {
	District, Stage string
	Categories      []int
	Sanctions       []string
	From, To        store.Date
}

// benchFilters returns one filter set per query: a district, a stage, categories, sanctions or a
// date range, alone or together.
func benchFilters(n int) []benchFilter {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]benchFilter, n)
	for i := range out {
		f := &out[i]
		switch i % 5 {
		case 0:
			f.District = genDistricts[r.IntN(len(genDistricts))]
		case 1:
			f.Stage = genStages[r.IntN(len(genStages))]
		case 2:
			f.Categories = []int{1 + r.IntN(10), 1 + r.IntN(10)}
		case 3:
			f.Sanctions = []string{"warning", "demerit"}
			f.District = genDistricts[r.IntN(len(genDistricts))]
		case 4:
			f.From = store.NewDate(2016+r.IntN(8), time.Month(1+r.IntN(12)), 1)
			f.To = f.From.AddDays(365)
		}
	}
	return out
}

func dirSize(t *testing.T, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(fmt.Errorf("measuring %s: %w", dir, err))
	}
	return n
}

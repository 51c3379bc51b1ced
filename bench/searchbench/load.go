package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ethicsportal/config"
	"ethicsportal/search"
	"ethicsportal/search/bleve"
	"ethicsportal/search/meili"
	"ethicsportal/store"
)

// benchQuery is one query as the portal is asked it and as the index is.
type benchQuery struct {
	params url.Values
	query  search.Query
}

var (
	districts = []string{"东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
		"通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"}
	stages    = []string{"kindergarten", "primary", "junior_secondary", "senior_secondary", "vocational", "special"}
	sanctions = []string{"warning", "demerit", "demotion", "removal", "dismissal", "public_criticism",
		"disqualified_from_honours", "removed_from_teaching", "revoke_qualification", "industry_ban"}
)

// queries reads one query a line and makes each a benchQuery. With
// filters, query i also filters by a district, and by a category, a
// sanction or a stage for some i: the same filters every run.
func queries(path string, f *search.Folder, filters, facets bool) ([]benchQuery, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	today := store.Today(time.Now())
	var out []benchQuery
	sc := bufio.NewScanner(file)
	for i := 0; sc.Scan(); i++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		p := url.Values{"q": {text}}
		q := search.Query{Text: f.Fold(text), Today: today, Sort: search.SortRelevance, Limit: 20, Facets: facets}
		if filters {
			q.District = districts[i%len(districts)]
			p.Set("district", q.District)
			if i%3 == 0 {
				q.Categories = []int{i%10 + 1}
				p.Set("category", strconv.Itoa(q.Categories[0]))
			}
			if i%5 == 0 {
				q.Sanctions = []string{sanctions[i%len(sanctions)]}
				p.Set("sanction", q.Sanctions[0])
			}
			if i%7 == 0 {
				q.Stage = stages[i%len(stages)]
				p.Set("stage", q.Stage)
			}
		}
		out = append(out, benchQuery{params: p, query: q})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no queries", path)
	}
	return out, nil
}

// bench runs the queries against the portal over HTTP or straight against
// the index, with c clients in a closed loop, and prints the BENCH line.
func bench(ctx context.Context, mode string, fs *flag.FlagSet, args []string) error {
	base := fs.String("url", "", "portal: the portal's base URL")
	qfile := fs.String("queries", "", "one query a line (bench/gencases -queries)")
	variant := fs.String("variant", "text", "text: the query text alone; filters: with filters as well")
	facets := fs.Bool("facets", true, "engine: ask for facet counts (the portal always does)")
	clients := fs.Int("c", 8, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "measured duration")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured run first")
	cfg, err := configure(fs, args)
	if err != nil {
		return err
	}
	if *variant != "text" && *variant != "filters" {
		return fmt.Errorf("-variant: text or filters, not %q", *variant)
	}
	f, err := search.NewFolder()
	if err != nil {
		return err
	}
	qs, err := queries(*qfile, f, *variant == "filters", *facets)
	if err != nil {
		return err
	}
	name := mode + "-" + *variant
	var do func(ctx context.Context, q *benchQuery) error
	switch mode {
	case "portal":
		if *base == "" {
			return fmt.Errorf("portal: -url is required")
		}
		client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: *clients}}
		do = func(ctx context.Context, q *benchQuery) error { return portalSearch(ctx, client, *base, q) }
	default:
		ix, err := openIndex(ctx, cfg, f)
		if err != nil {
			return err
		}
		defer ix.Close()
		if !*facets {
			name += "-nofacets"
		}
		do = func(ctx context.Context, q *benchQuery) error { _, err := ix.Search(ctx, q.query); return err }
	}
	st := run(ctx, qs, do, *clients, *warmup, *dur)
	fmt.Printf("BENCH name=%s requests=%d rps=%.0f p50_us=%d p99_us=%d errors=%d\n",
		name, st.n, float64(st.n)/dur.Seconds(), st.p50.Microseconds(), st.p99.Microseconds(), st.errors)
	if st.firstErr != nil {
		fmt.Fprintln(os.Stderr, "searchbench: first error:", st.firstErr)
	}
	return nil
}

func portalSearch(ctx context.Context, client *http.Client, base string, q *benchQuery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/cases?"+q.params.Encode(), nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// openIndex opens the index the configuration names, without the portal:
// the benchmark stops the portal before it opens the embedded index.
func openIndex(ctx context.Context, cfg config.Config, f *search.Folder) (search.Index, error) {
	if cfg.MeiliURL != "" {
		return meili.New(ctx, meili.Config{URL: cfg.MeiliURL, Key: cfg.MeiliKey, Index: cfg.MeiliIndex}, f)
	}
	return bleve.Open(filepath.Join(cfg.DataDir, "index"), f)
}

type stats struct {
	n, errors int
	p50, p99  time.Duration
	firstErr  error
}

// run calls do with the queries in turn from c clients, each starting the
// next as soon as its last returns, for warmup and then d; it keeps the
// latencies of the calls that began and ended inside d.
func run(ctx context.Context, qs []benchQuery, do func(context.Context, *benchQuery) error, c int, warmup, d time.Duration) stats {
	var next atomic.Int64
	from := time.Now().Add(warmup)
	until := from.Add(d)
	lat := make([][]time.Duration, c)
	errs := make([]int, c)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				q := &qs[int(next.Add(1)-1)%len(qs)]
				began := time.Now()
				if !began.Before(until) {
					return
				}
				err := do(ctx, q)
				ended := time.Now()
				if began.Before(from) || ended.After(until) {
					continue
				}
				if err != nil {
					errs[w]++
					once.Do(func() { firstErr = err })
					continue
				}
				lat[w] = append(lat[w], ended.Sub(began))
			}
		})
	}
	wg.Wait()
	var all []time.Duration
	st := stats{firstErr: firstErr}
	for w := range c {
		all = append(all, lat[w]...)
		st.errors += errs[w]
	}
	slices.Sort(all)
	st.n = len(all)
	if st.n > 0 {
		st.p50 = all[st.n*50/100]
		st.p99 = all[min(st.n-1, st.n*99/100)]
	}
	return st
}

package meili_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"ethicsportal/search"
	"ethicsportal/search/meili"
	"ethicsportal/search/meili/meilitest"
	"ethicsportal/search/searchtest"
	"ethicsportal/store"
)

// benchQueries are one- and two-word queries of the kind people type, in
// both scripts, that the generated corpus holds in varying amounts.
var benchQueries = []string{
	"体罚", "體罰", "学生", "有偿补课", "補課", "辱骂学生", "收受 礼品", "学术不端", "违规招生", "索要财物",
	"歧视", "酒后驾驶", "试题", "罚款", "张某某", "王某某", "海淀区", "朝阳区 体罚", "实验小学", "幼儿园 辱骂",
	"第3中学", "外国语学校", "职业技术学校", "家长群", "课后服务", "寒假", "期末考试 泄露", "学生会", "恶劣 影响",
	"教师队伍", "身心 伤害", "警告", "撤销教师资格", "禁止从事教育工作", "通报批评", "开除", "降低岗位等级", "记过",
	"北京市教育委员会", "十项准则",
}

// BenchmarkSearch times searches on an index of BENCH_MEILI_N generated
// cases (default 10,000), built once: client-side time per search (ns/op,
// p50, p99) beside the time Meilisearch reports for the same searches
// (engine-ms/op, rounded by the engine to whole milliseconds). The two stay
// within about a millisecond of each other unless the transport adds its
// own delay, as a client asking for gzip did (~44 ms a search): the
// "gzip-client" case keeps that comparison in view.
func BenchmarkSearch(b *testing.B) {
	n := 10_000
	if s := os.Getenv("BENCH_MEILI_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("BENCH_MEILI_N: %v", err)
		}
	}
	f := folder(b)
	cfg := meilitest.Config(b)
	ctx := context.Background()
	ix, err := meili.New(ctx, cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := searchtest.Generate(42, n)
	start := time.Now()
	for i := 0; i < len(docs); i += 10_000 {
		if err := ix.Upsert(ctx, docs[i:min(i+10_000, len(docs))]...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("indexed %d cases in %v (%.0f a second)", n, time.Since(start).Round(time.Millisecond),
		float64(n)/time.Since(start).Seconds())

	// The same index through a client that lets net/http ask for gzip.
	gz := cfg
	gz.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	ixGzip, err := meili.New(ctx, gz, f)
	if err != nil {
		b.Fatal(err)
	}
	defer ixGzip.Close()

	today := store.NewDate(2025, time.June, 1)
	for _, c := range []struct {
		name string
		ix   *meili.Index
		set  func(q *search.Query)
	}{
		{"text", ix, func(q *search.Query) {}},
		{"text+filters", ix, func(q *search.Query) { q.District, q.Categories = "海淀区", []int{5, 7} }},
		{"text+facets", ix, func(q *search.Query) { q.Facets = true }},
		{"none+facets", ix, func(q *search.Query) { q.Text, q.Facets = "", true }},
		{"newest+facets", ix, func(q *search.Query) { q.Sort, q.Facets = search.SortNewest, true }},
		{"gzip-client/text", ixGzip, func(q *search.Query) {}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			var engine time.Duration
			i := 0
			for b.Loop() {
				q := search.Query{Text: benchQueries[i%len(benchQueries)], Today: today, Limit: 20}
				c.set(&q)
				i++
				t0 := time.Now()
				if _, e, err := c.ix.SearchTimed(ctx, q); err != nil {
					b.Fatal(err)
				} else {
					engine += e
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(ms(engine)/float64(len(lat)), "engine-ms/op")
		})
	}
}

package handlers_test

// BenchmarkVerifyBatchHTTP compares, through the portal's HTTP handler
// (routing, middleware, body parsing, the answer's encoding; no socket),
// a batch of 500 checks, sent with a school client's key and recorded as
// its use, with the same 500 checks sent as single (public, unrecorded)
// verifications, in the same run:
//
//	go test -run '^$' -bench VerifyBatchHTTP -benchtime 20x ./handlers/
//
// BENCH_BATCH_N (default 100000) sizes the register. bench/batch.sh
// measures the same over real connections, the server pinned to a core.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/handlers"
	"ethicsportal/store/sqlite"
)

func BenchmarkVerifyBatchHTTP(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	vars := map[string]string{"PORTAL_DATA_DIR": dir, "PORTAL_REQUIRE_TOTP": "false",
		"PORTAL_RATE_VERIFY": "1000000/s", "PORTAL_RATE_CLIENT": "1000000/s", "PORTAL_BASE_URL": "http://portal.test", "PORTAL_ACCESS_LOG": "false"}
	cfg, err := config.NewLoader(flag.NewFlagSet("bench", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}).Load()
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, dir+"/portal.db")
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, log, app.WithStore(st))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	h := handlers.New(a, log).Fiber().Handler()
	client, err := a.CreateClient(ctx, app.ActorCLI, app.NewClient{Name: "bench", Scopes: []string{"verify_batch"}})
	if err != nil {
		b.Fatal(err)
	}

	// The register: n credentials, numbers and names as bench/gencsv makes
	// them, roughly.
	n := 100000
	if s := os.Getenv("BENCH_BATCH_N"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < app.MaxBatchItems {
			b.Fatalf("BENCH_BATCH_N: want a number of at least %d, got %q", app.MaxBatchItems, s)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	surnames, given := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"), []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚")
	var file strings.Builder
	file.WriteString("certificate_no,holder_name,kind,subject,issuer,issued_on,registered_until\n")
	type pair struct{ no, name string }
	pairs := make([]pair, n)
	for i := range pairs {
		p := pair{fmt.Sprintf("2019110%010d", i), string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))]) + string(given[rng.IntN(len(given))])}
		pairs[i] = p
		fmt.Fprintf(&file, "%s,%s,primary,语文,东城区教委,2019-07-01,2029-06-30\n", p.no, p.name)
	}
	if rep, err := a.ImportCredentials(ctx, app.ActorCLI, strings.NewReader(file.String()), app.ImportOptions{}); err != nil || rep.Inserted != n {
		b.Fatalf("import: %v", err)
	}
	// Bodies: batches of 500 distinct numbers, one in ten a miss, and the
	// same checks as single requests.
	type batch struct {
		body    []byte
		singles [][]byte
	}
	batches := make([]batch, 8)
	for k := range batches {
		var items []map[string]string
		for _, i := range rng.Perm(n)[:app.MaxBatchItems] {
			p := pairs[i]
			switch rng.IntN(20) {
			case 0:
				p.no = "2019120" + p.no[7:] // unknown
			case 1:
				p.name = "查无此人"
			}
			item := map[string]string{"certificate_no": p.no, "name": p.name}
			items = append(items, item)
			single, _ := json.Marshal(item)
			batches[k].singles = append(batches[k].singles, single)
		}
		batches[k].body, _ = json.Marshal(map[string]any{"items": items})
	}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	post := func(b *testing.B, path string, body []byte) []byte {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI(path)
		req.Header.SetContentType("application/json")
		if path == batchPath {
			req.Header.Set("X-API-Key", client.APIKey)
		}
		req.SetBody(body)
		var rc fasthttp.RequestCtx
		rc.Init(&req, remote, nil)
		h(&rc)
		if rc.Response.StatusCode() != 200 {
			b.Fatalf("%s: %d %s", path, rc.Response.StatusCode(), rc.Response.Body())
		}
		return rc.Response.Body()
	}
	// Sanity: the batch answers as many results as it was asked.
	var out struct{ Results []json.RawMessage }
	if err := json.Unmarshal(post(b, batchPath, batches[0].body), &out); err != nil || len(out.Results) != app.MaxBatchItems {
		b.Fatalf("the batch answered %d results, %v", len(out.Results), err)
	}
	single := func(b *testing.B, k int) {
		for _, body := range batches[k].singles {
			post(b, "/api/v1/verifications", body)
		}
	}
	perItem := func(d time.Duration, iters int) float64 {
		return float64(d.Nanoseconds()) / float64(iters*app.MaxBatchItems)
	}
	// Both in turn, so that the ratio is of the same moments of a shared
	// machine.
	var ts, tb time.Duration
	i := 0
	for b.Loop() {
		k := i % len(batches)
		t0 := time.Now()
		single(b, k)
		t1 := time.Now()
		post(b, batchPath, batches[k].body)
		ts, tb = ts+t1.Sub(t0), tb+time.Since(t1)
		i++
	}
	b.ReportMetric(perItem(ts, i), "single-ns/item")
	b.ReportMetric(perItem(tb, i), "batch-ns/item")
	b.ReportMetric(float64(tb)/float64(ts), "batch/single")
}

// Command searchbench is the search benchmark's tool (bench/search.sh runs
// it). Every subcommand reads the portal's PORTAL_* configuration, so the
// store and the index are the ones the portal would use.
//
//	searchbench load -cases cases.jsonl        write the cases into the store, then time a rebuild of the index
//	searchbench serve [-cache=false] [-local-cache=false] [-cpuprofile F]
//	                                           the portal's HTTP server, optionally without the answer cache,
//	                                           or without its in-process tier (Redis, if set, still answers)
//	searchbench portal -url URL -queries F     load GET /api/v1/cases with the queries, closed loop
//	searchbench engine -queries F              the same queries straight to the index (search.Index.Search)
//
// portal and engine take -variant text|filters, -c (concurrent clients),
// -d (measured duration) and -warmup, and print one line:
//
//	BENCH name=... requests=N rps=R p50_us=... p99_us=... errors=E
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"ethicsportal/app"
	"ethicsportal/config"
	"ethicsportal/handlers"
	"ethicsportal/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: searchbench load|serve|portal|engine [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet("searchbench "+cmd, flag.ExitOnError)
	var err error
	switch cmd {
	case "load":
		err = load(ctx, fs, args)
	case "serve":
		err = serve(ctx, fs, args)
	case "portal", "engine":
		err = bench(ctx, cmd, fs, args)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

// configure parses the flags with the configuration's own and loads it.
func configure(fs *flag.FlagSet, args []string) (config.Config, error) {
	loader := config.NewLoader(fs, nil)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	return loader.Load()
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// load writes the cases of a JSON lines file (bench/gencases) into the
// store, a thousand per transaction, and then rebuilds the index from the
// store as 'ethicsportal reindex' does, timing each step.
func load(ctx context.Context, fs *flag.FlagSet, args []string) error {
	casesFile := fs.String("cases", "", "JSON lines of store.Case (bench/gencases)")
	cfg, err := configure(fs, args)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, logger(), app.ForReindex())
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := os.Open(*casesFile)
	if err != nil {
		return err
	}
	defer f.Close()
	began := time.Now()
	n, err := writeCases(ctx, a.Store(), f)
	if err != nil {
		return err
	}
	wrote := time.Since(began)
	began = time.Now()
	if err := a.Reindex(ctx, nil); err != nil {
		return err
	}
	built := time.Since(began)
	indexed, err := a.IndexedCases(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("LOAD cases=%d store_s=%.1f index_s=%.1f indexed=%d\n", n, wrote.Seconds(), built.Seconds(), indexed)
	return nil
}

func writeCases(ctx context.Context, st store.Store, r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	var batch []store.Case
	flush := func() error {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := range batch {
				if err := tx.CreateCase(ctx, &batch[i]); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for sc.Scan() {
		var c store.Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return n, fmt.Errorf("case %d: %w", n+1, err)
		}
		batch = append(batch, c)
		n++
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// noCache is a SearchCache that keeps nothing: with it every request goes
// to the index, which is what the benchmark measures.
type noCache struct{}

func (noCache) Get(context.Context, string) (*app.SearchAnswer, bool) { return nil, false }
func (noCache) Set(context.Context, string, *app.SearchAnswer)        {}

// serve runs the portal's HTTP server, as 'ethicsportal serve' does, with
// the answer cache on or off, or with only its Redis tier.
func serve(ctx context.Context, fs *flag.FlagSet, args []string) error {
	cache := fs.Bool("cache", true, "cache search answers (false: every search reaches the index)")
	local := fs.Bool("local-cache", true, "keep answers in this process (false: only the Redis tier of PORTAL_REDIS_URL caches)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run here")
	cfg, err := configure(fs, args)
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := logger()
	var opts []app.Option
	switch {
	case !*cache:
		opts = append(opts, app.WithSearchCache(noCache{}))
	case !*local:
		opts = append(opts, app.WithLocalSearchCache(noCache{}))
	}
	a, err := app.New(ctx, cfg, log, opts...)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := handlers.New(a, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

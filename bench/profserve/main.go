// Command profserve is `ethicsportal serve` with a CPU profile: it builds
// the same app and HTTP server from the same PORTAL_* configuration, and
// records a runtime/pprof CPU profile from start-up until SIGINT or SIGTERM,
// so that the profile shows where the portal's time goes under load.
//
//	PORTAL_DATA_DIR=... PORTAL_ADDR=127.0.0.1:8082 PORTAL_RATE_VERIFY=1000000/s \
//	  go run ./bench/profserve -cpuprofile portal.pprof
//	go tool pprof -top portal.pprof
package main

import (
	"context"
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
)

func main() {
	fs := flag.NewFlagSet("profserve", flag.ExitOnError)
	out := fs.String("cpuprofile", "portal.pprof", "write the CPU profile here")
	loader := config.NewLoader(fs, nil)
	_ = fs.Parse(os.Args[1:])
	cfg, err := loader.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profserve:", err)
		os.Exit(2)
	}
	if err := run(cfg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "profserve:", err)
		os.Exit(1)
	}
}

func run(cfg config.Config, out string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := handlers.New(a, log)

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Addr) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	pprof.StopCPUProfile()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return err
}

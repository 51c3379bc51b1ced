package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"ethicsportal/app"
	"ethicsportal/handlers"
	"ethicsportal/store"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 20 * time.Second

func (e env) serve(ctx context.Context, args []string) int {
	fs := newFlagSet("serve", e.stderr)
	cfg, rest, err := parse(fs, args)
	if err != nil {
		return e.configError(err)
	}
	if len(rest) > 0 {
		return e.usageError(fmt.Sprintf("serve takes no arguments, got %q", rest))
	}
	log := newLogger(cfg, e.stderr)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFailed
	}
	defer a.Close()
	if cfg.Demo {
		loaded, err := a.LoadDemo(ctx)
		if errors.Is(err, app.ErrRealStore) {
			fmt.Fprintf(e.stderr, "ethicsportal: serve --demo refused: %v\n", err)
			return exitUsage
		}
		if err != nil {
			log.Error("cannot load the demo data", "err", err)
			return exitFailed
		}
		if loaded {
			log.Info("demo data loaded: synthetic credentials, misconduct cases and one account per role",
				"accounts", "demo-editor, demo-registrar, demo-reviewer, demo-auditor, demo-admin", "password", app.DemoPassword,
				"cases", app.DemoCases, "revoked_example", app.DemoRevokedExample)
			indexDemo(ctx, a, log)
		}
	}
	if !cfg.Demo {
		retired, err := a.ClaimReal(ctx, cliActor())
		if errors.Is(err, app.ErrDemoStore) {
			fmt.Fprintf(e.stderr, "ethicsportal: serve refused: %v\n", err)
			return exitUsage
		}
		if store.IsCode(err, store.ELastAdmin) {
			fmt.Fprintf(e.stderr, "ethicsportal: serve refused: the demo accounts with the published password must be disabled and %s; add another admin first ('ethicsportal user add')\n", store.ErrorMessage(err))
			return exitUsage
		}
		if err != nil {
			log.Error("cannot start", "err", err)
			return exitFailed
		}
		if len(retired) > 0 {
			log.Warn("demo accounts with the published password were disabled: this store also holds real data",
				"accounts", strings.Join(retired, ", "))
		}
	}
	log.Debug("configuration", "config", cfg.Redacted())
	srv := handlers.New(a, log)
	workerCtx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	go func() { a.RunWorker(workerCtx); close(workerDone) }()
	defer func() { stopWorker(); <-workerDone }() // before the store closes
	expiryDone := make(chan struct{})
	go func() { a.RunExpiry(workerCtx); close(expiryDone) }()
	defer func() { stopWorker(); <-expiryDone }()
	webhooksDone := make(chan struct{})
	go func() { a.RunWebhooks(workerCtx); close(webhooksDone) }()
	defer func() { stopWorker(); <-webhooksDone }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Addr) }()
	backend := "SQLite in " + cfg.DataDir
	if cfg.DatabaseURL != "" {
		backend = "PostgreSQL"
	}
	log.Info("serving", "addr", cfg.Addr, "url", cfg.BaseURL, "store", backend, "demo", cfg.Demo, "totp_required", cfg.RequireTOTP)
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		return exitFailed
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return exitFailed
	}
	log.Info("stopped")
	return exitOK
}

// indexDemo rebuilds the search index from the store after the demo data
// was loaded, before the server listens: the outbox would otherwise fill
// it one case at a time (a minute and more on a busy machine) while
// /readyz says ready and search shows a partial, growing set. A rebuild
// reads the cases in pages and takes seconds. The load's outbox messages
// are still delivered afterwards; they are idempotent. A failure is
// logged, not fatal: the worker still fills the index from the outbox.
func indexDemo(ctx context.Context, a *app.App, log *slog.Logger) {
	start := time.Now()
	if err := a.Reindex(ctx, nil); err != nil {
		log.Warn("search index: could not rebuild it after loading the demo data; the outbox worker fills it instead", "err", err)
		return
	}
	log.Info("search index: rebuilt from the demo data", "took", time.Since(start).Round(time.Millisecond))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"ethicsportal/app"
)

// reindex rebuilds the search index from the store. With the embedded
// index it must run while no server uses the data dir: the index is open
// in one process at a time.
func (e env) reindex(ctx context.Context, args []string) int {
	fs := newFlagSet("reindex", e.stderr)
	cfg, _, code, ok := e.parseArgs(fs, args, 0, "reindex takes no arguments")
	if !ok {
		return code
	}
	a, err := app.New(ctx, cfg, newLogger(cfg, e.stderr), app.ExistingStoreOnly(), app.ForReindex())
	switch {
	case errors.Is(err, app.ErrIndexLocked):
		fmt.Fprintf(e.stderr, "ethicsportal: reindex refused: %v.\n"+
			"The embedded index is open in one process at a time: stop 'ethicsportal serve', run reindex, then start it again\n"+
			"(or stop it, remove the index directory and start it: a server that finds an empty index rebuilds it).\n", err)
		return exitFailed
	case err != nil:
		fmt.Fprintf(e.stderr, "ethicsportal: reindex: %v\n", err)
		return exitFailed
	}
	defer a.Close()

	start := time.Now()
	var progress func(done, total int)
	tty := isTerminal(e.stderr)
	if tty {
		progress = func(done, total int) { printReindexProgress(e.stderr, done, total, time.Since(start)) }
	}
	err = a.Reindex(ctx, progress)
	if tty {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		// The whole chain: an unreachable engine's own words say most.
		fmt.Fprintf(e.stderr, "ethicsportal: reindex failed, the index is unchanged: %v\n", err)
		return exitFailed
	}
	n, err := a.IndexedCases(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: reindex: counting the new index: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "search index rebuilt: %d published cases in %s\n", n, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func printReindexProgress(w io.Writer, done, total int, elapsed time.Duration) {
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	fmt.Fprintf(w, "\r%10d of %d cases  %5.1f%%  %8.0f cases/s", done, total, pct, float64(done)/elapsed.Seconds())
}

package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"ethicsportal/search"
)

// WithIndex makes the App use ix as its search index instead of opening
// the one the configuration names, for tests. The App closes it.
func WithIndex(ix search.Index) Option { return func(a *App) { a.givenIndex = ix } }

// WithoutIndex makes the App leave the search index closed: for operator
// commands that never search, so that they neither wait for Meilisearch
// nor contend for the embedded index with a running server. Searches
// answer EUnavailable, and outbox messages for the index are not taken
// (they stay for an instance that has it).
func WithoutIndex() Option { return func(a *App) { a.indexMode = indexNone } }

// ForReindex makes New fail when the search index cannot be opened (by
// default New starts without it and keeps trying in the background), and
// skips the rebuild of an empty embedded index at start, which the
// reindex command does anyway.
func ForReindex() Option { return func(a *App) { a.indexMode = indexForReindex } }

// WithSearchTimeout sets how long a search waits for the index before
// answering EUnavailable (default SearchTimeout), for tests.
func WithSearchTimeout(d time.Duration) Option { return func(a *App) { a.searchTimeout = d } }

// How New treats the search index.
const (
	indexServe      = iota // open it; on failure start without it and keep trying
	indexNone              // leave it closed
	indexForReindex        // open it or fail
)

// indexRetry is how often an App that could not open its index tries again.
const indexRetry = 5 * time.Second

// ErrIndexLocked is wrapped by New's error (with ForReindex) when another
// process has the embedded index open.
var ErrIndexLocked = errors.New("the embedded search index is in use by another process")

// setUpIndex opens the search index as a.indexMode says and adds the
// index's outbox consumer. retry reports that the index could not be
// opened and New should keep trying (keepOpening) once the App is built.
func (a *App) setUpIndex(ctx context.Context) (retry bool, err error) {
	a.index = &liveIndex{}
	a.consumers = append(a.consumers, indexConsumer{a})
	switch {
	case a.givenIndex != nil:
		a.index.install(a.givenIndex)
		return false, nil
	case a.indexMode == indexNone:
		return false, nil
	}
	if a.indexMode == indexServe && a.cfg.MeiliURL == "" && a.cfg.DatabaseURL != "" {
		// Each instance's embedded index takes only the outbox messages its
		// own worker claims: two instances on one database would each miss
		// the other's share, and with Redis share their wrong answers.
		a.log.Warn("search index: the embedded index belongs to this instance alone; " +
			"run more than one instance on this database only with PORTAL_MEILI_URL")
	}
	ix, err := a.openIndex(ctx)
	if err == nil {
		if a.indexMode == indexServe && a.cfg.MeiliURL == "" {
			a.rebuildIfEmpty(ctx, ix)
		}
		a.index.install(ix)
		return false, nil
	}
	if a.indexMode == indexForReindex {
		return false, err
	}
	a.log.Error("search index: cannot open it; search answers 503 until it opens, retrying", "every", indexRetry, "err", err)
	return true, nil
}

// openIndex opens the index the configuration names: Meilisearch when
// PORTAL_MEILI_URL is set, else the embedded index in the data dir, which
// one process at a time may hold.
func (a *App) openIndex(ctx context.Context) (search.Index, error) {
	if a.cfg.MeiliURL != "" {
		ix, err := openMeili(ctx, a.cfg, a.folder)
		if err != nil {
			return nil, fmt.Errorf("app: open the Meilisearch index %q at %s: %w", a.cfg.MeiliIndex, a.cfg.MeiliURL, err)
		}
		return ix, nil
	}
	dir := filepath.Join(a.cfg.DataDir, "index")
	return openEmbedded(dir, a.folder)
}

// liveIndex is the App's search index: the open index once there is one,
// and until then a stand-in whose every call fails with
// search.ErrUnavailable. Safe for concurrent use.
type liveIndex struct {
	cur atomic.Pointer[indexRef]

	mu     sync.Mutex
	closed bool
	stop   context.CancelFunc // ends keepOpening
	done   chan struct{}      // closed when keepOpening returns
}

type indexRef struct{ search.Index }

// get returns the open index, or an error wrapping search.ErrUnavailable.
func (l *liveIndex) get() (search.Index, error) {
	if r := l.cur.Load(); r != nil {
		return r.Index, nil
	}
	return nil, errIndexNotOpen
}

// install makes ix the index, unless the App is closing: then it closes ix
// and reports false.
func (l *liveIndex) install(ix search.Index) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		ix.Close()
		return false
	}
	l.cur.Store(&indexRef{ix})
	return true
}

// keepOpening tries to open a's index every interval until it opens or the
// App closes.
func (l *liveIndex) keepOpening(a *App, every time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	l.mu.Lock()
	l.stop, l.done = cancel, make(chan struct{})
	l.mu.Unlock()
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ix, err := a.openIndex(ctx)
			if err != nil {
				a.log.Debug("search index: still cannot open it", "err", err)
				continue
			}
			if a.cfg.MeiliURL == "" {
				a.rebuildIfEmpty(ctx, ix)
			}
			if l.install(ix) {
				a.log.Info("search index: open")
				a.wakeWorker() // messages held back while it was closed
			}
			return
		}
	}()
}

// Close stops trying to open the index and closes it if open.
func (l *liveIndex) Close() error {
	l.mu.Lock()
	l.closed = true
	stop, done := l.stop, l.done
	l.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if r := l.cur.Swap(nil); r != nil {
		return r.Close()
	}
	return nil
}

// Search implements the part of search.Index SearchCases needs.
func (l *liveIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	ix, err := l.get()
	if err != nil {
		return search.Result{}, err
	}
	return ix.Search(ctx, q)
}

// Ping reports whether the index is open and its engine answers.
func (l *liveIndex) Ping(ctx context.Context) error {
	ix, err := l.get()
	if err != nil {
		return err
	}
	return ix.Ping(ctx)
}

// Package meili implements search.Index on a Meilisearch server, through
// meilisearch-go. Several application instances can share one index.
//
// Documents are kept with their display text and, for matching, their text
// in search.MatchText form written one token per character (see tokens.go):
// Meilisearch neither folds Traditional to Simplified nor matches inside
// its Chinese words, and the search contract needs both. Every query word
// is sent as a phrase, all of which must match. Filters are built from
// typed values only (filter.go).
package meili

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"ethicsportal/search"
)

// Config says where the index lives.
type Config struct {
	URL   string // the server, e.g. http://127.0.0.1:7700
	Key   string // an API key allowed to manage the index (or the master key)
	Index string // the index name; Rebuild also makes <Index>_build_<random> for a while
	// HTTPClient is used for every request if set. Its transport should
	// disable compression and keep connections alive (see NewHTTPClient).
	HTTPClient *http.Client
}

// NewHTTPClient returns the client New uses when Config has none. Its
// transport never asks for gzip: net/http asking Meilisearch for compressed
// answers was seen to make every search take ~44 ms against 0.8 ms without
// (BenchmarkSearch would show it coming back). It keeps enough idle
// connections for concurrent searches not to open new ones, and gives up on
// any one request after timeout.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			DisableCompression:    true,
			MaxIdleConns:          128,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// requestTimeout bounds each request of the default client: a search, one
// poll of a task, one batch of documents sent.
const requestTimeout = 30 * time.Second

// Index is a search.Index on Meilisearch. Safe for concurrent use.
type Index struct {
	client meilisearch.ServiceManager
	http   *http.Client
	name   string
	f      *search.Folder
}

var _ search.Index = (*Index)(nil)

// indexName is what Meilisearch accepts as an index uid, leaving room for
// the suffix of a rebuild.
var indexName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,300}$`)

// New connects to the server, creates the index if it does not exist and
// applies the settings, waiting until the server has applied them. An
// unreachable server gives an error wrapping search.ErrUnavailable.
func New(ctx context.Context, cfg Config, f *search.Folder) (*Index, error) {
	switch {
	case cfg.URL == "":
		return nil, errors.New("meili: no server URL")
	case !indexName.MatchString(cfg.Index):
		return nil, fmt.Errorf("meili: index name %q: want 1 to 300 letters, digits, '-' or '_'", cfg.Index)
	case f == nil:
		return nil, errors.New("meili: no Folder")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = NewHTTPClient(requestTimeout)
	}
	ix := &Index{
		// Retries are the caller's to decide (the outbox retries writes; a
		// search answers 503 at once rather than after seconds of back-off).
		client: meilisearch.New(cfg.URL, meilisearch.WithAPIKey(cfg.Key),
			meilisearch.WithCustomClient(hc), meilisearch.DisableRetries()),
		http: hc,
		name: cfg.Index,
		f:    f,
	}
	if err := ix.prepare(ctx, ix.name); err != nil {
		return nil, err
	}
	return ix, nil
}

// Close releases idle connections.
func (ix *Index) Close() error {
	ix.http.CloseIdleConnections()
	return nil
}

// Ping reports whether the server answers and the index exists.
func (ix *Index) Ping(ctx context.Context) error {
	if _, err := ix.client.GetIndex(ctx, ix.name); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Count returns how many documents the index holds, expired ones included.
func (ix *Index) Count(ctx context.Context) (int, error) {
	st, err := ix.client.Index(ix.name).GetStats(ctx, nil)
	if err != nil {
		return 0, wrap("count", err)
	}
	return int(st.NumberOfDocuments), nil
}

// batchSize is how many documents go in one request: about 6 MB of JSON for
// cases of a few thousand characters, well under the server's 100 MB limit.
const batchSize = 1000

// Upsert adds or replaces docs and returns when the server has indexed them
// all, or with the error of the first batch it refused.
func (ix *Index) Upsert(ctx context.Context, docs ...search.Document) error {
	return ix.upsert(ctx, ix.name, docs)
}

func (ix *Index) upsert(ctx context.Context, index string, docs []search.Document) error {
	var tasks []int64
	for i := 0; i < len(docs); i += batchSize {
		batch := make([]doc, 0, min(batchSize, len(docs)-i))
		for _, d := range docs[i:min(i+batchSize, len(docs))] {
			batch = append(batch, ix.toDoc(d))
		}
		pk := "id"
		info, err := ix.client.Index(index).AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return wrap("upsert", err)
		}
		tasks = append(tasks, info.TaskUID)
	}
	// The batches were all sent first, so the server indexes one while the
	// next arrives; they are applied in order.
	for _, uid := range tasks {
		if err := ix.wait(ctx, "upsert", uid); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the documents with those ids and returns when the server
// has removed them.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	info, err := ix.client.Index(ix.name).DeleteDocuments(ctx, ids, nil)
	if err != nil {
		return wrap("delete", err)
	}
	return ix.wait(ctx, "delete", info.TaskUID)
}

// Rebuild builds a new index named <Index>_build_<random> with the same
// settings, lets fill add to it, swaps it with the live index (one
// Meilisearch task, atomic for searches) and deletes the old copy. If fill
// or any step before the swap fails, the build index is deleted and the
// live one is untouched. Writes through Upsert and Delete while fill runs
// reach the live index only.
//
// An error after the swap (deleting the old copy) says so: the new index is
// in place, and an index named <Index>_build_... is left to delete by hand.
func (ix *Index) Rebuild(ctx context.Context, fill func(put func(docs []search.Document) error) error) (err error) {
	var suffix [6]byte
	_, _ = rand.Read(suffix[:]) // crypto/rand.Read never fails
	build := ix.name + "_build_" + hex.EncodeToString(suffix[:])
	defer func() {
		if err != nil {
			// The caller's context may be what failed; the clean-up gets its own.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if derr := ix.deleteIndex(cctx, build); derr != nil {
				err = fmt.Errorf("%w (and deleting the build index %s: %v)", err, build, derr)
			}
		}
	}()
	if err := ix.prepare(ctx, build); err != nil {
		return err
	}
	if err := fill(func(docs []search.Document) error { return ix.upsert(ctx, build, docs) }); err != nil {
		return fmt.Errorf("meili: rebuild: %w", err)
	}
	info, err := ix.client.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{ix.name, build}}})
	if err != nil {
		return wrap("rebuild: swap", err)
	}
	if err := ix.wait(ctx, "rebuild: swap", info.TaskUID); err != nil {
		return err
	}
	// The swap is done: build now names the old copy. Deleting it is all
	// that is left, and a failure must not delete the live index instead.
	if derr := ix.deleteIndex(ctx, build); derr != nil {
		return fmt.Errorf("meili: rebuilt %s, but deleting the old copy %s: %w", ix.name, build, derr)
	}
	return nil
}

func (ix *Index) deleteIndex(ctx context.Context, name string) error {
	info, err := ix.client.DeleteIndex(ctx, name)
	if err != nil {
		return wrap("delete index", err)
	}
	return ix.wait(ctx, "delete index", info.TaskUID)
}

// prepare creates the index if it does not exist and applies the settings.
func (ix *Index) prepare(ctx context.Context, name string) error {
	info, err := ix.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: name, PrimaryKey: "id"})
	if err != nil {
		return wrap("create index "+name, err)
	}
	if err := ix.wait(ctx, "create index "+name, info.TaskUID); err != nil && !errors.Is(err, errIndexExists) {
		return err
	}
	s := settings()
	info, err = ix.client.Index(name).UpdateSettings(ctx, &s)
	if err != nil {
		return wrap("settings of "+name, err)
	}
	if err := ix.wait(ctx, "settings of "+name, info.TaskUID); err != nil {
		return err
	}
	// facetSearch is a bool the client's Settings leaves out when false.
	info, err = ix.client.Index(name).UpdateFacetSearch(ctx, false)
	if err != nil {
		return wrap("settings of "+name, err)
	}
	return ix.wait(ctx, "settings of "+name, info.TaskUID)
}

// errIndexExists is the failure of a task that creates an existing index.
var errIndexExists = errors.New("index already exists")

// wait polls the task until the server has processed it, and returns an
// error if it failed or was cancelled. Polls start at a millisecond and
// back off to 50: most writes of a few documents take a few milliseconds.
func (ix *Index) wait(ctx context.Context, op string, uid int64) error {
	delay := time.Millisecond
	for {
		task, err := ix.client.GetTask(ctx, uid)
		if err != nil {
			return wrap(op+": task", err)
		}
		switch task.Status {
		case meilisearch.TaskStatusSucceeded:
			return nil
		case meilisearch.TaskStatusFailed:
			if task.Error.Code == meilisearch.APIErrCode("index_already_exists") {
				return errIndexExists
			}
			return fmt.Errorf("meili: %s: task %d failed: %s (%s)", op, uid, task.Error.Message, task.Error.Code)
		case meilisearch.TaskStatusCanceled:
			return fmt.Errorf("meili: %s: task %d was cancelled", op, uid)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("meili: %s: waiting for task %d: %w: %w", op, uid, search.ErrUnavailable, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// wrap turns a client error into an error of this package: one that wraps
// search.ErrUnavailable when the server could not be reached, did not
// answer in time or failed (5xx), and says what the server refused
// otherwise. The client's own message repeats the whole request body, which
// for a batch of documents is megabytes: it is not used.
func wrap(op string, err error) error {
	var me *meilisearch.Error
	if !errors.As(err, &me) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return fmt.Errorf("meili: %s: %w: %w", op, search.ErrUnavailable, err)
		}
		return fmt.Errorf("meili: %s: %w", op, err)
	}
	switch {
	case me.ErrCode == meilisearch.TimeoutError || me.ErrCode == meilisearch.CommunicationError:
		return fmt.Errorf("meili: %s: %w: %w", op, search.ErrUnavailable, me.OriginError)
	case me.StatusCode >= 500:
		return fmt.Errorf("meili: %s: %w: HTTP %d: %s", op, search.ErrUnavailable, me.StatusCode, me.APIError.Message)
	case me.StatusCode != 0:
		return fmt.Errorf("meili: %s: HTTP %d: %s (%s)", op, me.StatusCode, me.APIError.Message, me.APIError.Code)
	case me.OriginError != nil:
		return fmt.Errorf("meili: %s: %w", op, me.OriginError)
	}
	return fmt.Errorf("meili: %s: error %d from the client", op, me.ErrCode)
}

// unavailable is wrap for the reads the public depends on (search, ping):
// whatever keeps the index from answering, a wrong key or a missing index
// as much as a server down, makes it unavailable, and the caller answers
// 503 rather than 500.
func unavailable(op string, err error) error {
	err = wrap(op, err)
	if errors.Is(err, search.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", search.ErrUnavailable, err)
}

// Package bleve is the embedded full-text index of published cases, on Bleve (scorch).
//
// Matching is exact substring matching on folded text (search.MatchText). Every run of one to
// four characters of the text is indexed as a term ("gram"), the four-character ones with their
// positions, so a query word of up to four characters is one term lookup and a longer one a
// phrase of four-character grams (see analyze.go). Words are found segment by segment as bitmaps
// of document numbers and intersected; filters, expiry, facets and ordering are then read from
// in-memory columns built once per segment from its doc values (columns.go), and only the hits
// of the page are loaded from storage, where the display text is kept as published. Nothing
// from a query is ever parsed as query syntax: words are terms, filter values are compared as
// typed values.
//
// On disk, dir holds the index in a subdirectory named by the file CURRENT. Rebuild makes a new
// subdirectory, fills it, and renames a new CURRENT into place, so a crash at any point leaves
// either the old index or the new one current; Open removes whatever else it finds.
package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"ethicsportal/search"
)

// rebuildBatch is how many documents Rebuild gathers into one batch.
const rebuildBatch = 5000

const (
	lockFile    = "LOCK"
	currentFile = "CURRENT"
	dirPrefix   = "idx-"
)

// ErrLocked is wrapped by Open's error when another process holds the index
// directory (a running server, when reindex is started beside it).
var ErrLocked = errors.New("the index is in use by another process")

// Index implements search.Index on a Bleve index in a directory.
type Index struct {
	f    *search.Folder
	dir  string
	cols *columnCache
	// rebuildBatch is how many documents Rebuild gathers into one batch (the constant; tests
	// lower it).
	rebuildBatch int

	// rebuild serialises Rebuild.
	rebuild sync.Mutex

	// mu guards cur and closed. Searches and writes hold it shared for their whole run, so the
	// swap in Rebuild (exclusive) waits for them and never closes an index in use.
	mu     sync.RWMutex
	cur    blevesearch.Index
	name   string // the subdirectory of cur
	closed bool
	lock   *os.File // holds the directory's lock (lockDir) until Close
}

var _ search.Index = (*Index)(nil)

// Open opens the index kept in dir, creating dir and an empty index when there is none. It
// finishes what a crash interrupted: a half-built or superseded index is removed.
func Open(dir string, f *search.Folder) (*Index, error) {
	if f == nil {
		return nil, errors.New("bleve: a Folder is required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	x, err := open(dir, f)
	if err != nil {
		lock.Close()
		return nil, err
	}
	x.lock = lock
	return x, nil
}

// open opens the index in dir, which the caller has locked.
func open(dir string, f *search.Folder) (*Index, error) {
	name, err := readCurrent(dir)
	if errors.Is(err, os.ErrNotExist) {
		// No index was ever made current: whatever is there is a half-made first one.
		return openNew(dir, f)
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	if err := removeStale(dir, name); err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		// CURRENT names an index that is gone: serving an empty one would hide the loss.
		return nil, fmt.Errorf("bleve: %s names %s: %w; remove %s and reindex", currentFile, name, err, dir)
	}
	idx, err := blevesearch.OpenUsing(path, openConfig())
	if err != nil {
		return nil, fmt.Errorf("bleve: opening %s (is another process using it?): %w", path, err)
	}
	x := &Index{f: f, dir: dir, cols: newColumnCache(), rebuildBatch: rebuildBatch, cur: idx, name: name}
	if err := x.warm(idx); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: opening %s: %w", path, err)
	}
	return x, nil
}

// openNew makes the first index of dir and makes it current.
func openNew(dir string, f *search.Folder) (*Index, error) {
	name := dirPrefix + "1"
	if err := removeStale(dir, ""); err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	idx, err := create(filepath.Join(dir, name), false)
	if err != nil {
		return nil, err
	}
	if err := writeCurrent(dir, name); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: %w", err)
	}
	return &Index{f: f, dir: dir, cols: newColumnCache(), rebuildBatch: rebuildBatch, cur: idx, name: name}, nil
}

// create makes an empty index at path. Documents are built by hand (IndexAdvanced), so the
// mapping indexes nothing by itself.
//
// A bulk index (for Rebuild) does not wait for each batch to reach the disk; its builder waits
// once, at the end (persist), and reopens it as a normal index before anyone writes to it.
func create(path string, bulk bool) (blevesearch.Index, error) {
	m := mapping.NewIndexMapping()
	m.DefaultMapping = mapping.NewDocumentDisabledMapping()
	m.IndexDynamic, m.StoreDynamic, m.DocValuesDynamic = false, false, false
	config := openConfig()
	if bulk {
		config["unsafe_batch"] = true
	}
	idx, err := blevesearch.NewUsing(path, m, scorch.Name, scorch.Name, config)
	if err != nil {
		return nil, fmt.Errorf("bleve: creating %s: %w", path, err)
	}
	return idx, nil
}

// lockWait bounds the wait for the file lock of an index another process holds open (two
// processes on one directory: serve and reindex, say): without it, Open would wait for ever.
const lockWait = 2 * time.Second

func openConfig() map[string]any {
	return map[string]any{"bolt_timeout": lockWait.String()}
}

// acquire returns the current index with mu held shared; the caller calls mu.RUnlock.
func (x *Index) acquire() (blevesearch.Index, error) {
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return nil, fmt.Errorf("bleve: index closed: %w", search.ErrUnavailable)
	}
	return x.cur, nil
}

// Upsert implements search.Index. The batch is applied whole; Bleve returns once it is
// searchable and written to disk.
func (x *Index) Upsert(ctx context.Context, docs ...search.Document) error {
	if len(docs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bleve: upsert: %w", err)
	}
	idx, err := x.acquire()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()
	b := idx.NewBatch()
	for _, d := range docs {
		doc, err := newDocument(x.f, d)
		if err != nil {
			return fmt.Errorf("bleve: upsert: %w", err)
		}
		if err := b.IndexAdvanced(doc); err != nil {
			return fmt.Errorf("bleve: upsert: %w", err)
		}
	}
	if err := idx.Batch(b); err != nil {
		return fmt.Errorf("bleve: upsert: %w: %w", search.ErrUnavailable, err)
	}
	return nil
}

// Delete implements search.Index.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bleve: delete: %w", err)
	}
	idx, err := x.acquire()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()
	b := idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := idx.Batch(b); err != nil {
		return fmt.Errorf("bleve: delete: %w: %w", search.ErrUnavailable, err)
	}
	return nil
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q search.Query) (search.Result, error) {
	p, err := makePlan(x.f, q)
	if err != nil {
		return search.Result{}, fmt.Errorf("bleve: %w", err)
	}
	idx, err := x.acquire()
	if err != nil {
		return search.Result{}, err
	}
	defer x.mu.RUnlock()
	res, err := run(ctx, x.f, x.cols, idx, p)
	if err != nil {
		return search.Result{}, fmt.Errorf("bleve: search: %w: %w", search.ErrUnavailable, err)
	}
	return res, nil
}

// Rebuild implements search.Index. The new index is built in a sibling directory while searches
// and writes go on against the current one; CURRENT is then replaced by rename, the handle
// swapped and the old directory removed. If fill fails, the new directory is removed.
func (x *Index) Rebuild(ctx context.Context, fill func(put func(docs []search.Document) error) error) error {
	x.rebuild.Lock()
	defer x.rebuild.Unlock()

	x.mu.RLock()
	closed, oldName := x.closed, x.name
	x.mu.RUnlock()
	if closed {
		return fmt.Errorf("bleve: index closed: %w", search.ErrUnavailable)
	}
	name, err := nextName(oldName)
	if err != nil {
		return fmt.Errorf("bleve: rebuild: %w", err)
	}
	path := filepath.Join(x.dir, name)
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("bleve: rebuild: %w", err)
	}
	idx, err := create(path, true)
	if err != nil {
		return err
	}
	discard := func(cause error) error {
		// idx is the bulk index, or the reopened one, or closed already (a second Close is
		// harmless); the directory goes either way.
		idx.Close()
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("bleve: rebuild: %w (and removing %s: %w)", cause, path, err)
		}
		return fmt.Errorf("bleve: rebuild: %w", cause)
	}

	// put gathers documents into large batches: each batch becomes a segment, and fewer, larger
	// segments leave the merger less to redo.
	b := idx.NewBatch()
	pending := 0
	flush := func() error {
		if pending == 0 {
			return nil
		}
		err := idx.Batch(b)
		b.Reset()
		pending = 0
		return err
	}
	put := func(docs []search.Document) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, d := range docs {
			doc, err := newDocument(x.f, d)
			if err != nil {
				return err
			}
			if err := b.IndexAdvanced(doc); err != nil {
				return err
			}
			pending++
		}
		if pending >= x.rebuildBatch {
			return flush()
		}
		return nil
	}
	if err := fill(put); err != nil {
		return discard(err)
	}
	if err := flush(); err != nil {
		return discard(err)
	}
	if err := ctx.Err(); err != nil {
		return discard(err)
	}
	if err := persist(idx); err != nil {
		return discard(err)
	}
	if err := idx.Close(); err != nil {
		return discard(err)
	}
	if idx, err = blevesearch.OpenUsing(path, openConfig()); err != nil {
		return discard(err)
	}
	if err := x.warm(idx); err != nil {
		return discard(err)
	}

	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return discard(fmt.Errorf("index closed: %w", search.ErrUnavailable))
	}
	// CURRENT changes under the lock so that the handle and the file never disagree for a
	// search or a write.
	if err := writeCurrent(x.dir, name); err != nil {
		x.mu.Unlock()
		return discard(err)
	}
	old := x.cur
	x.cur, x.name = idx, name
	x.mu.Unlock()

	if err := old.Close(); err != nil {
		return fmt.Errorf("bleve: rebuild: closing the old index: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(x.dir, oldName)); err != nil {
		return fmt.Errorf("bleve: rebuild: removing the old index: %w", err)
	}
	return nil
}

// persist returns once everything written to the bulk index idx is on disk: a last batch asks to
// be told when it is persisted, and the persister writes snapshots whole and in order.
func persist(idx blevesearch.Index) error {
	done := make(chan error, 1)
	b := idx.NewBatch()
	b.SetInternal([]byte("built"), []byte(time.Now().UTC().Format(time.RFC3339)))
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := idx.Batch(b); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return fmt.Errorf("persisting: %w", err)
	}
	return nil
}

// warm builds the columns of idx's segments, so that the first search after Open or Rebuild does
// not pay for them.
func (x *Index) warm(idx blevesearch.Index) error {
	adv, err := idx.Advanced()
	if err != nil {
		return err
	}
	reader, err := adv.Reader()
	if err != nil {
		return err
	}
	defer reader.Close()
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("unexpected index reader %T", reader)
	}
	_, err = x.cols.view(snap)
	return err
}

// Count implements search.Index.
func (x *Index) Count(ctx context.Context) (int, error) {
	idx, err := x.acquire()
	if err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	n, err := idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("bleve: count: %w: %w", search.ErrUnavailable, err)
	}
	return int(n), nil
}

// Ping implements search.Index.
func (x *Index) Ping(ctx context.Context) error {
	_, err := x.Count(ctx)
	return err
}

// Close implements search.Index. It waits for searches and writes in progress; later calls
// answer ErrUnavailable.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	err := x.cur.Close()
	if x.lock != nil {
		x.lock.Close() // after the index: the lock guards its files
	}
	if err != nil {
		return fmt.Errorf("bleve: close: %w", err)
	}
	return nil
}

// readCurrent returns the subdirectory CURRENT names.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if _, err := nextName(name); err != nil {
		return "", fmt.Errorf("%s holds %q: %w", currentFile, name, err)
	}
	return name, nil
}

// writeCurrent makes name current: written to a temporary file, synced, renamed over CURRENT,
// and the directory synced, so that after a crash CURRENT is the old name or the new one whole.
func writeCurrent(dir, name string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = fh.WriteString(name + "\n")
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, currentFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", currentFile, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// nextName returns the subdirectory name after name ("idx-7" -> "idx-8").
func nextName(name string) (string, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(name, dirPrefix), 10, 32)
	if !strings.HasPrefix(name, dirPrefix) || err != nil {
		return "", fmt.Errorf("%q is not an index name", name)
	}
	return dirPrefix + strconv.FormatUint(n+1, 10), nil
}

// removeStale removes what a crash left in dir: index subdirectories other than keep (half
// built, or superseded but not yet removed) and a temporary CURRENT. Nothing else is touched.
func removeStale(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == keep || !(strings.HasPrefix(n, dirPrefix) || n == currentFile+".tmp") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ethicsportal/config"
	"ethicsportal/search"
	"ethicsportal/search/bleve"
	"ethicsportal/search/meili"
)

// meiliOpenTimeout bounds connecting to Meilisearch and applying the
// index's settings at start: a server that does not answer must not hold
// the portal's start-up (it starts without search and retries).
const meiliOpenTimeout = 15 * time.Second

// openMeili opens the Meilisearch index cfg names, applying its settings.
func openMeili(ctx context.Context, cfg config.Config, f *search.Folder) (search.Index, error) {
	ctx, cancel := context.WithTimeout(ctx, meiliOpenTimeout)
	defer cancel()
	ix, err := meili.New(ctx, meili.Config{URL: cfg.MeiliURL, Key: cfg.MeiliKey, Index: cfg.MeiliIndex}, f)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return ix, nil
}

// openEmbedded opens the embedded index kept in dir; ErrIndexLocked when
// another process holds it.
func openEmbedded(dir string, f *search.Folder) (search.Index, error) {
	ix, err := bleve.Open(dir, f)
	if errors.Is(err, bleve.ErrLocked) {
		return nil, fmt.Errorf("%w (%s): stop the server that uses this data dir first", ErrIndexLocked, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("app: open the search index in %s: %w", dir, err)
	}
	return ix, nil
}

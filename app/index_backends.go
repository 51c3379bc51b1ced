package app

import (
	"context"
	"errors"

	"ethicsportal/config"
	"ethicsportal/search"
	"ethicsportal/search/bleve"
)

// errNoMeili: the Meilisearch backend is not merged yet.
var errNoMeili = errors.New("the Meilisearch backend is not built into this binary yet")

// openMeili opens the Meilisearch index cfg names.
func openMeili(ctx context.Context, cfg config.Config, f *search.Folder) (search.Index, error) {
	return nil, errNoMeili
}

// openEmbedded opens the embedded index kept in dir.
func openEmbedded(dir string, f *search.Folder) (search.Index, error) {
	ix, err := bleve.Open(dir, f)
	if err != nil {
		return nil, err
	}
	return ix, nil
}

package app_test

import (
	"testing"

	"ethicsportal/search"
	"ethicsportal/search/bleve"
)

// openTestIndex opens an embedded index in dir for a test; the App it is
// given to closes it (closing twice is harmless).
func openTestIndex(t *testing.T, dir string) search.Index {
	t.Helper()
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleve.Open(dir, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

package app_test

import (
	"testing"

	"ethicsportal/search"
)

// openTestIndex opens an embedded index in dir for a test.
func openTestIndex(t *testing.T, dir string) search.Index {
	t.Skip("the embedded index is not merged yet")
	return nil
}

package bleve

import (
	"testing"

	"ethicsportal/search"
	"ethicsportal/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		return openTest(t, t.TempDir())
	})
}

package meili

import (
	"context"
	"time"

	"ethicsportal/search"
)

// FilterEq is the expression attr = value as the filter builder writes it.
func FilterEq(attr, value string) string {
	var f filter
	f.eq(attr, value)
	return f.String()
}

// FilterIn is the expression attr IN [values] as the filter builder writes it.
func FilterIn(attr string, values []string) string {
	var f filter
	f.in(attr, values)
	return f.String()
}

// SearchTimed is Search that also returns the time the engine reported.
func (ix *Index) SearchTimed(ctx context.Context, q search.Query) (search.Result, time.Duration, error) {
	return ix.search(ctx, q)
}

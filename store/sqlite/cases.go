package sqlite

import (
	"context"
	"time"

	"ethicsportal/store"
)

// The case register is not built yet in this backend: every method
// answers EInternal until it is.

func notYet() error { return store.Errorf(store.EInternal, "sqlite: cases are not built yet") }

// CaseByID implements store.Reader.
func (r reader) CaseByID(ctx context.Context, id string) (*store.Case, error) { return nil, notYet() }

// Cases implements store.Reader.
func (r reader) Cases(ctx context.Context, f store.CaseFilter) ([]store.Case, int, error) {
	return nil, 0, notYet()
}

// PublishedCases implements store.Reader.
func (r reader) PublishedCases(ctx context.Context, after string, limit int) ([]store.Case, error) {
	return nil, notYet()
}

// NewestVisibleCases implements store.Reader.
func (r reader) NewestVisibleCases(ctx context.Context, today store.Date, limit int) ([]store.Case, error) {
	return nil, notYet()
}

// PublicationGeneration implements store.Reader.
func (r reader) PublicationGeneration(ctx context.Context) (int64, error) { return 0, notYet() }

// CreateCase implements store.Tx.
func (t *txn) CreateCase(ctx context.Context, c *store.Case) error { return notYet() }

// WriteCase implements store.Tx.
func (t *txn) WriteCase(ctx context.Context, c *store.Case, fromVersion int64) error { return notYet() }

// AddCaseRevision implements store.Tx.
func (t *txn) AddCaseRevision(ctx context.Context, caseID string, r *store.CaseRevision) error {
	return notYet()
}

// ExpireCases implements store.Tx.
func (t *txn) ExpireCases(ctx context.Context, today store.Date, at time.Time, limit int) ([]string, error) {
	return nil, notYet()
}

// BumpPublicationGeneration implements store.Tx.
func (t *txn) BumpPublicationGeneration(ctx context.Context) (int64, error) { return 0, notYet() }

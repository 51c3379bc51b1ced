package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ethicsportal/search"
	"ethicsportal/store"
)

// indexConsumerName is the name under which the search index takes
// TopicCaseChanged messages.
const indexConsumerName = "search-index"

// reindexPage is how many cases a rebuild reads from the store at a time.
const reindexPage = 500

// reindexCatchUpMargin reaches back before a rebuild's start when catching
// up with the changes made while it ran: a change is stamped when it is
// decided, a moment before it commits, and instances' clocks differ a
// little.
const reindexCatchUpMargin = time.Minute

// caseChanged is the payload of a case.changed message.
type caseChanged struct {
	CaseID string `json:"case_id"`
}

// indexConsumer keeps the search index in step with the store: for each
// case.changed message it reads the case and upserts it when the public
// may see it, or deletes it otherwise. It decides from the stored state,
// not from the message, so it is idempotent and a message delivered twice
// or late does no harm; the outbox delivers one case's messages in order.
type indexConsumer struct{ a *App }

func (c indexConsumer) Name() string { return indexConsumerName }

// Consume implements outbox.Consumer. Other topics are ignored. A payload
// without a case id can never be delivered: it is logged and dropped
// rather than retried for ever.
func (c indexConsumer) Consume(ctx context.Context, m store.OutboxMessage) error {
	if m.Topic != TopicCaseChanged {
		return nil
	}
	var p caseChanged
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.CaseID == "" {
		c.a.log.Error("search index: dropped a case.changed message without a case id", "message", m.ID, "payload", string(m.Payload))
		return nil
	}
	return c.a.indexCase(ctx, p.CaseID)
}

// indexCase brings the index's copy of one case in line with the store
// and then bumps the publication generation, so that cached search answers
// made before the change are not served after it.
func (a *App) indexCase(ctx context.Context, id string) error {
	ix, err := a.index.get()
	if err != nil {
		return err
	}
	c, err := a.store.CaseByID(ctx, id)
	switch {
	case errNotFound(err):
		err = ix.Delete(ctx, id)
	case err != nil:
		return fmt.Errorf("app: index case %s: %w", id, err)
	case c.Visible(a.today()):
		err = ix.Upsert(ctx, caseDocument(c))
	default:
		err = ix.Delete(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("app: index case %s: %w", id, err)
	}
	return a.bumpGeneration(ctx)
}

func (a *App) bumpGeneration(ctx context.Context) error {
	err := a.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.BumpPublicationGeneration(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("app: bump the publication generation: %w", err)
	}
	return nil
}

// caseDocument is what the index keeps of a published case: its public
// text and what search filters by, never the linked certificate number.
func caseDocument(c *store.Case) search.Document {
	return search.Document{
		ID: c.ID, Title: c.Title, Summary: c.Summary, Body: c.Body, SubjectName: c.SubjectName,
		School: c.School, Authority: c.Authority, District: c.District, Stage: c.Stage,
		Categories: c.Categories, Sanctions: c.Sanctions, DecisionDate: c.DecisionDate,
		PublishedAt: c.PublishedAt, PublishUntil: c.PublishUntil,
	}
}

// Reindex rebuilds the search index from the store: every case the public
// may see today, read in pages, into a new index that replaces the old one
// at once (searches see the old index whole until then). progress, if not
// nil, is called after each page with the published cases read so far and
// their total. Changes made while it runs are applied to the new index
// afterwards. Errors: EUnavailable when the index cannot be reached, or
// the store's.
func (a *App) Reindex(ctx context.Context, progress func(done, total int)) error {
	ix, err := a.index.get()
	if err != nil {
		return unavailable("the search index is not open", err)
	}
	err = a.reindexInto(ctx, ix, progress)
	if errors.Is(err, search.ErrUnavailable) {
		return unavailable("the search index cannot be reached", err)
	}
	return err
}

func (a *App) reindexInto(ctx context.Context, ix search.Index, progress func(done, total int)) error {
	start := a.now()
	_, total, err := a.store.Cases(ctx, store.CaseFilter{Status: store.CasePublished, Limit: 1})
	if err != nil {
		return fmt.Errorf("app: reindex: count published cases: %w", err)
	}
	today := a.today()
	err = ix.Rebuild(ctx, func(put func(docs []search.Document) error) error {
		after, done := "", 0
		for {
			cs, err := a.store.PublishedCases(ctx, after, reindexPage)
			if err != nil {
				return fmt.Errorf("read published cases: %w", err)
			}
			docs := make([]search.Document, 0, len(cs))
			for i := range cs {
				if cs[i].Visible(today) {
					docs = append(docs, caseDocument(&cs[i]))
				}
			}
			if len(docs) > 0 {
				if err := put(docs); err != nil {
					return err
				}
			}
			done += len(cs)
			if progress != nil && len(cs) > 0 {
				progress(done, max(total, done))
			}
			if len(cs) < reindexPage {
				return nil
			}
			after = cs[len(cs)-1].ID
		}
	})
	if err != nil {
		return fmt.Errorf("app: reindex: %w", err)
	}
	// Another instance may have indexed a change in the old index while
	// the new one was filled from pages read before it: apply again every
	// case changed since the rebuild began.
	if err := a.catchUp(ctx, ix, start.Add(-reindexCatchUpMargin)); err != nil {
		return fmt.Errorf("app: reindex: %w", err)
	}
	return a.bumpGeneration(ctx)
}

// catchUp applies to ix, as the consumer would, every case updated at or
// after since, reading the most recently updated first, a page at a time.
func (a *App) catchUp(ctx context.Context, ix search.Index, since time.Time) error {
	const page = 200
	for offset := 0; ; offset += page {
		cs, _, err := a.store.Cases(ctx, store.CaseFilter{Limit: page, Offset: offset})
		if err != nil {
			return fmt.Errorf("read changed cases: %w", err)
		}
		today := a.today()
		var upsert []search.Document
		var remove []string
		more := len(cs) == page
		for i := range cs {
			c := &cs[i]
			if c.UpdatedAt.Before(since) {
				more = false
				break
			}
			if c.Visible(today) {
				upsert = append(upsert, caseDocument(c))
			} else {
				remove = append(remove, c.ID)
			}
		}
		if err := ix.Upsert(ctx, upsert...); err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		if err := ix.Delete(ctx, remove...); err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		if !more {
			return nil
		}
	}
}

// rebuildIfEmpty fills an empty index from a store that holds published
// cases: the first start after an upgrade, or a start after the embedded
// index's directory was removed. A failure is logged, not returned: the
// portal runs without search results rather than not at all, and
// 'ethicsportal reindex' can be run later.
func (a *App) rebuildIfEmpty(ctx context.Context, ix search.Index) {
	n, err := ix.Count(ctx)
	if err != nil || n > 0 {
		if err != nil {
			a.log.Error("search index: cannot count its documents", "err", err)
		}
		return
	}
	cs, err := a.store.PublishedCases(ctx, "", 1)
	if err != nil {
		a.log.Error("search index: cannot tell whether the store holds published cases", "err", err)
		return
	}
	if len(cs) == 0 {
		return
	}
	a.log.Info("search index: empty, but the store holds published cases: rebuilding it from the store")
	start := time.Now()
	last := start
	err = a.reindexInto(ctx, ix, func(done, total int) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			a.log.Info("search index: rebuilding", "done", done, "total", total)
		}
	})
	if err != nil {
		a.log.Error("search index: the rebuild failed; run 'ethicsportal reindex'", "err", err)
		return
	}
	n, _ = ix.Count(ctx)
	a.log.Info("search index: rebuilt", "documents", n, "took", time.Since(start).Round(time.Millisecond))
}

// errIndexNotOpen is what every index call gets while the index is not
// open.
var errIndexNotOpen = fmt.Errorf("%w: not open", search.ErrUnavailable)

// unavailable turns an index error into the EUnavailable the caller
// answers with, keeping the cause for the log.
func unavailable(msg string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w (%w)", store.Errorf(store.EUnavailable, "%s", msg), err)
}

// IndexedCases returns how many cases the search index holds. EUnavailable
// when it cannot be reached.
func (a *App) IndexedCases(ctx context.Context) (int, error) {
	ix, err := a.index.get()
	if err != nil {
		return 0, unavailable("the search index is not open", err)
	}
	n, err := ix.Count(ctx)
	if err != nil {
		return 0, unavailable("the search index cannot be reached", err)
	}
	return n, nil
}

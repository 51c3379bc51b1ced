package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// CaseAnswer is the public answer for one case id, encoded: 200 with the
// case, or 410 with the withdrawal notice.
type CaseAnswer struct {
	Status int
	Body   []byte
}

// caseAnswerEnvelope is how a CaseAnswer is kept in the shared cache.
type caseAnswerEnvelope struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// PublicCaseAnswer is PublishedCase encoded for the API. With Redis the
// answer is shared by every instance, filed under the publication
// generation and the day: a change to any case moves the generation in the
// transaction that makes it (see enqueueCaseChanged), and a case leaving
// view by date changes the day, so a cached answer is never older than the
// store. Misses (404) are not cached. Errors as PublishedCase.
func (a *App) PublicCaseAnswer(ctx context.Context, id string) (*CaseAnswer, error) {
	if a.caseCache == nil || !caseIDPattern.MatchString(id) {
		return a.publicCaseAnswer(ctx, id)
	}
	gen, err := a.store.PublicationGeneration(ctx)
	if err != nil {
		a.log.Warn("case: reading the publication generation; answering uncached", "err", err)
		return a.publicCaseAnswer(ctx, id)
	}
	key := "case:" + strconv.FormatInt(gen, 10) + ":" + a.today().String() + ":" + id
	if raw, ok := a.caseCache.Get(ctx, key); ok {
		var env caseAnswerEnvelope
		if json.Unmarshal(raw, &env) == nil && (env.Status == http.StatusOK || env.Status == http.StatusGone) {
			return &CaseAnswer{Status: env.Status, Body: env.Body}, nil
		}
	}
	ans, err := a.publicCaseAnswer(ctx, id)
	if err != nil {
		return nil, err
	}
	if raw, err := json.Marshal(caseAnswerEnvelope{Status: ans.Status, Body: ans.Body}); err == nil {
		a.caseCache.Set(ctx, key, raw)
	}
	return ans, nil
}

// publicCaseAnswer reads and encodes the answer from the store.
func (a *App) publicCaseAnswer(ctx context.Context, id string) (*CaseAnswer, error) {
	pc, withdrawn, err := a.PublishedCase(ctx, id)
	if err != nil {
		return nil, err
	}
	ans := &CaseAnswer{Status: http.StatusOK}
	var v any = pc
	if withdrawn != nil {
		ans.Status, v = http.StatusGone, withdrawn
	}
	if ans.Body, err = json.Marshal(v); err != nil {
		return nil, internal("encode case", err)
	}
	return ans, nil
}

package app

import (
	"context"
	"time"

	"ethicsportal/store"
)

// ActorSystem is the audit actor of what the portal does by itself, such
// as the expiry sweep.
const ActorSystem = "system"

const (
	// ExpiryInterval is how often RunExpiry sweeps. A case leaves public
	// view at midnight whatever the sweep does (reads decide with
	// Case.Visible); the sweep takes it out of the index, so a day's
	// expiries leave the index within this interval.
	ExpiryInterval = 10 * time.Minute
	// expiryBatch is how many cases one sweep transaction expires.
	expiryBatch = 200
)

// SweepExpired marks the published cases whose disclosure period ended
// before today as expired, in batches, each in one transaction with a
// case.changed message per case (which takes it out of the index) and
// one audit event listing them. It returns how many it expired. Sweeps on
// several instances at once expire each case once.
func (a *App) SweepExpired(ctx context.Context) (int, error) {
	total := 0
	for {
		var ids []string
		err := a.store.Update(ctx, func(tx store.Tx) error {
			var err error
			now := a.now()
			if ids, err = tx.ExpireCases(ctx, store.Today(now), now, expiryBatch); err != nil || len(ids) == 0 {
				return err
			}
			for _, id := range ids {
				if err := a.enqueueCaseChanged(ctx, tx, id); err != nil {
					return err
				}
			}
			return a.record(ctx, tx, ActorSystem, "case.expire", "cases", map[string]any{"case_ids": ids})
		})
		if err != nil {
			return total, internal("expire cases", err)
		}
		total += len(ids)
		if len(ids) < expiryBatch {
			break
		}
	}
	if total > 0 {
		a.wakeWorker()
	}
	return total, nil
}

// RunExpiry sweeps at once and then every ExpiryInterval until ctx ends.
// A failed sweep is logged and tried again at the next tick.
func (a *App) RunExpiry(ctx context.Context) {
	t := time.NewTicker(ExpiryInterval)
	defer t.Stop()
	for {
		n, err := a.SweepExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("expiry sweep failed", "err", err)
		case n > 0:
			a.log.Info("cases left public view at the end of their disclosure period", "cases", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

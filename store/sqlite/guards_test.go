package sqlite

import (
	"testing"
	"time"

	"ethicsportal/store"
)

// TestGuards covers the values this store refuses beyond the contract,
// each of which would otherwise be stored as the "none" it is encoded as:
// an unowned or zero-length lease, a lift at the zero time, a decision
// that leaves an action pending.
func TestGuards(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	now := t0()
	for name, c := range map[string]store.OutboxClaim{
		"no owner": {Now: now, Lease: time.Minute, Limit: 1},
		"no lease": {Owner: "w", Now: now, Limit: 1},
	} {
		if _, err := db.ClaimOutbox(ctx, c); !store.IsCode(err, store.EInvalid) {
			t.Errorf("ClaimOutbox with %s: %v, want %s", name, err, store.EInvalid)
		}
	}
	if ms, err := db.ClaimOutbox(ctx, store.OutboxClaim{Owner: "w", Now: now, Lease: time.Minute}); err != nil || len(ms) != 0 {
		t.Errorf("ClaimOutbox with limit 0 = %v, %v; want nothing", ms, err)
	}

	p := &store.Person{Name: "x", CreatedAt: now}
	ban := &store.Ban{Scope: store.BanScopeEducation, StartsOn: store.NewDate(2024, 1, 1), Reason: "x", CreatedAt: now}
	a := &store.Action{Kind: store.ActionLiftBan, Object: "ban:1", Status: store.ActionPending, ProposedBy: "r", ProposedAt: now}
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreatePersons(ctx, []*store.Person{p}); err != nil {
			return err
		}
		ban.PersonID = p.ID
		if err := tx.CreateBan(ctx, ban); err != nil {
			return err
		}
		return tx.CreateAction(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error { return tx.LiftBan(ctx, ban.ID, time.Time{}) })
	if !store.IsCode(err, store.EInvalid) {
		t.Errorf("LiftBan at the zero time: %v, want %s", err, store.EInvalid)
	}
	for _, status := range []string{store.ActionPending, "", "approved"} {
		err := db.Update(ctx, func(tx store.Tx) error { return tx.DecideAction(ctx, a.ID, status, "v", now, "") })
		if !store.IsCode(err, store.EInvalid) {
			t.Errorf("DecideAction to %q: %v, want %s", status, err, store.EInvalid)
		}
	}
	if got, err := db.BanByID(ctx, ban.ID); err != nil || !got.LiftedAt.IsZero() {
		t.Errorf("the ban after the refused lift: %+v, %v", got, err)
	}
	if got, err := db.ActionByID(ctx, a.ID); err != nil || got.Status != store.ActionPending {
		t.Errorf("the action after the refused decisions: %+v, %v", got, err)
	}
}

// TestFinishDeliveredAtZero: a delivery reported without a time is stored
// as delivered all the same, never to be claimed again.
func TestFinishDeliveredAtZero(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	now := t0()
	m := &store.OutboxMessage{Topic: "t", ObjectKey: "k", CreatedAt: now, NextAttemptAt: now}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.EnqueueOutbox(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	c := store.OutboxClaim{Owner: "w", Now: now, Lease: time.Minute, Limit: 10}
	if ms, err := db.ClaimOutbox(ctx, c); err != nil || len(ms) != 1 {
		t.Fatalf("ClaimOutbox = %v, %v", ms, err)
	}
	if err := db.FinishOutbox(ctx, m.ID, "w", store.OutboxResult{Delivered: true}); err != nil {
		t.Fatal(err)
	}
	c.Now = now.Add(time.Hour)
	if ms, err := db.ClaimOutbox(ctx, c); err != nil || len(ms) != 0 {
		t.Errorf("ClaimOutbox after a delivery without a time = %v, %v; want nothing", ms, err)
	}
	if s, err := db.OutboxStats(ctx); err != nil || s.Pending != 0 {
		t.Errorf("OutboxStats = %+v, %v; want none pending", s, err)
	}
}

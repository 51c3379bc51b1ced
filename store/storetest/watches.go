package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// watchTests is the Watches group of the suite.
var watchTests = []test{
	{"RoundTrip", testWatchRoundTrip},
	{"OnePerClientAndCertificate", testWatchUnique},
	{"Delete", testDeleteWatch},
	{"ForCertificates", testWatchesForCertificates},
	{"Health", testWatchHealth},
	{"CertificatesOfPerson", testCertificateNumbersOfPerson},
	{"DeliveriesOncePerEventAndWatch", testAddWebhookDeliveries},
	{"DeliveryLifecycle", testWebhookDeliveryLifecycle},
	{"DeliveriesInOrderPerWatch", testWebhookDeliveriesOrder},
	{"DeliveryFinishWrongOwner", testWebhookFinishWrongOwner},
	{"DeliveryClaimRace", testWebhookClaimRace},
}

func sampleWatch(id, client, no string, at time.Time) *store.Watch {
	return &store.Watch{ID: id, ClientID: client, CertificateNo: no, CallbackURL: "https://hooks.example.org/" + id, CreatedAt: at}
}

func createWatch(t *testing.T, st store.Store, ws ...*store.Watch) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, w := range ws {
			if err := tx.CreateWatch(t.Context(), w); err != nil {
				return err
			}
		}
		return nil
	})
}

func addDeliveries(t *testing.T, st store.Store, ds ...*store.WebhookDelivery) int {
	t.Helper()
	var n int
	update(t, st, func(tx store.Tx) error {
		var err error
		n, err = tx.AddWebhookDeliveries(t.Context(), ds)
		return err
	})
	return n
}

func sampleDelivery(event, watch string, at time.Time) *store.WebhookDelivery {
	return &store.WebhookDelivery{EventID: event, WatchID: watch, CreatedAt: at, NextAttemptAt: at,
		Payload: json.RawMessage(fmt.Sprintf(`{"id": %q,  "type":"credential.status_changed"}`, event))}
}

func claimDeliveries(t *testing.T, st store.Store, owner string, now time.Time, limit int) []store.WebhookDelivery {
	t.Helper()
	var ds []store.WebhookDelivery
	update(t, st, func(tx store.Tx) error {
		var err error
		ds, err = tx.ClaimWebhookDeliveries(t.Context(), store.WebhookClaim{Owner: owner, Now: now, Lease: lease, Limit: limit})
		return err
	})
	return ds
}

func finishDelivery(st store.Store, t *testing.T, id int64, owner string, r store.WebhookResult) error {
	return st.Update(t.Context(), func(tx store.Tx) error { return tx.FinishWebhookDelivery(t.Context(), id, owner, r) })
}

func claimedIDs(ds []store.WebhookDelivery) []int64 {
	out := []int64{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testWatchRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	w := sampleWatch("wa_aaaaaaaaaaaaaaaa", "cl_one", "20191100141000123", t0)
	w.FailingSince = t0.Add(time.Minute)
	createWatch(t, st, w)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.WatchByID(t.Context(), w.ID)
		if err != nil {
			t.Fatalf("WatchByID: %v", err)
		}
		checkEqual(t, "watch", norm(*w), got)
		_, err = r.WatchByID(t.Context(), "wa_none")
		wantCode(t, "WatchByID(unknown)", err, store.ENotFound)
	})

	// A client's list: its own, newest first, paged, with the total.
	var more []*store.Watch
	for i := range 4 {
		more = append(more, sampleWatch(fmt.Sprintf("wa_%016d", i), "cl_one", fmt.Sprint("C", i), t0.Add(time.Duration(i+1)*time.Hour)))
	}
	more = append(more, sampleWatch("wa_other", "cl_two", "C0", t0))
	createWatch(t, st, more...)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, total, err := r.Watches(t.Context(), store.WatchFilter{ClientID: "cl_one", Limit: 2, Offset: 1})
		if err != nil {
			t.Fatalf("Watches: %v", err)
		}
		if total != 5 || len(got) != 2 || got[0].ID != more[2].ID || got[1].ID != more[1].ID {
			t.Errorf("Watches(cl_one, 2 from 1) = %v, total %d; want %s, %s of 5", got, total, more[2].ID, more[1].ID)
		}
		got, total, err = r.Watches(t.Context(), store.WatchFilter{ClientID: "cl_none", Limit: 10})
		if err != nil || total != 0 || got == nil || len(got) != 0 {
			t.Errorf("Watches(unknown client) = %v, %d, %v; want an empty non-nil list", got, total, err)
		}
	})
}

func testWatchUnique(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0))
	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreateWatch(t.Context(), sampleWatch("wa_2", "cl_one", "C1", t0))
	})
	wantCode(t, "a second watch of one client on one certificate", err, store.EConflict)
	err = failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreateWatch(t.Context(), sampleWatch("wa_1", "cl_two", "C9", t0))
	})
	wantCode(t, "a taken id", err, store.EConflict)
	// Another client may watch the same certificate.
	createWatch(t, st, sampleWatch("wa_3", "cl_two", "C1", t0))
	// The transaction stays usable after a refused insert.
	update(t, st, func(tx store.Tx) error {
		if err := tx.CreateWatch(t.Context(), sampleWatch("wa_4", "cl_one", "C1", t0)); !store.IsCode(err, store.EConflict) {
			t.Errorf("CreateWatch(duplicate) = %v, want conflict", err)
		}
		return tx.CreateWatch(t.Context(), sampleWatch("wa_5", "cl_one", "C5", t0))
	})
	if _, err := st.WatchByID(t.Context(), "wa_5"); err != nil {
		t.Errorf("the watch created after a refused one: %v", err)
	}
}

func testDeleteWatch(t *testing.T, s suite) {
	st := s.open(t)
	w := sampleWatch("wa_1", "cl_one", "C1", t0)
	createWatch(t, st, w)
	d := sampleDelivery("ev_1", w.ID, t0)
	addDeliveries(t, st, d)
	at := t0.Add(time.Hour)
	update(t, st, func(tx store.Tx) error { return tx.DeleteWatch(t.Context(), w.ID, at) })
	err := failUpdate(t, st, func(tx store.Tx) error { return tx.DeleteWatch(t.Context(), w.ID, at) })
	wantCode(t, "deleting a deleted watch", err, store.ENotFound)
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.DeleteWatch(t.Context(), "wa_none", at) })
	wantCode(t, "deleting an unknown watch", err, store.ENotFound)

	got, err := st.WatchByID(t.Context(), w.ID)
	if err != nil || !sameInstant(got.DeletedAt, at) {
		t.Errorf("WatchByID(deleted) = %+v, %v; want it kept with DeletedAt %v", got, err, at)
	}
	if ws, total, _ := st.Watches(t.Context(), store.WatchFilter{ClientID: "cl_one", Limit: 10}); total != 0 || len(ws) != 0 {
		t.Errorf("Watches lists a deleted watch: %v", ws)
	}
	ds, _, err := st.WebhookDeliveries(t.Context(), w.ID, 10, 0)
	if err != nil || len(ds) != 1 || ds[0].Status != store.DeliveryFailed || ds[0].LastError == "" {
		t.Errorf("the deleted watch's pending delivery: %+v, %v; want it failed with a reason", ds, err)
	}
	if got := claimDeliveries(t, st, "w1", at, 10); len(got) != 0 {
		t.Errorf("a deleted watch's delivery was claimed: %v", claimedIDs(got))
	}
	// The certificate may be watched again by the same client.
	createWatch(t, st, sampleWatch("wa_2", "cl_one", "C1", at))
}

func testWatchesForCertificates(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0), sampleWatch("wa_2", "cl_two", "C1", t0),
		sampleWatch("wa_3", "cl_one", "C2", t0), sampleWatch("wa_4", "cl_one", "C3", t0), sampleWatch("wa_5", "cl_two", "C3", t0))
	update(t, st, func(tx store.Tx) error {
		if err := tx.PauseWatch(t.Context(), "wa_4", t0, "paused"); err != nil {
			return err
		}
		return tx.DeleteWatch(t.Context(), "wa_5", t0)
	})
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.WatchesForCertificates(t.Context(), []string{"C1", "C3", "C9"})
		if err != nil {
			t.Fatalf("WatchesForCertificates: %v", err)
		}
		var ids []string
		for _, w := range got {
			ids = append(ids, w.ID+map[bool]string{true: "(paused)"}[w.Paused])
		}
		if fmt.Sprint(ids) != "[wa_1 wa_2 wa_4(paused)]" {
			t.Errorf("WatchesForCertificates(C1, C3, C9) = %v, want [wa_1 wa_2 wa_4(paused)]", ids)
		}
		if got, err := r.WatchesForCertificates(t.Context(), nil); err != nil || got == nil || len(got) != 0 {
			t.Errorf("WatchesForCertificates(none) = %v, %v; want an empty non-nil list", got, err)
		}
	})
}

func testWatchHealth(t *testing.T, s suite) {
	st := s.open(t)
	w := sampleWatch("wa_1", "cl_one", "C1", t0)
	createWatch(t, st, w)
	first, later := t0.Add(time.Minute), t0.Add(time.Hour)
	update(t, st, func(tx store.Tx) error { return tx.SetWatchFailing(t.Context(), w.ID, first) })
	update(t, st, func(tx store.Tx) error { return tx.SetWatchFailing(t.Context(), w.ID, later) })
	if got, _ := st.WatchByID(t.Context(), w.ID); got == nil || !sameInstant(got.FailingSince, first) {
		t.Errorf("FailingSince = %v, want the first failure of the run, %v", got, first)
	}
	update(t, st, func(tx store.Tx) error { return tx.SetWatchFailing(t.Context(), w.ID, time.Time{}) })
	if got, _ := st.WatchByID(t.Context(), w.ID); got == nil || !got.FailingSince.IsZero() {
		t.Errorf("FailingSince after a success = %v, want zero", got)
	}

	addDeliveries(t, st, sampleDelivery("ev_1", w.ID, t0), sampleDelivery("ev_2", w.ID, t0))
	pausedAt := t0.Add(25 * time.Hour)
	update(t, st, func(tx store.Tx) error {
		return tx.PauseWatch(t.Context(), w.ID, pausedAt, "the receiver kept failing")
	})
	update(t, st, func(tx store.Tx) error { return tx.PauseWatch(t.Context(), w.ID, pausedAt.Add(time.Hour), "again") })
	got, err := st.WatchByID(t.Context(), w.ID)
	if err != nil || !got.Paused || !sameInstant(got.PausedAt, pausedAt) {
		t.Errorf("paused watch = %+v, %v; want Paused at %v (a second pause changes nothing)", got, err, pausedAt)
	}
	ds, total, err := st.WebhookDeliveries(t.Context(), w.ID, 10, 0)
	if err != nil || total != 2 {
		t.Fatalf("WebhookDeliveries = %v, %d, %v", ds, total, err)
	}
	for _, d := range ds {
		if d.Status != store.DeliveryFailed || d.LastError != "the receiver kept failing" {
			t.Errorf("delivery %s of a paused watch: status %s, error %q; want failed with the pause's reason", d.EventID, d.Status, d.LastError)
		}
	}
	err = failUpdate(t, st, func(tx store.Tx) error { return tx.PauseWatch(t.Context(), "wa_none", t0, "x") })
	wantCode(t, "pausing an unknown watch", err, store.ENotFound)
}

func testCertificateNumbersOfPerson(t *testing.T, s suite) {
	st := s.open(t)
	p, q := &store.Person{Name: "张伟华", CreatedAt: t0}, &store.Person{Name: "李四", CreatedAt: t0}
	createPersons(t, st, p, q)
	insertCredentials(t, st, t0, sampleCredential("C2", p.ID), sampleCredential("C1", p.ID), sampleCredential("C3", q.ID), sampleCredential("C4", 0))
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.CertificateNumbersOfPerson(t.Context(), p.ID)
		if err != nil || fmt.Sprint(got) != "[C1 C2]" {
			t.Errorf("CertificateNumbersOfPerson(p) = %v, %v; want [C1 C2]", got, err)
		}
		for _, id := range []int64{0, 999999} {
			if got, err := r.CertificateNumbersOfPerson(t.Context(), id); err != nil || got == nil || len(got) != 0 {
				t.Errorf("CertificateNumbersOfPerson(%d) = %v, %v; want an empty non-nil list", id, got, err)
			}
		}
	})
}

func testAddWebhookDeliveries(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0), sampleWatch("wa_2", "cl_two", "C1", t0))
	d1, d2 := sampleDelivery("ev_1", "wa_1", t0), sampleDelivery("ev_1", "wa_2", t0)
	if n := addDeliveries(t, st, d1, d2); n != 2 || d1.ID == 0 || d2.ID == 0 || d1.ID == d2.ID {
		t.Fatalf("AddWebhookDeliveries = %d, ids %d %d; want 2 with ids", n, d1.ID, d2.ID)
	}
	// The same event expanded again records nothing new.
	again := []*store.WebhookDelivery{sampleDelivery("ev_1", "wa_1", t0), sampleDelivery("ev_2", "wa_1", t0)}
	if n := addDeliveries(t, st, again...); n != 1 || again[0].ID != 0 || again[1].ID == 0 {
		t.Errorf("AddWebhookDeliveries(one recorded, one new) = %d, ids %d %d; want 1, the new one's id set", n, again[0].ID, again[1].ID)
	}
	err := failUpdate(t, st, func(tx store.Tx) error {
		_, err := tx.AddWebhookDeliveries(t.Context(), []*store.WebhookDelivery{sampleDelivery("ev_3", "wa_none", t0)})
		return err
	})
	wantCode(t, "a delivery to no watch", err, store.ENotFound)

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		ds, total, err := r.WebhookDeliveries(t.Context(), "wa_1", 10, 0)
		if err != nil || total != 2 || len(ds) != 2 {
			t.Fatalf("WebhookDeliveries(wa_1) = %v, %d, %v; want 2", ds, total, err)
		}
		want := store.WebhookDelivery{ID: again[1].ID, EventID: "ev_2", WatchID: "wa_1", Payload: again[1].Payload,
			CreatedAt: t0, NextAttemptAt: t0, Status: store.DeliveryPending}
		checkEqual(t, "newest delivery", norm(want), &ds[0])
		if ds[1].ID != d1.ID {
			t.Errorf("WebhookDeliveries order: %d then %d, want newest first", ds[0].ID, ds[1].ID)
		}
		if ds, total, _ := r.WebhookDeliveries(t.Context(), "wa_1", 1, 1); total != 2 || len(ds) != 1 || ds[0].ID != d1.ID {
			t.Errorf("WebhookDeliveries(wa_1, 1 from 1) = %v, %d; want the older one of 2", ds, total)
		}
	})
}

func testWebhookDeliveryLifecycle(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0), sampleWatch("wa_2", "cl_one", "C2", t0))
	d1, d2 := sampleDelivery("ev_1", "wa_1", t0), sampleDelivery("ev_2", "wa_2", t0.Add(time.Hour))
	addDeliveries(t, st, d1, d2)
	if n, err := st.DueWebhookDeliveries(t.Context(), t0); err != nil || n != 1 {
		t.Errorf("DueWebhookDeliveries(t0) = %d, %v; want 1", n, err)
	}
	// Only the due one; leased, with an attempt counted.
	got := claimDeliveries(t, st, "w1", t0, 10)
	if len(got) != 1 || got[0].ID != d1.ID || got[0].Attempts != 1 || got[0].LeaseOwner != "w1" || !sameInstant(got[0].LeaseUntil, t0.Add(lease)) {
		t.Fatalf("claim at t0 = %+v; want ev_1 leased to w1 until t0+lease, attempt 1", got)
	}
	if n, _ := st.DueWebhookDeliveries(t.Context(), t0); n != 0 {
		t.Errorf("DueWebhookDeliveries counts a leased delivery")
	}
	if again := claimDeliveries(t, st, "w2", t0.Add(time.Second), 10); len(again) != 0 {
		t.Errorf("a leased delivery was claimed again: %v", claimedIDs(again))
	}
	// A failed attempt, to be retried later.
	retry := t0.Add(30 * time.Second)
	if err := finishDelivery(st, t, d1.ID, "w1", store.WebhookResult{Status: store.DeliveryPending, At: t0.Add(time.Second),
		StatusCode: 503, Error: "the receiver answered 503", NextAttemptAt: retry}); err != nil {
		t.Fatalf("finish pending: %v", err)
	}
	if again := claimDeliveries(t, st, "w2", retry.Add(-time.Microsecond), 10); len(again) != 0 {
		t.Errorf("a delivery was claimed before its next attempt: %v", claimedIDs(again))
	}
	got = claimDeliveries(t, st, "w2", retry, 10)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastStatusCode != 503 || got[0].LastError != "the receiver answered 503" {
		t.Fatalf("claim at the retry = %+v; want ev_1, attempt 2, with the last outcome", got)
	}
	done := retry.Add(time.Second)
	if err := finishDelivery(st, t, d1.ID, "w2", store.WebhookResult{Status: store.DeliveryDelivered, At: done, StatusCode: 204}); err != nil {
		t.Fatalf("finish delivered: %v", err)
	}
	ds, _, _ := st.WebhookDeliveries(t.Context(), "wa_1", 10, 0)
	want := store.WebhookDelivery{ID: d1.ID, EventID: "ev_1", WatchID: "wa_1", Payload: d1.Payload, CreatedAt: t0, Attempts: 2,
		NextAttemptAt: done, Status: store.DeliveryDelivered, LastAttemptAt: done, LastStatusCode: 204, DeliveredAt: done}
	if len(ds) == 1 {
		checkEqual(t, "delivered", norm(want), &ds[0])
	} else {
		t.Fatalf("WebhookDeliveries = %v", ds)
	}
	err := finishDelivery(st, t, d1.ID, "w2", store.WebhookResult{Status: store.DeliveryFailed, At: done})
	wantCode(t, "finishing a finished delivery", err, store.EConflict)
	// A delivery given up on is not claimed again.
	got = claimDeliveries(t, st, "w1", t0.Add(time.Hour), 10)
	if len(got) != 1 || got[0].ID != d2.ID {
		t.Fatalf("claim at t0+1h = %v; want ev_2", claimedIDs(got))
	}
	if err := finishDelivery(st, t, d2.ID, "w1", store.WebhookResult{Status: store.DeliveryFailed, At: t0.Add(time.Hour), Error: "410"}); err != nil {
		t.Fatal(err)
	}
	if got := claimDeliveries(t, st, "w1", t0.Add(48*time.Hour), 10); len(got) != 0 {
		t.Errorf("a failed delivery was claimed: %v", claimedIDs(got))
	}
	err = finishDelivery(st, t, d2.ID, "w1", store.WebhookResult{Status: "lost", At: t0})
	wantCode(t, "an unknown status", err, store.EInvalid)
}

func testWebhookDeliveriesOrder(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0), sampleWatch("wa_2", "cl_two", "C1", t0))
	a1, a2, b1 := sampleDelivery("ev_1", "wa_1", t0), sampleDelivery("ev_2", "wa_1", t0), sampleDelivery("ev_1", "wa_2", t0)
	addDeliveries(t, st, a1, a2, b1)
	got := claimDeliveries(t, st, "w1", t0, 10)
	if fmt.Sprint(claimedIDs(got)) != fmt.Sprint([]int64{a1.ID, b1.ID}) {
		t.Fatalf("claim = %v, want %v: a watch's second event waits for its first", claimedIDs(got), []int64{a1.ID, b1.ID})
	}
	if err := finishDelivery(st, t, b1.ID, "w1", store.WebhookResult{Status: store.DeliveryDelivered, At: t0}); err != nil {
		t.Fatal(err)
	}
	// Retried later: the second still waits, even once due and unleased.
	if err := finishDelivery(st, t, a1.ID, "w1", store.WebhookResult{Status: store.DeliveryPending, At: t0, NextAttemptAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.DueWebhookDeliveries(t.Context(), t0.Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("DueWebhookDeliveries while the watch's first event waits = %d, %v; want 0", n, err)
	}
	if got := claimDeliveries(t, st, "w1", t0.Add(time.Minute), 10); len(got) != 0 {
		t.Errorf("claim while the watch's first event waits = %v, want none", claimedIDs(got))
	}
	got = claimDeliveries(t, st, "w1", t0.Add(time.Hour), 10)
	if len(got) != 1 || got[0].ID != a1.ID {
		t.Fatalf("claim at the retry = %v, want the first event", claimedIDs(got))
	}
	if err := finishDelivery(st, t, a1.ID, "w1", store.WebhookResult{Status: store.DeliveryDelivered, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := claimDeliveries(t, st, "w1", t0.Add(time.Hour), 10); len(got) != 1 || got[0].ID != a2.ID {
		t.Errorf("claim after the first was delivered = %v, want the second", claimedIDs(got))
	}
}

func testWebhookFinishWrongOwner(t *testing.T, s suite) {
	st := s.open(t)
	createWatch(t, st, sampleWatch("wa_1", "cl_one", "C1", t0))
	d := sampleDelivery("ev_1", "wa_1", t0)
	addDeliveries(t, st, d)
	claimDeliveries(t, st, "w1", t0, 1)
	// The lease ran out and w2 took it: w1's late outcome is refused.
	claimDeliveries(t, st, "w2", t0.Add(lease), 1)
	err := finishDelivery(st, t, d.ID, "w1", store.WebhookResult{Status: store.DeliveryDelivered, At: t0.Add(lease)})
	wantCode(t, "finish by a worker whose lease was taken over", err, store.EConflict)
	err = finishDelivery(st, t, d.ID, "", store.WebhookResult{Status: store.DeliveryDelivered, At: t0.Add(lease)})
	wantCode(t, "finish without an owner", err, store.EConflict)
	if err := finishDelivery(st, t, d.ID, "w2", store.WebhookResult{Status: store.DeliveryDelivered, At: t0.Add(lease)}); err != nil {
		t.Errorf("finish by the lease holder: %v", err)
	}
	var claimErr error
	_ = st.Update(t.Context(), func(tx store.Tx) error {
		_, claimErr = tx.ClaimWebhookDeliveries(t.Context(), store.WebhookClaim{Now: t0, Lease: lease, Limit: 1})
		return claimErr
	})
	wantCode(t, "a claim without an owner", claimErr, store.EInvalid)
}

func testWebhookClaimRace(t *testing.T, s suite) {
	a, b := s.pair(t)
	const n, workers = 40, 6
	var ds []*store.WebhookDelivery
	var ws []*store.Watch
	for i := range n {
		w := sampleWatch(fmt.Sprint("wa_", i), "cl_one", fmt.Sprint("C", i), t0)
		ws = append(ws, w)
		ds = append(ds, sampleDelivery("ev_1", w.ID, t0))
	}
	createWatch(t, a, ws...)
	addDeliveries(t, a, ds...)
	var (
		claimed [workers][]store.WebhookDelivery
		errs    [workers]error
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range workers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			for {
				var got []store.WebhookDelivery
				err := st.Update(t.Context(), func(tx store.Tx) error {
					var err error
					got, err = tx.ClaimWebhookDeliveries(t.Context(), store.WebhookClaim{Owner: fmt.Sprint("w", w), Now: t0, Lease: lease, Limit: 3})
					return err
				})
				if err != nil {
					errs[w] = err
					return
				}
				if len(got) == 0 {
					return
				}
				claimed[w] = append(claimed[w], got...)
			}
		})
	}
	close(start)
	wg.Wait()
	owner := map[int64]int{}
	for w := range workers {
		if errs[w] != nil {
			t.Errorf("worker %d: %v", w, errs[w])
		}
		for _, d := range claimed[w] {
			if prev, dup := owner[d.ID]; dup {
				t.Errorf("delivery %d was leased to workers %d and %d", d.ID, prev, w)
			}
			owner[d.ID] = w
			if d.LeaseOwner != fmt.Sprint("w", w) || d.Attempts != 1 {
				t.Errorf("worker %d got delivery %d with LeaseOwner %q, Attempts %d", w, d.ID, d.LeaseOwner, d.Attempts)
			}
		}
	}
	if len(owner) != n {
		t.Errorf("%d deliveries were claimed, want all %d", len(owner), n)
	}
}

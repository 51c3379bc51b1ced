package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"ethicsportal/store"
)

// Lost updates under READ COMMITTED, made to happen in a fixed order: a
// transaction reads a credential, another changes it and commits, and the
// first then writes what it decided from its stale read. The conditional
// writes must refuse; CredentialForUpdate must make the second wait.

// stepTx is a transaction run in two steps the test controls: first runs
// at once, rest after resume is closed, and done yields Update's result.
type stepTx struct {
	paused chan struct{} // closed when fn reached its pause
	resume chan struct{} // close to let fn carry on
	done   chan error
}

// startTx starts a stepTx on s.
func startTx(ctx context.Context, s store.Store, first func(tx store.Tx) error, rest func(tx store.Tx) error) *stepTx {
	st := &stepTx{paused: make(chan struct{}), resume: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		st.done <- s.Update(ctx, func(tx store.Tx) error {
			err := first(tx)
			close(st.paused)
			if err != nil {
				return err
			}
			<-st.resume
			return rest(tx)
		})
	}()
	return st
}

// A status change decided from a read that another transaction has since
// overwritten is EConflict, and the other's change stands; the loser's
// transaction stays usable.
func TestStaleStatusChangeConflicts(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	update(t, a, func(tx store.Tx) error {
		return tx.InsertCredentials(ctx, []*store.Credential{credential("A1", 0)}, t0)
	})

	var read *store.Credential
	var conflict error
	suspend := startTx(ctx, a, func(tx store.Tx) (err error) {
		read, err = tx.CredentialByNumber(ctx, "A1")
		return err
	}, func(tx store.Tx) error {
		conflict = tx.SetCredentialStatus(ctx, "A1", read.StoredStatus(),
			store.CredentialStatus{Status: store.StatusSuspended, SuspendedUntil: store.NewDate(2026, 1, 1)}, "暂停", t0)
		_, err := tx.CredentialByNumber(ctx, "A1") // still usable
		return err
	})
	<-suspend.paused
	// The revocation commits between the suspension's read and its write.
	update(t, b, func(tx store.Tx) error {
		c, err := tx.CredentialByNumber(ctx, "A1")
		if err != nil {
			return err
		}
		return tx.SetCredentialStatus(ctx, "A1", c.StoredStatus(), store.CredentialStatus{Status: store.StatusRevoked}, "撤销", t0)
	})
	close(suspend.resume)
	if err := <-suspend.done; err != nil {
		t.Fatalf("the suspension's transaction: %v", err)
	}
	wantCode(t, conflict, store.EConflict)
	got, err := a.CredentialByNumber(ctx, "A1")
	if err != nil || got.Status != store.StatusRevoked || !got.SuspendedUntil.IsZero() {
		t.Fatalf("after the race: %+v, %v; want the revocation to stand", got, err)
	}
}

// The same for the link of a holder: the first ban on an unlinked holder
// links a person; a second that read "no person" before cannot replace it.
func TestStaleLinkConflicts(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	p, q := &store.Person{Name: "张伟华", CreatedAt: t0}, &store.Person{Name: "张伟华", CreatedAt: t0}
	update(t, a, func(tx store.Tx) error {
		if err := tx.CreatePersons(ctx, []*store.Person{p, q}); err != nil {
			return err
		}
		return tx.InsertCredentials(ctx, []*store.Credential{credential("A1", 0)}, t0)
	})
	var read *store.Credential
	var conflict error
	late := startTx(ctx, a, func(tx store.Tx) (err error) {
		read, err = tx.CredentialByNumber(ctx, "A1")
		return err
	}, func(tx store.Tx) error {
		conflict = tx.LinkCredentialPerson(ctx, "A1", read.PersonID, q.ID, t0)
		return nil
	})
	<-late.paused
	update(t, b, func(tx store.Tx) error { return tx.LinkCredentialPerson(ctx, "A1", 0, p.ID, t0) })
	close(late.resume)
	if err := <-late.done; err != nil {
		t.Fatal(err)
	}
	wantCode(t, conflict, store.EConflict)
	if got, err := b.CredentialByNumber(ctx, "A1"); err != nil || got.PersonID != p.ID {
		t.Fatalf("after the race: %+v, %v; want the first link to stand", got, err)
	}
}

// While one transaction holds a credential by CredentialForUpdate, another
// one's CredentialForUpdate waits, and once the first commits it reads the
// status the first wrote: the second decides on the new state.
func TestCredentialForUpdateWaits(t *testing.T) {
	ctx := context.Background()
	opener := newDB(t)
	a, b := opener(t), opener(t)
	update(t, a, func(tx store.Tx) error {
		return tx.InsertCredentials(ctx, []*store.Credential{credential("A1", 0)}, t0)
	})
	first := startTx(ctx, a, func(tx store.Tx) error {
		c, err := tx.CredentialForUpdate(ctx, "A1")
		if err != nil {
			return err
		}
		return tx.SetCredentialStatus(ctx, "A1", c.StoredStatus(), store.CredentialStatus{Status: store.StatusRevoked}, "撤销", t0)
	}, func(store.Tx) error { return nil })
	// On every way out, so that a failure cannot leave the first
	// transaction holding its connection while Close waits for it.
	var once sync.Once
	release := func() { once.Do(func() { close(first.resume) }) }
	t.Cleanup(release)
	<-first.paused

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := b.Update(short, func(tx store.Tx) error {
		_, err := tx.CredentialForUpdate(short, "A1")
		return err
	})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CredentialForUpdate while another transaction holds the credential: %v, want it to wait until its deadline", err)
	}
	// A plain read does not wait, and sees the last commit.
	if c, err := b.CredentialByNumber(ctx, "A1"); err != nil || c.Status != store.StatusActive {
		t.Fatalf("plain read during the lock: %+v, %v", c, err)
	}

	second := startTx(ctx, b, func(tx store.Tx) error { return nil }, func(tx store.Tx) error {
		c, err := tx.CredentialForUpdate(ctx, "A1")
		if err != nil {
			return err
		}
		if c.Status != store.StatusRevoked {
			return errors.New("the second transaction read " + c.Status + ", not the first one's revocation")
		}
		return nil
	})
	<-second.paused
	close(second.resume)
	release()
	if err := <-first.done; err != nil {
		t.Fatal(err)
	}
	if err := <-second.done; err != nil {
		t.Fatal(err)
	}
}

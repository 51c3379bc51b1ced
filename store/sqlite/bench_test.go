package sqlite

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"ethicsportal/store"
)

// importBatch is the batch size of the import: one Update per batch.
const importBatch = 1000

func benchDB(b *testing.B) *DB {
	b.Helper()
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchCredential(no string, personID int64) *store.Credential {
	return &store.Credential{
		CertificateNo: no, HolderName: "張偉華", HolderNameFolded: "张伟华", PersonID: personID,
		Kind: "senior_secondary", Subject: "数学", Issuer: "北京市海淀区教育委员会",
		IssuedOn: store.NewDate(2015, 7, 1), RegisteredUntil: store.NewDate(2030, 6, 30),
		Status: store.StatusActive,
	}
}

func batch(start int) []*store.Credential {
	cs := make([]*store.Credential, importBatch)
	for i := range cs {
		cs[i] = benchCredential(fmt.Sprintf("20151100%08d", start+i), int64(start+i%7+1))
	}
	return cs
}

// loadCredentials inserts n credentials numbered from 0 and returns their
// numbers.
func loadCredentials(b *testing.B, db *DB, n int) []string {
	b.Helper()
	var numbers []string
	for start := 0; start < n; start += importBatch {
		cs := batch(start)
		if err := db.Update(b.Context(), func(tx store.Tx) error {
			return tx.InsertCredentials(b.Context(), cs, time.Now())
		}); err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			numbers = append(numbers, c.CertificateNo)
		}
	}
	return numbers
}

// BenchmarkInsertCredentials imports new credentials in batches of 1,000,
// one Update each, with synchronous=FULL: the figure to watch is rows/s.
func BenchmarkInsertCredentials(b *testing.B) {
	db := benchDB(b)
	// Start from a table that is not empty, as an import usually does.
	loadCredentials(b, db, 20*importBatch)
	next := 20 * importBatch
	b.ResetTimer()
	for range b.N {
		cs := batch(next)
		next += importBatch
		if err := db.Update(b.Context(), func(tx store.Tx) error {
			return tx.InsertCredentials(b.Context(), cs, time.Now())
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*importBatch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkUpdateCredentialRecords rewrites existing records in batches of
// 1,000, the other half of an import.
func BenchmarkUpdateCredentialRecords(b *testing.B) {
	db := benchDB(b)
	loadCredentials(b, db, 20*importBatch)
	b.ResetTimer()
	for i := range b.N {
		cs := batch(importBatch * (i % 20))
		for _, c := range cs {
			c.Subject = fmt.Sprint("科目", i)
		}
		if err := db.Update(b.Context(), func(tx store.Tx) error {
			return tx.UpdateCredentialRecords(b.Context(), cs, time.Now())
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*importBatch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCredentialByNumber is the store half of a verification: a point
// lookup, from as many goroutines as GOMAXPROCS, on 100,000 credentials.
func BenchmarkCredentialByNumber(b *testing.B) {
	db := benchDB(b)
	numbers := loadCredentials(b, db, 100*importBatch)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if _, err := db.CredentialByNumber(b.Context(), numbers[r.IntN(len(numbers))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerify is what a verification asks of the store, on 100,000
// credentials of 7 persons, one of them banned, from as many goroutines as
// GOMAXPROCS: two_statements is the credential, then the holder's bans, as
// verification read them before CredentialWithBans; one_statement is
// CredentialWithBans; one_statement_miss the same for unknown numbers.
//
//	go test -run '^$' -bench 'Verify' -benchtime 2s ./store/sqlite/
func BenchmarkVerify(b *testing.B) {
	db := benchDB(b)
	ps := make([]*store.Person, 7)
	for i := range ps {
		ps[i] = &store.Person{Name: "张伟华", IDHash: []byte{byte(i)}, CreatedAt: time.Now()}
	}
	if err := db.Update(b.Context(), func(tx store.Tx) error {
		if err := tx.CreatePersons(b.Context(), ps); err != nil {
			return err
		}
		return tx.CreateBan(b.Context(), &store.Ban{PersonID: ps[0].ID, Scope: store.BanScopeTeaching,
			StartsOn: store.NewDate(2024, 1, 1), Reason: "x", CreatedAt: time.Now()})
	}); err != nil {
		b.Fatal(err)
	}
	numbers := loadCredentials(b, db, 100*importBatch)
	misses := make([]string, len(numbers))
	for i, no := range numbers {
		misses[i] = "9" + no[1:] // the same shape, a year no credential has
	}
	b.Run("two_statements", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 2))
			for pb.Next() {
				c, err := db.CredentialByNumber(b.Context(), numbers[r.IntN(len(numbers))])
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := db.BansForPerson(b.Context(), c.PersonID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("one_statement", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 3))
			for pb.Next() {
				if _, _, err := db.CredentialWithBans(b.Context(), numbers[r.IntN(len(numbers))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("one_statement_miss", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 4))
			for pb.Next() {
				no := misses[r.IntN(len(misses))]
				if _, _, err := db.CredentialWithBans(b.Context(), no); !store.IsCode(err, store.ENotFound) {
					b.Errorf("CredentialWithBans(%s) = %v, want %s", no, err, store.ENotFound)
					return
				}
			}
		})
	})
}

// BenchmarkAppendAudit appends one event per Update, as applying an action
// does: the read of the last event, the seal and the insert, with the
// commit's fsync. The figure to watch is events/s.
func BenchmarkAppendAudit(b *testing.B) {
	db := benchDB(b)
	details := []byte(`{"certificate_no":"2015110000000123","from":"active","to":"revoked"}`)
	b.ResetTimer()
	for i := range b.N {
		e := &store.AuditEvent{At: time.Now(), Actor: "reviewer", Action: "action.apply",
			Object: fmt.Sprint("action:", i), Details: details}
		if err := db.Update(b.Context(), func(tx store.Tx) error { return tx.AppendAudit(b.Context(), e) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkClaimFinishOutbox is one worker's round per message: claim one,
// finish it delivered. 20,000 delivered messages lie behind the backlog, as
// they pile up in a running system: a claim must not get slower with them.
func BenchmarkClaimFinishOutbox(b *testing.B) {
	db := benchDB(b)
	enqueueBench := func(n int, at time.Time) {
		for start := 0; start < n; start += importBatch {
			if err := db.Update(b.Context(), func(tx store.Tx) error {
				for i := start; i < min(n, start+importBatch); i++ {
					m := &store.OutboxMessage{Topic: "credential.status", ObjectKey: fmt.Sprint("credential:", i%500),
						Payload: []byte(`{"n":1}`), CreatedAt: at, NextAttemptAt: at}
					if err := tx.EnqueueOutbox(b.Context(), m); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	now := time.Now()
	enqueueBench(20*importBatch, now)
	if _, err := db.writer.ExecContext(b.Context(), `UPDATE outbox SET delivered_at = ?`, now.UnixMicro()); err != nil {
		b.Fatal(err)
	}
	enqueueBench(b.N, now)
	b.ResetTimer()
	for range b.N {
		ms, err := db.ClaimOutbox(b.Context(), store.OutboxClaim{Owner: "w", Now: now, Lease: time.Minute, Limit: 1})
		if err != nil || len(ms) != 1 {
			b.Fatalf("ClaimOutbox = %d messages, %v", len(ms), err)
		}
		err = db.FinishOutbox(b.Context(), ms[0].ID, "w", store.OutboxResult{Done: []string{"index"}, Delivered: true, At: now})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

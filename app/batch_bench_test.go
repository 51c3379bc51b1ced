package app

// BenchmarkVerifyBatch compares a batch verification of MaxBatchItems
// checks with the same checks made one by one through Verify, on the same
// register in the same run:
//
//	go test -run '^$' -bench VerifyBatch -benchtime 20x ./app/
//
// Both do the same per-item work but for the register read: one statement
// for the batch, one per check for Verify. The HTTP side of a single
// request (bench/batch.sh measures it) is not in these figures.

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

func BenchmarkVerifyBatch(b *testing.B) {
	ctx := context.Background()
	a := newBenchApp(b)
	n := benchN(b, 100000)
	data, pairs := benchCSV(n, true)
	if rep, err := a.ImportCredentials(ctx, ActorCLI, bytes.NewReader(data), ImportOptions{Encoding: "utf-8"}); err != nil || rep.Inserted != n {
		b.Fatalf("import: %v", err)
	}
	// Batches of distinct numbers, one in ten a miss (half unknown numbers,
	// half registered numbers with another name), as in bench/verify.sh.
	rng := rand.New(rand.NewPCG(5, 6))
	batches := make([][]BatchItem, 16)
	for k := range batches {
		items := make([]BatchItem, 0, MaxBatchItems)
		seen := map[string]bool{}
		for _, i := range rng.Perm(len(pairs)) {
			p := pairs[i]
			switch rng.IntN(20) {
			case 0:
				p.no = p.no[:len(p.no)-6] + "999999"
			case 1:
				p.name = "查无此人"
			}
			if seen[p.no] {
				continue
			}
			seen[p.no] = true
			if items = append(items, BatchItem{CertificateNo: p.no, Name: p.name}); len(items) == MaxBatchItems {
				break
			}
		}
		batches[k] = items
	}
	single := func(items []BatchItem) {
		for _, it := range items {
			if _, err := a.Verify(ctx, it.CertificateNo, it.Name); err != nil {
				b.Fatal(err)
			}
		}
	}
	batch := func(items []BatchItem) {
		if _, err := a.VerifyBatch(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	perItem := func(b *testing.B, d time.Duration, iters int) float64 {
		return float64(d.Nanoseconds()) / float64(iters*MaxBatchItems)
	}
	for name, f := range map[string]func([]BatchItem){"single": single, "batch": batch} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				f(batches[i%len(batches)])
				i++
			}
			b.ReportMetric(perItem(b, b.Elapsed(), i), "ns/item")
		})
	}
	// The register reads alone: one statement for the batch against one per
	// check.
	nos := make([][]string, len(batches))
	for k, items := range batches {
		for _, it := range items {
			nos[k] = append(nos[k], it.CertificateNo)
		}
	}
	b.Run("part=store_single_reads", func(b *testing.B) {
		i := 0
		for b.Loop() {
			for _, no := range nos[i%len(nos)] {
				if _, _, err := a.store.CredentialWithBans(ctx, no); err != nil && !errNotFound(err) {
					b.Fatal(err)
				}
			}
			i++
		}
		b.ReportMetric(perItem(b, b.Elapsed(), i), "ns/item")
	})
	b.Run("part=store_batch_read", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := a.store.CredentialsWithBans(ctx, nos[i%len(nos)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(perItem(b, b.Elapsed(), i), "ns/item")
	})
	// Both in turn, so that the ratio is of the same moments of a shared
	// machine.
	b.Run("ratio", func(b *testing.B) {
		var ts, tb time.Duration
		i := 0
		for b.Loop() {
			items := batches[i%len(batches)]
			t0 := time.Now()
			single(items)
			t1 := time.Now()
			batch(items)
			ts, tb = ts+t1.Sub(t0), tb+time.Since(t1)
			i++
		}
		b.ReportMetric(perItem(b, ts, i), "single-ns/item")
		b.ReportMetric(perItem(b, tb, i), "batch-ns/item")
		b.ReportMetric(float64(tb)/float64(ts), "batch/single")
	})
}

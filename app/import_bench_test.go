package app

// Benchmarks of ImportCredentials into a fresh SQLite store, reporting
// rows/s, with and without ID numbers (which add hashing and persons):
//
//	go test -run '^$' -bench Import -benchtime 3x ./app/
//	go test -run '^$' -bench 'Import/ids' -benchtime 3x -cpuprofile /tmp/import.pprof ./app/
//
// BENCH_IMPORT_N sets the rows per import (default 20000).

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
)

func BenchmarkImport(b *testing.B) {
	n := 20000
	if s := os.Getenv("BENCH_IMPORT_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_IMPORT_N: want a positive number, got %q", s)
		}
		n = v
	}
	for _, ids := range []bool{true, false} {
		name := "no_ids"
		if ids {
			name = "ids"
		}
		data, _ := benchCSV(n, ids)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			rows := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				a := newBenchApp(b) // a fresh register each time: every row an insert
				b.StartTimer()
				rep, err := a.ImportCredentials(context.Background(), ActorCLI, bytes.NewReader(data), ImportOptions{Encoding: "utf-8"})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Inserted != n {
					b.Fatalf("inserted %d of %d rows", rep.Inserted, n)
				}
				rows += rep.Inserted
				b.StopTimer()
				a.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

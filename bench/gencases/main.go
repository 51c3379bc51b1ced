// Command gencases writes the synthetic misconduct cases of package demo as
// JSON lines, for the search benchmarks, or the benchmark's queries.
//
//	go run ./bench/gencases -n 100000 -seed 1 -o cases.jsonl
//	go run ./bench/gencases -queries 500 -seed 1 -o queries.txt
//
// Each line of the cases file is one store.Case as encoding/json writes it
// (Go field names; dates YYYY-MM-DD, times RFC 3339), so json.Unmarshal into
// a store.Case reads it back. The same flags always give the same bytes.
// By default every case is published and in public view (-public), as an
// index benchmark wants; -public=false writes the demo's mix of drafts,
// withdrawn and expired cases. With -queries the output is that many one-
// and two-word queries, one a line (two words separated by a space), drawn
// from the cases' vocabulary (demo.Queries).
//
// Progress goes to stderr every 10,000 cases once a run takes more than a
// second.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"ethicsportal/demo"
	"ethicsportal/store"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command, with its streams given, for the tests.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencases", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100000, "number of cases")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("o", "-", "output file; - for stdout")
	public := fs.Bool("public", true, "every case published and in public view; false: the demo's mix of drafts, withdrawn and expired cases")
	now := fs.String("now", demo.DefaultNow.Format(time.DateOnly), "the day the data set is written as of (YYYY-MM-DD, noon in Beijing)")
	queries := fs.Int("queries", 0, "write this many search queries instead of cases")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *n < 0 || *queries < 0 {
		fmt.Fprintln(stderr, "gencases: takes flags only, -n and -queries 0 or more")
		return 2
	}
	day, err := time.ParseInLocation(time.DateOnly, *now, store.Beijing)
	if err != nil {
		fmt.Fprintf(stderr, "gencases: -now: %v\n", err)
		return 2
	}
	w, closeOut := stdout, func() error { return nil }
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "gencases: %v\n", err)
			return 1
		}
		w, closeOut = f, f.Close
	}
	if err := write(w, stderr, *seed, *n, *queries, demo.Options{Now: day.Add(12 * time.Hour), Public: *public}); err != nil {
		closeOut()
		fmt.Fprintf(stderr, "gencases: %v\n", err)
		return 1
	}
	if err := closeOut(); err != nil {
		fmt.Fprintf(stderr, "gencases: %v\n", err)
		return 1
	}
	return 0
}

// write writes the queries when queries > 0, else the cases.
func write(w, progress io.Writer, seed int64, n, queries int, opt demo.Options) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if queries > 0 {
		for _, q := range demo.Queries(seed, queries) {
			fmt.Fprintln(bw, q)
		}
		return bw.Flush()
	}
	g, err := demo.NewGenerator(seed, opt)
	if err != nil {
		return err
	}
	if err := writeCases(bw, progress, g, n); err != nil {
		return err
	}
	return bw.Flush()
}

// chunk is how many cases a worker makes at a time.
const chunk = 1000

// writeCases makes cases 0..n-1 on every core and writes them in order.
// At most twice as many chunks as there are workers are made ahead of the
// writer, so memory stays bounded however slow the output.
func writeCases(w io.Writer, progress io.Writer, g *demo.Generator, n int) error {
	start := time.Now()
	workers := runtime.GOMAXPROCS(0)
	chunks := (n + chunk - 1) / chunk
	results := make([]chan []byte, chunks) // each chunk's lines, in order
	for i := range results {
		results[i] = make(chan []byte, 1)
	}
	ahead := make(chan struct{}, 2*workers)
	done := make(chan struct{})
	next := make(chan int)
	go func() {
		defer close(next)
		for c := range chunks {
			select {
			case ahead <- struct{}{}:
				next <- c
			case <-done:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range next {
				var buf []byte
				for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
					line, err := json.Marshal(g.Case(i))
					if err != nil {
						panic(err) // a store.Case always encodes
					}
					buf = append(append(buf, line...), '\n')
				}
				results[c] <- buf
			}
		})
	}
	defer wg.Wait()
	defer close(done)
	for c := range chunks {
		if _, err := w.Write(<-results[c]); err != nil {
			return err
		}
		<-ahead
		if d := min(n, (c+1)*chunk); d%10000 == 0 && time.Since(start) > time.Second {
			fmt.Fprintf(progress, "gencases: %d of %d cases, %s\n", d, n, time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// Command csvread is the baseline of the import benchmark: it opens a
// credential CSV and reads every record through csvfile, the reader
// `ethicsportal import credentials` uses (encoding detection, the per-field
// encoding check, CSV parsing, the header-keyed field map), and does nothing
// else. Its wall time is the part of an import that no store work can remove,
// so `import time / csvread time` is what the store and the row checks cost
// on top of reading the file, measured in the same run on the same machine.
//
//	go run ./bench/csvread creds.csv
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"ethicsportal/csvfile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: csvread FILE.csv")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "csvread:", err)
		os.Exit(1)
	}
}

func run(path string, out io.Writer) error {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := csvfile.NewReader(f, "auto")
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	var rows, bad, fields int
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if _, ok := errors.AsType[*csvfile.RowError](err); ok {
			bad++
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		rows++
		fields += len(rec.Fields) // the record is used, so the work cannot be skipped
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "%d rows read (%d bad, %d fields) in %s (%.0f rows/s)\n",
		rows, bad, fields, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds())
	return nil
}

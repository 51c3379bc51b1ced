package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"ethicsportal/app"
	"ethicsportal/store"
)

func (e env) importCredentials(ctx context.Context, args []string) int {
	fs := newFlagSet("import credentials", e.stderr)
	encoding := fs.String("encoding", "auto", "file encoding: auto, utf-8 or gb18030 (gbk)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cfg, rest, code, ok := e.parseArgs(fs, args, 1, "import credentials takes exactly one FILE.csv")
	if !ok {
		return code
	}
	f, err := os.Open(rest[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return exitFailed
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()

	start := time.Now()
	opt := app.ImportOptions{Encoding: *encoding, FileName: filepath.Base(rest[0])}
	if !*asJSON {
		opt.OnReject = func(r app.Reject) {
			field := ""
			if r.Field != "" {
				field = " " + r.Field
			}
			fmt.Fprintf(e.stdout, "line %d: %s%s: %s\n", r.Row, r.Code, field, r.Detail)
		}
	}
	tty := isTerminal(e.stderr)
	if tty {
		opt.OnProgress = func(p app.ImportProgress) { printProgress(e.stderr, p, size, time.Since(start)) }
	}
	rep, err := a.ImportCredentials(ctx, cliActor(), f, opt)
	if tty {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: import stopped: %s\n", errorText(err))
		if rep != nil {
			fmt.Fprintf(e.stderr, "rows committed before the stop stay imported (%d inserted, %d updated); rerunning the file is safe\n", rep.Inserted, rep.Updated)
		}
		return exitFailed
	}
	elapsed := time.Since(start)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		fmt.Fprintf(e.stdout, "%d rows read (%s): %d inserted, %d updated, %d unchanged, %d rejected, in %s (%.0f rows/s)\n",
			rep.Rows, rep.Encoding, rep.Inserted, rep.Updated, rep.Unchanged, rep.RejectedCount,
			elapsed.Round(time.Millisecond), float64(rep.Rows)/elapsed.Seconds())
		if len(rep.IgnoredColumns) > 0 {
			fmt.Fprintf(e.stdout, "ignored columns: %v\n", rep.IgnoredColumns)
		}
	}
	if rep.RejectedCount > 0 {
		return exitRejected
	}
	return exitOK
}

func printProgress(w io.Writer, p app.ImportProgress, size int64, elapsed time.Duration) {
	rate := float64(p.Rows) / elapsed.Seconds()
	if size > 0 {
		fmt.Fprintf(w, "\r%10d rows  %5.1f%%  %8.0f rows/s", p.Rows, 100*float64(p.BytesRead)/float64(size), rate)
		return
	}
	fmt.Fprintf(w, "\r%10d rows  %8.0f rows/s", p.Rows, rate)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// errorText is the message of an app error for a person at a terminal.
func errorText(err error) string {
	var e *store.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return err.Error()
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"ethicsportal/app"
)

// maxCheckpointFile bounds what --checkpoint reads; a checkpoint is some
// 200 bytes.
const maxCheckpointFile = 64 << 10

// auditVerify recomputes the audit chain: exit 0 only if it is intact and,
// with --checkpoint FILE, still holds the checkpoint kept in FILE.
func (e env) auditVerify(ctx context.Context, args []string) int {
	fs := newFlagSet("audit verify", e.stderr)
	checkpoint := fs.String("checkpoint", "", "a signed checkpoint kept earlier (GET /api/v1/audit/checkpoint): fail unless the log still holds it")
	cfg, _, code, ok := e.parseArgs(fs, args, 0, "audit verify takes no arguments")
	if !ok {
		return code
	}
	var kept []byte
	if *checkpoint != "" {
		var err error
		if kept, err = readCheckpoint(*checkpoint); err != nil {
			fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
			return exitFailed
		}
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	var rep *app.AuditReport
	var err error
	if kept != nil {
		rep, err = a.VerifyAuditCheckpoint(ctx, kept)
	} else {
		rep, err = a.VerifyAudit(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %s\n", errorText(err))
		return exitFailed
	}
	if rep.OK {
		fmt.Fprintf(e.stdout, "audit chain intact: %d events, head %s\n", rep.Events, rep.Head)
	} else {
		fmt.Fprintf(e.stdout, "audit chain BROKEN at sequence %d: %s (%d events before it check)\n", rep.BadSeq, rep.Problem, rep.Events)
	}
	if k := rep.Kept; k != nil {
		if k.Holds {
			fmt.Fprintf(e.stdout, "checkpoint holds: event %d has hash %s\n", k.Size, k.Hash)
		} else {
			fmt.Fprintf(e.stdout, "checkpoint %s does NOT hold: %s\n", *checkpoint, k.Problem)
		}
	}
	if !rep.Holds() {
		return exitFailed
	}
	return exitOK
}

// readCheckpoint reads a kept checkpoint file, refusing one far larger than
// a checkpoint can be.
func readCheckpoint(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCheckpointFile+1))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if len(b) > maxCheckpointFile {
		return nil, fmt.Errorf("checkpoint: %s is larger than any checkpoint (%d bytes at most)", path, maxCheckpointFile)
	}
	return b, nil
}

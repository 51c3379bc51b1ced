package main

import (
	"context"
	"fmt"
)

// auditVerify recomputes the audit chain: exit 0 only if it is intact.
func (e env) auditVerify(ctx context.Context, args []string) int {
	fs := newFlagSet("audit verify", e.stderr)
	cfg, rest, err := parse(fs, args)
	if err != nil {
		return e.configError(err)
	}
	if len(rest) > 0 {
		return e.usageError("audit verify takes no arguments")
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	rep, err := a.VerifyAudit(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %s\n", errorText(err))
		return exitFailed
	}
	if !rep.OK {
		fmt.Fprintf(e.stdout, "audit chain BROKEN at sequence %d: %s (%d events before it check)\n", rep.BadSeq, rep.Problem, rep.Events)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d events, head %s\n", rep.Events, rep.Head)
	return exitOK
}

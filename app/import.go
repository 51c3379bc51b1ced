package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"ethicsportal/csvfile"
	"ethicsportal/store"
)

// ImportBatch is how many rows are committed together: large enough that
// commits (each an fsync) do not dominate, small enough that a crash loses
// little and a batch holds the write lock for a fraction of a second, so
// approvals made during an import wait no longer than that.
const ImportBatch = 10000

// MaxReportedRejects bounds the rejects kept in an ImportReport; the count
// of all rejects is always exact, and OnReject sees every one.
const MaxReportedRejects = 1000

// Columns of a credential CSV file. id_number, subject and issuer may be
// absent; other columns are ignored and named in the report.
var (
	importRequired = []string{"certificate_no", "holder_name", "kind", "issued_on", "registered_until"}
	importOptional = []string{"id_number", "subject", "issuer"}
)

// Reject is one row that was not imported.
type Reject struct {
	Row    int    `json:"row"` // line number in the file; the header is line 1
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

// ImportReport is the outcome of an import.
type ImportReport struct {
	Encoding       string   `json:"encoding"`
	Rows           int      `json:"rows"`
	Inserted       int      `json:"inserted"`
	Updated        int      `json:"updated"`
	Unchanged      int      `json:"unchanged"`
	RejectedCount  int      `json:"rejected_count"`
	Rejected       []Reject `json:"rejected"`
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
}

// ImportProgress is reported after each committed batch.
type ImportProgress struct {
	Rows      int   // rows read so far
	BytesRead int64 // bytes of the file read so far
}

// ImportOptions tune an import. All fields may be left zero.
type ImportOptions struct {
	FileName   string               // the file's name, kept in each credential's history
	Encoding   string               // "", "auto", "utf-8" or "gb18030"
	OnProgress func(ImportProgress) // after each batch
	OnReject   func(Reject)         // for every rejected row, as it happens
}

// ImportCredentials reads a CSV file of credentials and registers them by
// certificate number in batches. A rerun of the same file changes nothing
// (every row counts as unchanged). A row for a registered credential may
// re-register it (registered_until, subject, issuer); statuses never change
// here (an import never reinstates a revoked or suspended credential), and
// a row that would change what identifies the holder (holder_name, kind,
// issued_on, the ID number it is linked to) is rejected with
// EIdentityChange, as is a row whose ID number belongs to a person of
// another name with EIDNameMismatch (see planRows). Names are compared
// folded, so a Traditional or full-width spelling of the registered name
// changes nothing. A row may give an ID number to a credential whose holder
// has none yet (the holder keeps their bans). Two imports, or an import and
// another writer, creating the same new person at once both succeed: the
// later decides again on what the first wrote. Bad rows are reported
// and skipped, and nothing of them is applied; a row repeating a
// certificate number seen earlier in the file is rejected. The error is for
// a file that cannot be read at all (no header, a missing column) or a
// failing store.
//
// Every credential created or re-registered gets a history entry naming
// actor, opt.FileName and the row; each committed batch is one audit event
// by actor naming the file and the inserted and updated numbers.
func (a *App) ImportCredentials(ctx context.Context, actor string, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	cr, err := csvfile.NewReader(r, opt.Encoding)
	if err != nil {
		return nil, store.Errorf(store.EInvalid, "cannot read the CSV file: %v", err)
	}
	rep := &ImportReport{Encoding: cr.Encoding(), Rejected: []Reject{}}
	header := cr.Header()
	var missing []string
	for _, c := range importRequired {
		if !slices.Contains(header, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, store.Errorf(store.EInvalid, "the header row lacks the column(s) %s; it needs %s and may have %s",
			strings.Join(missing, ", "), strings.Join(importRequired, ", "), strings.Join(importOptional, ", "))
	}
	// A column the file lacks leaves that field of existing entries alone.
	keep := keepColumns{subject: !slices.Contains(header, "subject"), issuer: !slices.Contains(header, "issuer")}
	for _, c := range header {
		if c != "" && !slices.Contains(importRequired, c) && !slices.Contains(importOptional, c) {
			rep.IgnoredColumns = append(rep.IgnoredColumns, c)
		}
	}

	reject := func(rj Reject) {
		rep.RejectedCount++
		if len(rep.Rejected) < MaxReportedRejects {
			rep.Rejected = append(rep.Rejected, rj)
		}
		if opt.OnReject != nil {
			opt.OnReject(rj)
		}
	}
	seen := map[string]int{} // certificate number -> line it was first seen on
	batch := make([]*validCredential, 0, ImportBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := a.importBatch(ctx, registration{actor: actor, source: store.SourceImport, file: opt.FileName}, batch, keep, rep, reject); err != nil {
			return err
		}
		batch = batch[:0]
		if opt.OnProgress != nil {
			opt.OnProgress(ImportProgress{Rows: rep.Rows, BytesRead: cr.BytesRead()})
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *csvfile.RowError
		if errors.As(err, &rowErr) {
			rep.Rows++
			reject(Reject{Row: rowErr.Line, Code: "malformed_row", Detail: rowErr.Err.Error()})
			continue
		}
		if err != nil {
			return rep, store.Errorf(store.EInvalid, "cannot read the CSV file: %v", err)
		}
		rep.Rows++
		v, err := a.validate(CredentialInput{
			CertificateNo: rec.Fields["certificate_no"], HolderName: rec.Fields["holder_name"],
			IDNumber: rec.Fields["id_number"], Kind: rec.Fields["kind"], Subject: rec.Fields["subject"],
			Issuer: rec.Fields["issuer"], IssuedOn: rec.Fields["issued_on"], RegisteredUntil: rec.Fields["registered_until"],
		})
		if err != nil {
			var e *store.Error
			errors.As(err, &e)
			reject(Reject{Row: rec.Line, Code: e.Code, Field: e.Field, Detail: e.Message})
			continue
		}
		if first, dup := seen[v.cred.CertificateNo]; dup {
			reject(Reject{Row: rec.Line, Code: "duplicate_row", Field: "certificate_no",
				Detail: fmt.Sprintf("certificate %s already appears on line %d", v.cred.CertificateNo, first)})
			continue
		}
		seen[v.cred.CertificateNo] = rec.Line
		v.line = rec.Line
		batch = append(batch, v)
		if len(batch) == ImportBatch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	return rep, nil
}

// keepColumns names the optional register fields a file has no column for.
type keepColumns struct{ subject, issuer bool }

// importBatch registers one batch in one transaction, and then reports the
// batch's rejected rows and counts. A batch that lost a race to another
// writer creating the same person or credential is decided again, in a new
// transaction, on the register as the winner left it (see updateRegister),
// so the transaction may run more than once: the report is counted only
// from the attempt that committed, and the history and audit written by a
// rolled-back attempt went with it.
func (a *App) importBatch(ctx context.Context, reg registration, batch []*validCredential, keep keepColumns, rep *ImportReport, reject func(Reject)) error {
	now := a.now()
	var plan *rowPlan
	err := a.updateRegister(ctx, func(tx store.Tx) error {
		var err error
		if plan, err = a.decideRows(ctx, tx, batch, keep, now); err != nil {
			return err
		}
		if len(plan.inserts)+len(plan.updates) == 0 {
			return nil // a batch that changed nothing is not a change
		}
		if err := plan.write(ctx, tx, now, reg); err != nil {
			return err
		}
		return a.record(ctx, tx, reg.actor, "credential.import", "register", importDetails{
			File: reg.file, Inserted: numbersOfRows(plan.inserts), Updated: numbersOfRows(plan.updates), Unchanged: plan.unchanged,
		})
	})
	if err != nil {
		return internal("import batch", err)
	}
	rep.Inserted += len(plan.inserts)
	rep.Updated += len(plan.updates)
	rep.Unchanged += plan.unchanged
	for _, r := range plan.rejects {
		reject(r)
	}
	return nil
}

type importDetails struct {
	File      string   `json:"file,omitempty"`
	Inserted  []string `json:"inserted"`
	Updated   []string `json:"updated"`
	Unchanged int      `json:"unchanged"`
}

func numbersOfRows(rows []*validCredential) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.cred.CertificateNo
	}
	return out
}

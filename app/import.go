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
	Encoding   string               // "", "auto", "utf-8" or "gb18030"
	OnProgress func(ImportProgress) // after each batch
	OnReject   func(Reject)         // for every rejected row, as it happens
}

// ImportCredentials reads a CSV file of credentials and upserts them by
// certificate number in batches. A rerun of the same file changes nothing
// (every row counts as unchanged). Register fields are updated; statuses are
// not: an import never reinstates a revoked or suspended credential. Bad
// rows are reported and skipped; a row repeating a certificate number seen
// earlier in the file is rejected. The error is for a file that cannot be
// read at all (no header, a missing column) or a failing store.
//
// Each committed batch is one audit event by actor naming the inserted and
// updated certificate numbers.
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
		if err := a.importBatch(ctx, actor, batch, keep, rep); err != nil {
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

// importBatch upserts one batch in one transaction.
func (a *App) importBatch(ctx context.Context, actor string, batch []*validCredential, keep keepColumns, rep *ImportReport) error {
	now := a.now()
	var inserted, updated, unchanged int
	err := a.store.Update(ctx, func(tx store.Tx) error {
		inserted, updated, unchanged = 0, 0, 0
		numbers := make([]string, len(batch))
		for i, v := range batch {
			numbers[i] = v.cred.CertificateNo
		}
		existing, err := tx.CredentialsByNumbers(ctx, numbers)
		if err != nil {
			return err
		}
		if err := a.linkPersons(ctx, tx, batch, existing); err != nil {
			return err
		}
		var fresh, changed []*store.Credential
		for _, v := range batch {
			old, ok := existing[v.cred.CertificateNo]
			if ok && keep.subject {
				v.cred.Subject = old.Subject
			}
			if ok && keep.issuer {
				v.cred.Issuer = old.Issuer
			}
			switch {
			case !ok:
				fresh = append(fresh, &v.cred)
			case old.SameRecord(&v.cred):
				unchanged++
			default:
				changed = append(changed, &v.cred)
			}
		}
		// In key order, inserts walk the B-tree from one page to the next
		// instead of jumping about it: fewer page reads and splits.
		slices.SortFunc(fresh, func(x, y *store.Credential) int { return strings.Compare(x.CertificateNo, y.CertificateNo) })
		if len(fresh) > 0 {
			if err := tx.InsertCredentials(ctx, fresh, now); err != nil {
				return err
			}
		}
		if len(changed) > 0 {
			if err := tx.UpdateCredentialRecords(ctx, changed, now); err != nil {
				return err
			}
		}
		inserted, updated = len(fresh), len(changed)
		if inserted+updated == 0 {
			return nil // a batch that changed nothing is not a change
		}
		return a.record(ctx, tx, actor, "credential.import", "register", importDetails{
			Inserted: numbersOf(fresh), Updated: numbersOf(changed), Unchanged: unchanged,
		})
	})
	if err != nil {
		return internal("import batch", err)
	}
	rep.Inserted += inserted
	rep.Updated += updated
	rep.Unchanged += unchanged
	return nil
}

type importDetails struct {
	Inserted  []string `json:"inserted"`
	Updated   []string `json:"updated"`
	Unchanged int      `json:"unchanged"`
}

func numbersOf(cs []*store.Credential) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.CertificateNo
	}
	return out
}

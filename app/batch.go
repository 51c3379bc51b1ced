package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"ethicsportal/csvfile"
	"ethicsportal/store"
)

// MaxBatchItems is the most checks one batch verification may hold.
const MaxBatchItems = 500

// BatchItem is one check of a batch verification: what a single
// verification is asked, and where the item came from, for problems.
type BatchItem struct {
	CertificateNo string
	Name          string
	// Row is the line of the CSV file the item was read from (the header is
	// line 1), 0 for an item of a JSON list; problems name the row, or
	// else the item's index in the list.
	Row int
}

// batchHeader is the header row a batch CSV file must have, exactly.
var batchHeader = []string{"certificate_no", "name"}

// ReadBatchCSV reads the items of a batch verification from a CSV file,
// with the import's reader: UTF-8 with or without a byte order mark, or
// GB18030/GBK, detected unless encoding names one (see csvfile.NewReader). The header row must be certificate_no,name (the
// reader trims and lower-cases header names) and nothing else. Lines with
// nothing on them are not rows (CSV readers skip them, and files end with
// one); a row whose cells are all empty is refused (EEmptyRow), as is a row
// that cannot be read (EMalformedRow: bad quoting, a wrong number of
// fields, bytes not in the encoding), each naming its row. More than
// MaxBatchItems rows is ETooManyItems, found without reading further. So
// the whole file is taken or refused: a batch is never checked in part.
func ReadBatchCSV(r io.Reader, encoding string) ([]BatchItem, error) {
	cr, err := csvfile.NewReader(r, encoding)
	if err != nil {
		return nil, store.Errorf(store.EInvalidHeader, "cannot read the CSV file: %s; it needs the header row %s",
			strings.TrimPrefix(err.Error(), "csvfile: "), strings.Join(batchHeader, ","))
	}
	if h := cr.Header(); len(h) != len(batchHeader) || h[0] != batchHeader[0] || h[1] != batchHeader[1] {
		return nil, store.Errorf(store.EInvalidHeader, "the header row is %q; it must be %s, those two columns in that order, "+
			"each row on its own line (CR LF or LF)", truncate(printable(strings.Join(h, ",")), 80), strings.Join(batchHeader, ","))
	}
	var items []BatchItem
	for {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if rowErr, ok := errors.AsType[*csvfile.RowError](err); ok {
			return nil, store.FieldError(store.EMalformedRow, rowField(rowErr.Line, ""), "row %d: %v", rowErr.Line, rowErr.Err)
		}
		if err != nil {
			return nil, store.Errorf(store.EInvalid, "cannot read the CSV file: %v", err)
		}
		no, name := rec.Fields["certificate_no"], rec.Fields["name"]
		if no == "" && name == "" {
			return nil, store.FieldError(store.EEmptyRow, rowField(rec.Line, ""),
				"row %d is empty; remove it, or give the certificate number and the name", rec.Line)
		}
		if len(items) == MaxBatchItems {
			return nil, tooManyItems()
		}
		// The fields are substrings of a string the CSV reader made for this
		// record alone: they may be kept.
		items = append(items, BatchItem{CertificateNo: no, Name: name, Row: rec.Line})
	}
}

func tooManyItems() error {
	return store.FieldError(store.ETooManyItems, "items", "a batch holds at most %d checks; send the rest in another batch", MaxBatchItems)
}

// rowField names row (a CSV line) or its field for a problem: rows[7].name.
func rowField(row int, field string) string {
	if field == "" {
		return fmt.Sprintf("rows[%d]", row)
	}
	return fmt.Sprintf("rows[%d].%s", row, field)
}

// where names an item for a problem: its CSV row, or its index in a list.
func (it BatchItem) where(i int, field string) (name, what string) {
	if it.Row > 0 {
		return rowField(it.Row, field), fmt.Sprintf("row %d", it.Row)
	}
	return fmt.Sprintf("items[%d].%s", i, field), fmt.Sprintf("item %d", i)
}

// VerifyBatch checks up to MaxBatchItems qualifications at once and returns
// one Verification per item, in the order of items, each what Verify would
// answer for that item alone: its own receipt, and a miss that looks the
// same whatever missed. It is PrepareBatch and then RunBatch.
func (a *App) VerifyBatch(ctx context.Context, items []BatchItem) ([]*Verification, error) {
	b, err := a.PrepareBatch(items)
	if err != nil {
		return nil, err
	}
	return a.RunBatch(ctx, b)
}

// Batch is a batch verification whose every item was found well formed,
// ready to run.
type Batch struct {
	nos, names []string // normalised certificate numbers, folded names
}

// Len is the number of checks in the batch.
func (b *Batch) Len() int { return len(b.nos) }

// PrepareBatch checks every item of a batch before anything is read, so
// that a batch is taken or refused whole: an item that Verify would refuse
// refuses the batch with Verify's code, its field named as items[i].name
// (i from 0) or, for an item read from CSV, rows[line].name; EMissing for
// no items, ETooManyItems for more than MaxBatchItems, EDuplicateItem for a
// certificate number given twice (after normalisation, whatever the names:
// one certificate has one holder, so a list naming it twice holds a
// mistake).
func (a *App) PrepareBatch(items []BatchItem) (*Batch, error) {
	if len(items) == 0 {
		return nil, store.FieldError(store.EMissing, "items", "a batch needs at least one check")
	}
	if len(items) > MaxBatchItems {
		return nil, tooManyItems()
	}
	b := &Batch{nos: make([]string, len(items)), names: make([]string, len(items))}
	first := make(map[string]int, len(items)) // number -> index of the item that gave it first
	for i, it := range items {
		no, err := NormaliseCertificateNo(it.CertificateNo)
		if err != nil {
			return nil, itemError(it, i, err)
		}
		folded, err := a.foldName("name", it.Name)
		if err != nil {
			return nil, itemError(it, i, err)
		}
		if j, dup := first[no]; dup {
			field, what := it.where(i, "certificate_no")
			_, earlier := items[j].where(j, "certificate_no")
			return nil, store.FieldError(store.EDuplicateItem, field,
				"%s repeats the certificate number of %s; give each certificate once", what, earlier)
		}
		first[no] = i
		b.nos[i], b.names[i] = no, folded
	}
	return b, nil
}

// RunBatch answers a prepared batch, in its order. It is cheaper per item
// than Verify: the register is read once for all items, in one statement
// that reads for each unknown number a decoy row, as a single verification
// does; each receipt is still signed on its own. Every item shares one
// checked_at.
func (a *App) RunBatch(ctx context.Context, b *Batch) ([]*Verification, error) {
	now := a.now().UTC().Truncate(time.Second)
	found, err := a.store.CredentialsWithBans(ctx, b.nos)
	if err != nil {
		return nil, internal("verify batch", err)
	}
	out := make([]*Verification, len(b.nos))
	for i, no := range b.nos {
		cb := found[no] // the zero value, no credential, for an unknown number
		if out[i], err = a.answer(no, b.names[i], cb.Credential, cb.Bans, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// itemError names the item in err, a *store.Error from the checks Verify
// makes.
func itemError(it BatchItem, i int, err error) error {
	e, ok := errors.AsType[*store.Error](err)
	if !ok {
		return err
	}
	field, what := it.where(i, e.Field)
	return store.FieldError(e.Code, field, "%s: %s", what, e.Message)
}

// ClientVerifyBatch runs a prepared batch for school client c, which must
// hold the verify_batch scope (EForbidden otherwise), and records every
// check as the client's use (one row per item, like a single check's), in
// one transaction once every answer is made: a batch that was answered is
// on record item by item, one that failed is not.
func (a *App) ClientVerifyBatch(ctx context.Context, c *store.Client, b *Batch) ([]*Verification, error) {
	if !c.HasScope(store.ScopeVerifyBatch) {
		return nil, store.Errorf(store.EForbidden, "this API key lacks the scope %s", store.ScopeVerifyBatch)
	}
	vs, err := a.RunBatch(ctx, b)
	if err != nil {
		return nil, err
	}
	rows := make([]store.ClientUsage, len(vs))
	for i, v := range vs {
		rows[i] = VerifyUsage(b.nos[i], v)
	}
	if err := a.RecordUsage(ctx, c, rows...); err != nil {
		return nil, err
	}
	return vs, nil
}

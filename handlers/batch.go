package handlers

import (
	"bytes"
	"encoding/csv"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

type batchRequest struct {
	Items []verifyRequest `json:"items"`
}

// verifyBatch answers POST /api/v1/verifications/batch: up to
// app.MaxBatchItems checks sent as JSON {"items": [...]} or as a CSV file
// (text/csv, header certificate_no,name), answered in input order as JSON
// {"results": [...]}, each result what POST /api/v1/verifications answers
// for it, or as CSV when the client prefers text/csv.
//
// The client's key was checked, and one check of its allowance spent, by
// schoolClient; the batch spends the rest, one per item, once every item
// is found well formed and before anything is read, so an over-limit batch
// is refused whole (429) and a malformed one costs one check.
func (s *Server) verifyBatch(c *fiber.Ctx) error {
	items, err := batchItems(c)
	if err != nil {
		return err
	}
	b, err := s.app.PrepareBatch(items)
	if err != nil {
		return err
	}
	if err := s.chargeClient(c, b.Len()-1); err != nil {
		return err
	}
	vs, err := s.app.ClientVerifyBatch(c.UserContext(), clientFrom(c), b)
	if err != nil {
		return err
	}
	if c.Accepts(fiber.MIMEApplicationJSON, "text/csv") == "text/csv" {
		return writeBatchCSV(c, items, vs)
	}
	// Each result is appended by the single verification's writer, so the
	// two answers cannot differ.
	dst := make([]byte, 0, 16+len(vs)*1536)
	dst = append(dst, `{"results":[`...)
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendVerificationJSON(dst, v)
	}
	dst = append(dst, "]}"...)
	c.Response().SetBodyRaw(dst)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return nil
}

// batchItems reads the checks of a batch from a JSON or a CSV body. JSON
// is decoded strictly, as on the admin routes: a misspelt member would
// otherwise read as an empty field. A CSV body may name its charset (UTF-8
// or GB18030/GBK), or leave it to detection, as for the import.
func batchItems(c *fiber.Ctx) ([]app.BatchItem, error) {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return nil, store.Errorf(store.EUnsupported, "send the checks as application/json or as text/csv")
	}
	switch strings.ToLower(mt) {
	case fiber.MIMEApplicationJSON:
		var req batchRequest
		if err := decodeJSON(c, &req, true); err != nil {
			return nil, err
		}
		items := make([]app.BatchItem, len(req.Items))
		for i, it := range req.Items {
			items[i] = app.BatchItem{CertificateNo: it.CertificateNo, Name: it.Name}
		}
		return items, nil
	case "text/csv":
		enc := strings.ToLower(params["charset"])
		switch enc {
		case "", "utf-8", "utf8", "gb18030", "gbk", "gb2312":
		default:
			return nil, store.Errorf(store.EUnsupported, "charset %q is not supported; send UTF-8 or GB18030/GBK", enc)
		}
		// The reader copies what it keeps, so the body's buffer may be read
		// in place.
		return app.ReadBatchCSV(bytes.NewReader(c.Body()), enc)
	}
	return nil, store.Errorf(store.EUnsupported, "send the checks as application/json or as text/csv")
}

// batchCSVHeader are the columns of a batch's CSV answer.
var batchCSVHeader = []string{"certificate_no", "name", "match", "status", "eligible", "holder_name", "kind",
	"registered_until", "bans", "checked_at", "receipt"}

// writeBatchCSV answers a batch as a CSV file: UTF-8 with a byte order mark
// (so that spreadsheet programs read the Chinese correctly), a header row,
// then one row per item in input order, certificate_no and name as the item
// gave them. A miss fills only match, checked_at and receipt, as its JSON
// does. Cells are made safe to open in a spreadsheet (csvCell).
func writeBatchCSV(c *fiber.Ctx, items []app.BatchItem, vs []*app.Verification) error {
	var buf bytes.Buffer
	buf.Grow(64 + len(vs)*1024)
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(batchCSVHeader) // a bytes.Buffer does not fail
	row := make([]string, len(batchCSVHeader))
	for i, v := range vs {
		clear(row)
		row[0], row[1] = items[i].CertificateNo, items[i].Name
		row[2] = strconv.FormatBool(v.Match)
		if v.Match {
			row[3], row[4] = v.Status, strconv.FormatBool(v.Eligible)
			row[5], row[6] = v.Credential.HolderName, v.Credential.Kind
			row[7] = v.Credential.RegisteredUntil.String()
			row[8] = bansSummary(v)
		}
		row[9], row[10] = v.CheckedAt.Format(time.RFC3339), v.Receipt
		for j := range row {
			row[j] = csvCell(row[j])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	name := "verifications-" + vs[0].CheckedAt.Format("20060102T150405Z") + ".csv"
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header.SetContentType("text/csv; charset=utf-8")
	c.Response().SetBodyRaw(buf.Bytes())
	return nil
}

// bansSummary is a match's bans in one cell: "scope starts_on/ends_on"
// each, ".." for no end (a permanent ban), joined by "; ".
func bansSummary(v *app.Verification) string {
	var b strings.Builder
	for i, ban := range v.Bans {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(ban.Scope)
		b.WriteByte(' ')
		b.WriteString(ban.StartsOn.String())
		b.WriteByte('/')
		if ban.Permanent() {
			b.WriteString("..")
		} else {
			b.WriteString(ban.EndsOn.String())
		}
	}
	return b.String()
}

// csvCell defuses CSV formula injection: a spreadsheet program runs a cell
// that starts with = + - or @ as a formula (and tab, CR or LF before one),
// so such a cell gets a leading single quote, which makes it text. Only the
// item's own input can start so, but that input is whatever the file held.
func csvCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r\n", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

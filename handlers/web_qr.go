package handlers

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// qrSVG draws text as a QR code in SVG, to be placed in a page as it is
// (no script, no style: the Content-Security-Policy allows it). label is
// the image's accessible name. Receipts (a link to the receipt check) and
// TOTP enrolment (an otpauth:// URI) use it; the text is given beside the
// code for those who cannot scan it.
func qrSVG(text, label string) (template.HTML, error) {
	// Medium error correction keeps a receipt's long link at a size a
	// phone reads from paper.
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	w := &svgWriter{label: label}
	if err := q.Save(w); err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	return template.HTML(w.out), nil //nolint:gosec // built here from numbers and the escaped label
}

// svgWriter is a qrcode.Writer that renders the matrix as one SVG path,
// with the four-module quiet zone the standard asks for.
type svgWriter struct {
	label string
	out   string
}

func (w *svgWriter) Write(m qrcode.Matrix) error {
	const quiet = 4
	bits := m.Bitmap()
	size := len(bits) + 2*quiet
	var d strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run - 1
		}
	}
	w.out = fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, template.HTMLEscapeString(w.label), size, size, d.String())
	return nil
}

func (w *svgWriter) Close() error { return nil }

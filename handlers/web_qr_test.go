package handlers

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// The SVG holds exactly the code's dark modules, inside a quiet zone.
func TestQRSVGDrawsTheMatrix(t *testing.T) {
	text := "https://portal.example/receipts/check?receipt=" + strings.Repeat("eyJhbGciOiJFZERTQSJ9.", 30)
	svg, err := qrSVG(text, `a "receipt" <code>`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		t.Fatal(err)
	}
	var want [][]bool
	if err := q.Save(bitmapWriter{&want}); err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, `aria-label="a &#34;receipt&#34; &lt;code&gt;"`) || strings.Contains(s, "style") {
		t.Fatalf("label or style: %s", s[:200])
	}
	n := len(want)
	if !strings.Contains(s, `viewBox="0 0 `+strconv.Itoa(n+8)+` `+strconv.Itoa(n+8)+`"`) {
		t.Fatalf("viewBox for %d modules: %s", n, s[:120])
	}
	got := make([][]bool, n)
	for i := range got {
		got[i] = make([]bool, n)
	}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(s, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		run, _ := strconv.Atoi(m[3])
		for i := 0; i < run; i++ {
			got[y-4][x-4+i] = true
		}
	}
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("module %d,%d: got %v want %v", x, y, got[y][x], want[y][x])
			}
		}
	}
}

type bitmapWriter struct{ out *[][]bool }

func (w bitmapWriter) Write(m qrcode.Matrix) error { *w.out = m.Bitmap(); return nil }
func (w bitmapWriter) Close() error                { return nil }

package browser

import (
	"os"
	"strings"
	"testing"
)

// pdfText reads what Chromium printed (a PDF kept beside the tests, made
// by Chromium 156 from a page holding a certificate number, a name and a
// word).
func TestPDFText(t *testing.T) {
	data, err := os.ReadFile("testdata/printed.pdf")
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdfText(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"20241117900000020", "何敏", "receipt"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q: %q", want, text)
		}
	}
	if _, err := pdfText([]byte("<html>")); err == nil {
		t.Error("HTML read as a PDF")
	}
}

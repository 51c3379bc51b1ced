package browser

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"ethicsportal/app"
)

// A school clerk checks an applicant's qualification, finds it revoked,
// opens the receipt and prints it: the print button calls the browser's
// print, and the page as printed (print media, to PDF) holds the receipt:
// the certificate number, the name, the receipt's id and its QR code.
func TestClerkVerifiesARevokedCredentialAndPrintsTheReceipt(t *testing.T) {
	p := thePortal(t)
	no, name, _ := strings.Cut(app.DemoRevokedExample, " ")
	b := newBrowser(t, p.URL)
	tb := b.tab("clerk")

	if st := tb.open("/verify"); st != http.StatusOK {
		t.Fatalf("/verify: status %d", st)
	}
	tb.must("label[for=certificate_no]", "#certificate_no", "label[for=name]", "#name")
	tb.shot("form")
	tb.axe("verification form (zh)")
	tb.narrow("verification form (zh)")

	// A blank form is refused with an error summary that links each field.
	if st := tb.click("form[action='/verify'] button[type=submit]"); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
		t.Errorf("an empty verification: status %d, want 400 or 422", st)
	}
	tb.must(".error-summary a[href='#certificate_no']")
	tb.shot("form-errors")
	tb.axe("verification form with errors (zh)")

	// The number as people write it, with spaces.
	tb.typeInto("#certificate_no", no[:4]+" "+no[4:8]+" "+no[8:])
	tb.typeInto("#name", name)
	if st := tb.click("form[action='/verify'] button[type=submit]"); st != http.StatusOK {
		t.Fatalf("verify %s: status %d", no, st)
	}
	tb.must(".result-card")
	card := tb.text(".result-card")
	for _, want := range []string{no, name, "已撤销"} {
		if !strings.Contains(card, want) {
			t.Errorf("the result lacks %q:\n%s", want, card)
		}
	}
	if !tb.has(".result-card table") {
		t.Errorf("the result of a banned holder shows no table of bans:\n%s", card)
	}
	tb.shot("result")
	tb.axe("verification result, revoked (zh)")
	tb.narrow("verification result, revoked (zh)")

	// The receipt.
	if st := tb.click("form[action='/verify/receipt'] button[type=submit]"); st != http.StatusOK {
		t.Fatalf("the receipt: status %d", st)
	}
	tb.must(".receipt-sheet", ".receipt-qr svg", "button[data-print]")
	claims := eval[[]string](tb, `Array.from(document.querySelectorAll(".receipt-claims dd code")).map(e => e.textContent.trim())`)
	jws := strings.TrimSpace(tb.text(".receipt-text"))
	if strings.Count(jws, ".") != 2 {
		t.Errorf("the receipt's text %q is not a compact JWS", jws)
	}
	tb.shot("receipt")
	tb.axe("receipt (zh)")
	tb.narrow("receipt (zh)")

	// Print: headless Chromium has no print dialog, so window.print is
	// replaced by one that counts its calls.
	eval[bool](tb, `(window.__printed = 0, window.print = () => { window.__printed++ }, true)`)
	tb.run("click print", chromedp.Click(chromedp.CSS("button[data-print]"), chromedp.NodeVisible))
	tb.until("window.print called", `window.__printed === 1`)

	// The page as printed: the receipt and its QR code shown, the
	// controls not.
	tb.run("print media", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	shown := eval[map[string]bool](tb, `(() => {
		const vis = s => { const e = document.querySelector(s); if (!e) return false; const r = e.getBoundingClientRect(); return getComputedStyle(e).display !== "none" && getComputedStyle(e).visibility !== "hidden" && r.width > 0 && r.height > 0; };
		return {sheet: vis(".receipt-sheet"), qr: vis(".receipt-qr svg"), button: vis("button[data-print]"), nav: vis(".site-nav")};
	})()`)
	if !shown["sheet"] || !shown["qr"] {
		t.Errorf("printed, the receipt or its QR code is hidden: %v", shown)
	}
	if shown["button"] {
		t.Errorf("printed, the print button shows: %v", shown)
	}
	if shown["nav"] {
		t.Logf("printed, the site's navigation shows (not required): %v", shown)
	}
	tb.shot("receipt-print-media")
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFOutlineAndTagged()))
	if err != nil {
		tb.fail("print to PDF", err)
	}
	path := b.save("clerk-receipt.pdf", pdf)
	text, err := pdfText(pdf)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	flat := strings.Join(strings.Fields(text), "")
	wants := append([]string{no, name, jws}, claims...)
	for _, want := range wants {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), "")) {
			t.Errorf("the printed receipt (%s) lacks %q; its text:\n%s", path, want, text)
		}
	}
	if pages := strings.Count(text, "\f") + 1; pages > 2 {
		t.Errorf("the receipt prints on %d pages, want one or two", pages)
	}

	tb.run("screen media", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	// Later, someone checks the receipt the clerk kept: it is valid.
	if st := tb.open("/receipts/check"); st != http.StatusOK {
		t.Fatalf("/receipts/check: status %d", st)
	}
	tb.must("label[for=receipt]", "textarea#receipt")
	tb.axe("receipt check form (zh)")
	tb.run("paste the receipt", chromedp.SetValue(chromedp.CSS("#receipt"), jws, chromedp.NodeVisible))
	if st := tb.click("form[action='/receipts/check'] button[type=submit]"); st != http.StatusOK {
		t.Fatalf("check the receipt: status %d", st)
	}
	tb.must("main .notice.good")
	tb.mustSay(no)
	tb.shot("receipt-checked")
	tb.axe("receipt check result (zh)")
	tb.narrow("receipt check result (zh)")

	// The same pages in English.
	tb.open("/verify?lang=en")
	tb.axe("verification form (en)")
	tb.typeInto("#certificate_no", no)
	tb.typeInto("#name", name)
	if st := tb.click("form[action='/verify'] button[type=submit]"); st != http.StatusOK {
		t.Fatalf("verify in English: status %d", st)
	}
	tb.mustSay("Revoked")
	tb.shot("result-en")
	tb.axe("verification result, revoked (en)")
	tb.click("form[action='/verify/receipt'] button[type=submit]")
	tb.must(".receipt-sheet")
	tb.axe("receipt (en)")
	tb.open("/receipts/check")
	tb.axe("receipt check form (en)")
}

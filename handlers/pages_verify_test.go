package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The verification pages: a result card for every status and for no
// match, the form's errors, the printable receipt and the receipt check.

// Credentials in each state, for the result cards (certNo/holder is active
// and eligible).
const (
	bannedNo, bannedName       = "20191100141000201", "李明"
	lapsedNo, lapsedName       = "20191100141000202", "王芳"
	suspendedNo, suspendedName = "20191100141000203", "赵磊"
	revokedNo, revokedName     = "20191100141000204", "陈静"
)

// registerStates registers a credential in each state and returns the team
// that did it.
func (e *env) registerStates() team {
	e.t.Helper()
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": bannedNo, "holder_name": bannedName})
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": lapsedNo, "holder_name": lapsedName, "registered_until": "2025-06-30"})
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": suspendedNo, "holder_name": suspendedName})
	e.registerCredential(tm.registrar, map[string]string{"certificate_no": revokedNo, "holder_name": revokedName})
	e.mustApply(tm, map[string]any{"kind": "impose_ban", "certificate_no": bannedNo, "name": bannedName, "scope": "education",
		"starts_on": "2026-05-01", "reason": "体罚学生，终身禁入"})
	e.mustApply(tm, map[string]any{"kind": "suspend_credential", "certificate_no": suspendedNo, "until": "2026-12-31", "reason": "调查期间暂停"})
	e.mustApply(tm, map[string]any{"kind": "revoke_credential", "certificate_no": revokedNo, "reason": "严重违反师德，依法撤销"})
	return tm
}

// mustApply proposes an action as the registrar and has a reviewer approve it.
func (e *env) mustApply(tm team, body map[string]any) {
	e.t.Helper()
	if r := e.approve(tm.reviewer, e.propose(tm.registrar, body)); r.status != 200 {
		e.t.Fatalf("approve %v: %d %s", body, r.status, r.body)
	}
}

var (
	resultCard   = regexp.MustCompile(`(?s)<section class="result-card[^"]*".*?</section>`)
	receiptField = regexp.MustCompile(`name="receipt" value="([^"]+)"`)
)

// card is the result card of a page, failing the test without one.
func card(t *testing.T, p *page) string {
	t.Helper()
	m := resultCard.FindString(p.body)
	if m == "" {
		t.Fatalf("no result card (status %d):\n%s", p.status, p.body)
	}
	return m
}

// receiptOf is the receipt a verification page offers to print.
func receiptOf(t *testing.T, p *page) string {
	t.Helper()
	m := receiptField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no receipt on the page:\n%s", p.body)
	}
	return html.UnescapeString(m[1])
}

// noInlineCode fails unless the page keeps to the Content-Security-Policy:
// no inline style or script, no event handler attributes.
func noInlineCode(t *testing.T, p *page) {
	t.Helper()
	for _, bad := range []string{" style=", "<style", "<script>", " onclick=", " onload=", "javascript:"} {
		if strings.Contains(p.body, bad) {
			t.Fatalf("page holds %q", bad)
		}
	}
}

func TestVerifyPageForm(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	p := b.get("/verify")
	if p.status != 200 {
		t.Fatalf("GET /verify: %d", p.status)
	}
	p.mustHave(t, "<h1>核验教师资格</h1>", `<label for="certificate_no">证书编号</label>`, `<label for="name">持证人姓名</label>`,
		`aria-describedby="certificate_no-hint"`, `id="certificate_no-hint"`, `aria-describedby="name-hint"`, `action="/verify"`)
	noInlineCode(t, p)
	b.lang = "en"
	b.get("/verify").mustHave(t, "<h1>Verify a teaching qualification</h1>", "Spaces and hyphens do not matter")
}

func TestVerifyPageResultCards(t *testing.T) {
	e := newEnv(t, nil)
	e.registerStates()
	b := e.browser()
	b.lang = "en"
	for _, tc := range []struct {
		name, no, holder string
		want             []string
	}{
		{"eligible", certNo, holder, []string{`result-eligible`, `<span class="result-tag">Active</span>`,
			"The qualification is active and its holder has no ban in force", "Yes: active, and no ban in force", "No ban in force or due to start.",
			"Senior secondary teacher", "30 June 2029", "1 June 2026 12:00 Beijing time"}},
		{"banned", bannedNo, bannedName, []string{`result-banned`, `<span class="result-tag">Banned</span>`,
			"The qualification is active, but its holder is banned and not eligible", "<dd>Active</dd>", "<dd>No</dd>",
			"The whole education sector", "1 May 2026", "Permanent (no end date)", "In force", `<th scope="col">Scope</th>`}},
		{"lapsed", lapsedNo, lapsedName, []string{`result-lapsed`, `<span class="result-tag">Lapsed</span>`,
			"The qualification has lapsed: its registration has expired", "Lapsed (registration expired)", "30 June 2025", "<dd>No</dd>"}},
		{"suspended", suspendedNo, suspendedName, []string{`result-suspended`, `<span class="result-tag">Suspended</span>`,
			"The qualification is suspended", "<dd>No</dd>"}},
		{"revoked", revokedNo, revokedName, []string{`result-revoked`, `<span class="result-tag">Revoked</span>`,
			"The qualification has been revoked", "<dd>No</dd>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/verify", url.Values{"certificate_no": {tc.no}, "name": {tc.holder}})
			if p.status != 200 {
				t.Fatalf("%d\n%s", p.status, p.body)
			}
			if cc := p.header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", cc)
			}
			c := card(t, p)
			for _, w := range tc.want {
				if !strings.Contains(c, w) {
					t.Fatalf("card lacks %q:\n%s", w, c)
				}
			}
			if !strings.Contains(c, tc.no) || !strings.Contains(c, tc.holder) {
				t.Fatalf("card lacks the credential's details:\n%s", c)
			}
			p.mustHave(t, `action="/verify/receipt"`, "<h1>Qualification check result</h1>")
			noInlineCode(t, p)
		})
	}
	// In Chinese too.
	zh := e.browser()
	c := card(t, zh.post("/verify", url.Values{"certificate_no": {revokedNo}, "name": {revokedName}}))
	for _, w := range []string{`<span class="result-tag">已撤销</span>`, "证书已被撤销", "是否符合从教条件", "2026年6月1日 12:00（北京时间）"} {
		if !strings.Contains(c, w) {
			t.Fatalf("Chinese card lacks %q:\n%s", w, c)
		}
	}
	c = card(t, zh.post("/verify", url.Values{"certificate_no": {bannedNo}, "name": {bannedName}}))
	for _, w := range []string{"禁止从业", "终身（无结束日期）", "教育行业", "2026年5月1日"} {
		if !strings.Contains(c, w) {
			t.Fatalf("Chinese banned card lacks %q:\n%s", w, c)
		}
	}
}

// A miss reads the same whatever missed: an unknown number, or a known
// number with another name.
func TestVerifyPageNoMatchRevealsNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.registerStates()
	for _, lang := range []string{"", "en"} {
		b := e.browser()
		b.lang = lang
		unknown := b.post("/verify", url.Values{"certificate_no": {"20191100999999999"}, "name": {holder}})
		wrongName := b.post("/verify", url.Values{"certificate_no": {certNo}, "name": {"李四"}})
		wrongOfRevoked := b.post("/verify", url.Values{"certificate_no": {revokedNo}, "name": {holder}})
		first := card(t, unknown)
		for _, p := range []*page{unknown, wrongName, wrongOfRevoked} {
			if p.status != 200 {
				t.Fatalf("miss: %d", p.status)
			}
			if c := card(t, p); c != first {
				t.Fatalf("misses differ:\n%s\n---\n%s", first, c)
			}
			receiptOf(t, p) // a miss has its receipt too
		}
		if !strings.Contains(first, "result-nomatch") || strings.Contains(first, certNo) || strings.Contains(first, "verify.") {
			t.Fatalf("miss card:\n%s", first)
		}
	}
	b := e.browser()
	b.lang = "en"
	b.post("/verify", url.Values{"certificate_no": {"20191100999999999"}, "name": {holder}}).
		mustHave(t, "No record matches this certificate number and name", "does not say whether the number or the name did not match")
}

func TestVerifyPageValidationErrors(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.registerStates()
	auditor := e.addUser("aud", "auditor")
	before := e.auditCount(auditor)
	b := e.browser()
	b.lang = "en"
	for _, tc := range []struct {
		name     string
		form     url.Values
		fields   []string
		messages []string
	}{
		{"both empty", url.Values{"certificate_no": {""}, "name": {" "}}, []string{"certificate_no", "name"},
			[]string{"Enter the certificate number", "Enter the holder&#39;s name"}},
		{"no name", url.Values{"certificate_no": {certNo}}, []string{"name"}, []string{"Enter the holder&#39;s name"}},
		{"symbols", url.Values{"certificate_no": {"2019*1100"}, "name": {holder}}, []string{"certificate_no"},
			[]string{"The certificate number must be 4 to 40 digits or letters"}},
		{"over-long number", url.Values{"certificate_no": {strings.Repeat("1", 41)}, "name": {holder}}, []string{"certificate_no"},
			[]string{"The certificate number must be 4 to 40 digits or letters"}},
		{"over-long name", url.Values{"certificate_no": {certNo}, "name": {strings.Repeat("张", 65)}}, []string{"name"},
			[]string{"The name must be at most 64 characters"}},
		{"control character", url.Values{"certificate_no": {certNo}, "name": {"张\a伟华"}}, []string{"name"},
			[]string{"must not contain control characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/verify", tc.form)
			if p.status != 400 {
				t.Fatalf("status %d, want 400\n%s", p.status, p.body)
			}
			p.mustHave(t, `class="error-summary"`, "There is a problem")
			for _, f := range tc.fields {
				p.mustHave(t, `<a href="#`+f+`">`, `id="`+f+`-error"`, f+`-hint `+f+`-error`, `class="field field-error"`)
			}
			p.mustHave(t, tc.messages...)
			if resultCard.MatchString(p.body) || receiptField.MatchString(p.body) {
				t.Fatal("a refused check shows a result or a receipt")
			}
			// The entered values are kept.
			if v := tc.form.Get("certificate_no"); v != "" {
				p.mustHave(t, `value="`+html.EscapeString(v)+`"`)
			}
		})
	}
	// In Chinese, with the page's own words.
	zh := e.browser()
	zh.post("/verify", url.Values{"certificate_no": {""}, "name": {""}}).mustHave(t, "请更正以下问题", "请输入证书编号", "请输入持证人姓名")
	if after := e.auditCount(auditor); after != before {
		t.Fatalf("refused checks recorded audit events: %d -> %d", before, after)
	}
	_ = tm
}

func TestVerifyPageRateLimit(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_VERIFY": "2/m"})
	e.registerCredential(e.addUser("reg", "registrar"), nil)
	b := e.browser()
	b.lang = "en"
	form := url.Values{"certificate_no": {certNo}, "name": {holder}}
	for i := 0; i < 2; i++ {
		if p := b.post("/verify", form); p.status != 200 {
			t.Fatalf("check %d: %d", i, p.status)
		}
	}
	p := b.post("/verify", form)
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("third check: %d, want 429", p.status)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("429 Content-Type %q, want an HTML page", ct)
	}
	if p.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	p.mustHave(t, "Too many requests", "Try again in "+p.header.Get("Retry-After")+" seconds.")
	if resultCard.MatchString(p.body) {
		t.Fatal("a limited check shows a result")
	}
}

// forge replaces a receipt's payload with claims changed by change, keeping
// its header and signature.
func forge(t *testing.T, receipt string, change func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(receipt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	change(claims)
	out, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(out)
	return strings.Join(parts, ".")
}

func TestReceiptPage(t *testing.T) {
	e := newEnv(t, nil)
	e.registerStates()
	b := e.browser()
	b.lang = "en"
	receipt := receiptOf(t, b.post("/verify", url.Values{"certificate_no": {certNo}, "name": {holder}}))
	p := b.post("/verify/receipt", url.Values{"receipt": {receipt}})
	if p.status != 200 {
		t.Fatalf("receipt page: %d\n%s", p.status, p.body)
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", cc)
	}
	checkURL := "http://portal.test/receipts/check?receipt=" + receipt
	p.mustHave(t, "<h1>Qualification check receipt</h1>",
		`<svg xmlns="http://www.w3.org/2000/svg" class="qr"`, `aria-label="QR code: check this receipt on the portal"`,
		`<pre class="receipt-text"><code>`+receipt+`</code></pre>`, `<code>`+checkURL+`</code>`,
		`<button type="button" class="button no-print" data-print hidden>`, "Ctrl&#43;P",
		certNo, holder, "Active", "1 June 2026 12:00 Beijing time", "Senior secondary teacher", "/.well-known/jwks.json")
	noInlineCode(t, p)
	if p.has("The answer has changed since this receipt was issued") {
		t.Fatal("a fresh receipt reads as changed")
	}
	// In Chinese.
	zh := e.browser()
	zh.post("/verify/receipt", url.Values{"receipt": {receipt}}).mustHave(t, "<h1>教师资格核验回执</h1>", "打印回执", "核验时间")

	// A receipt whose claims were changed is refused, and nothing it
	// claims is shown.
	forged := forge(t, receipt, func(c map[string]any) { c["name"] = "冒名者" })
	bad := b.post("/verify/receipt", url.Values{"receipt": {forged}})
	if bad.status != 400 {
		t.Fatalf("forged receipt: %d, want 400", bad.status)
	}
	bad.mustHave(t, "This receipt cannot be shown", "This receipt has been altered")
	if bad.has("冒名者") || bad.has(`class="qr"`) || bad.has(forged) {
		t.Fatal("the page shows what a forged receipt claims")
	}
	for _, junk := range []string{"not a receipt", strings.Repeat("x", 9000)} {
		if p := b.post("/verify/receipt", url.Values{"receipt": {junk}}); p.status != 400 || !p.has("This cannot be read as a receipt") {
			t.Fatalf("junk receipt: %d\n%s", p.status, p.body)
		}
	}
	// No receipt, or the address fetched: back to the form, or on to the check.
	if p := b.post("/verify/receipt", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/verify" {
		t.Fatalf("empty receipt: %d %s", p.status, p.header.Get("Location"))
	}
	if p := b.get("/verify/receipt?receipt=" + receipt); p.status != http.StatusSeeOther || p.header.Get("Location") != "/receipts/check?receipt="+receipt {
		t.Fatalf("GET receipt: %d %s", p.status, p.header.Get("Location"))
	}
}

func TestReceiptCheckPage(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.registerStates()
	b := e.browser()
	b.lang = "en"

	p := b.get("/receipts/check")
	if p.status != 200 {
		t.Fatalf("form: %d", p.status)
	}
	p.mustHave(t, "<h1>Check a receipt</h1>", `<label for="receipt">Receipt</label>`, `aria-describedby="receipt-hint"`, `<textarea id="receipt"`)
	noInlineCode(t, p)

	receipt := receiptOf(t, b.post("/verify", url.Values{"certificate_no": {certNo}, "name": {holder}}))

	// Where the QR code leads: checked at once.
	p = b.get("/receipts/check?receipt=" + receipt)
	if p.status != 200 {
		t.Fatalf("check: %d\n%s", p.status, p.body)
	}
	p.mustHave(t, "This receipt is genuine", "The answer has not changed", "What the receipt records", "The answer now",
		certNo, "Teaching qualification (certificate number and name)", "result-eligible")
	if p.has("has changed since") {
		t.Fatal("an unchanged receipt reads as changed")
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	noInlineCode(t, p)

	// Pasted, broken across lines, or as the whole address.
	mid := len(receipt) / 2
	for _, pasted := range []string{receipt, "  " + receipt[:mid] + "\r\n" + receipt[mid:] + "\n", "http://portal.test/receipts/check?receipt=" + receipt} {
		if p := b.post("/receipts/check", url.Values{"receipt": {pasted}}); p.status != 200 || !p.has("This receipt is genuine") {
			t.Fatalf("pasted %q: %d\n%s", pasted, p.status, p.body)
		}
	}

	// Tampered, foreign or not a receipt: a calm explanation, never a 500.
	forged := forge(t, receipt, func(c map[string]any) { c["certificate_no"] = revokedNo })
	for _, tc := range []struct{ receipt, reason string }{
		{forged, "This receipt has been altered"},
		{"hello", "This cannot be read as a receipt"},
		{receipt[:len(receipt)-3], "This receipt has been altered"},
	} {
		p := b.post("/receipts/check", url.Values{"receipt": {tc.receipt}})
		if p.status != 200 {
			t.Fatalf("%q: %d", tc.reason, p.status)
		}
		p.mustHave(t, "This receipt is not valid", tc.reason, "Do not rely on this receipt")
		if p.has("This receipt is genuine") || p.has("What the receipt records") {
			t.Fatalf("an invalid receipt shows claims:\n%s", p.body)
		}
	}
	// The reason in Chinese.
	zh := e.browser()
	zh.post("/receipts/check", url.Values{"receipt": {forged}}).mustHave(t, "回执无效", "这份回执已被改动")
	zh.get("/receipts/check?receipt="+receipt).mustHave(t, "回执真实有效", "结果没有变化")

	// Nothing pasted: the form again with its error.
	p = b.post("/receipts/check", url.Values{"receipt": {"  "}})
	if p.status != 400 {
		t.Fatalf("empty: %d", p.status)
	}
	p.mustHave(t, `<a href="#receipt">Paste a receipt</a>`, `id="receipt-error"`, "receipt-hint receipt-error")

	// After a revocation the receipt still holds, and says the answer changed.
	e.mustApply(tm, map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "严重违反师德，依法撤销"})
	p = b.get("/receipts/check?receipt=" + receipt)
	p.mustHave(t, "This receipt is genuine", "Note: the answer has changed since the receipt was issued", "result-revoked", "result-tag-eligible")
	if p.has("The answer has not changed") {
		t.Fatal("a changed answer reads as unchanged")
	}
	// And the printable receipt says so too.
	b.post("/verify/receipt", url.Values{"receipt": {receipt}}).mustHave(t, "The answer has changed since this receipt was issued")
}

func TestReceiptCheckRateLimit(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_VERIFY": "1/m"})
	b := e.browser()
	// The empty form is not a check: it does not count.
	for i := 0; i < 3; i++ {
		if p := b.get("/receipts/check"); p.status != 200 {
			t.Fatalf("form %d: %d", i, p.status)
		}
	}
	if p := b.get("/receipts/check?receipt=abc"); p.status != 200 {
		t.Fatalf("first check: %d", p.status)
	}
	if p := b.get("/receipts/check?receipt=abc"); p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("second check: %d, want 429 with Retry-After", p.status)
	}
}

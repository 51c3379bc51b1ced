package handlers_test

import (
	"strings"
	"testing"
)

// The about pages: what is published, for how long (the periods this
// portal is configured with), corrections, and how to check receipts and
// audit checkpoints independently, in both languages.

func TestAboutPage(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_DISCLOSURE_PERIODS": "warning=9"})
	b := e.browser()
	b.lang = "en"
	p := b.get("/about")
	if p.status != 200 {
		t.Fatalf("/about: %d", p.status)
	}
	p.mustHave(t, "<h1>About this portal</h1>", "What is published, and why", "Ten Guidelines", "Care for and protect students",
		"masked form", "For how long", `<th scope="row">Warning</th><td>9 months</td>`, `<th scope="row">Dismissal</th><td>36 months</td>`,
		"no end for a permanent ban", "How to appeal or ask for a correction", "no online form", "Every case page names that authority",
		"approved by another", `href="/feed.atom"`, `href="/api/v1/openapi.yaml"`, `href="/about/method"`)
	if strings.Count(p.body, "<h1>") != 1 {
		t.Fatal("the page has more than one h1")
	}
	noInlineCode(t, p)

	zh := e.browser()
	p = zh.get("/about")
	p.mustHave(t, `<html lang="zh-CN">`, "<h1>关于本平台</h1>", "公开什么，为什么公开", "关心爱护学生", `<th scope="row">警告</th><td>9 个月</td>`,
		"如何申诉或申请更正", "没有在线申诉或更正表单")
}

// Without four eyes the page does not claim a second person approves.
func TestAboutPageSaysWhoApproves(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_FOUR_EYES": "false"})
	b := e.browser()
	b.lang = "en"
	p := b.get("/about")
	p.mustHave(t, "let one person both propose and approve")
	if p.has("approved by another") {
		t.Fatal("the page claims a second approver the portal does not require")
	}
}

func TestAboutMethodPage(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	b.lang = "en"
	p := b.get("/about/method")
	if p.status != 200 {
		t.Fatalf("/about/method: %d", p.status)
	}
	p.mustHave(t, "<h1>How to verify receipts and audit checkpoints</h1>", "compact JWS", "EdDSA", `href="/.well-known/jwks.json"`,
		"<code>checked_at</code>", "<code>jti</code>", "null when nothing matched",
		"curl -s http://portal.test/.well-known/jwks.json", "curl -s http://portal.test/api/v1/audit/checkpoint/key &gt; audit-key.txt",
		"golang.org/x/mod/sumdb/note", "ethicsportal audit verify --checkpoint", `href="/api/v1/audit/checkpoint"`,
		`href="/receipts/check"`, `href="/api/v1/openapi.yaml"`)
	noInlineCode(t, p)
	zh := e.browser()
	zh.get("/about/method").mustHave(t, "<h1>如何验证回执和审计检查点</h1>", "离线验证", "保存检查点")
}

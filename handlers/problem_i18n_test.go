package handlers_test

import (
	"net/url"
	"strings"
	"testing"
)

// An API problem speaks Chinese when Accept-Language prefers it: title and
// detail only, with code, type, status and field as in English, and the
// English answer byte for byte what it was.
func TestProblemLanguageOfTheAPI(t *testing.T) {
	e := newEnv(t, map[string]string{"PORTAL_RATE_LOGIN": "5/m"})
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		code, field  string
		enTitle, en  string
		zhTitle, zh  string
	}{
		{"an unknown district", "GET", "/api/v1/cases?district=" + url.QueryEscape("北京区"), nil, 400, "invalid_field", "district",
			"Bad Request", "district must be one of the sixteen districts of Beijing (see /api/v1/taxonomy)",
			"请求有误", "district 须是北京市十六个区之一（见 /api/v1/taxonomy）"},
		{"a missing field", "POST", "/api/v1/verifications", map[string]string{"name": "王芳"}, 400, "missing_field", "certificate_no",
			"Bad Request", "a certificate number is required",
			"请求有误", "证书编号为必填项"},
		{"no such case", "GET", "/api/v1/cases/no-such-case", nil, 404, "not_found", "",
			"Not Found", "there is no published case with this id",
			"未找到", "没有这个编号的已公布案例"},
		{"no such address", "GET", "/api/v1/no-such-thing", nil, 404, "not_found", "",
			"Not Found", "there is nothing at this address",
			"未找到", "此地址没有内容"},
		{"a failed login", "POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "wrong wrong wrong"}, 401, "unauthorized", "",
			"Unauthorized", "the username, password or code is not correct",
			"需要登录", "用户名、密码或验证码不正确"},
		{"a body cut short", "POST", "/api/v1/verifications", `{"certificate_no": "2019`, 400, "invalid_json", "",
			"Bad Request", "the request body ends in the middle of a JSON value",
			"请求有误", "请求体在一个 JSON 值的中间结束了"},
		{"a value too long", "GET", "/api/v1/cases?q=" + url.QueryEscape(strings.Repeat("体", 201)), nil, 400, "invalid_field", "q",
			"Bad Request", "the query is 201 characters long; at most 200 are searched",
			"请求有误", "查询有 201 个字符；最多只搜索 200 个"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []struct {
				header, contentLang, title, detail string
			}{
				{"", "en", tc.enTitle, tc.en},
				{"en-GB,en;q=0.9", "en", tc.enTitle, tc.en},
				{"fr, en;q=0.2, zh;q=0.1", "en", tc.enTitle, tc.en},
				{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", tc.zhTitle, tc.zh},
				{"en;q=0.5, zh", "zh-CN", tc.zhTitle, tc.zh},
			} {
				var headers []string
				if lang.header != "" {
					headers = []string{"Accept-Language", lang.header}
				}
				r := e.do(tc.method, tc.path, tc.body, headers...)
				wantProblem(t, r, tc.status, tc.code)
				if r.str("field") != tc.field || r.str("type") != "urn:ethicsportal:problem:"+tc.code {
					t.Errorf("%q: field %q type %q, want %q and the code's type", lang.header, r.str("field"), r.str("type"), tc.field)
				}
				if r.str("title") != lang.title || r.str("detail") != lang.detail {
					t.Errorf("%q: title %q detail %q, want %q %q", lang.header, r.str("title"), r.str("detail"), lang.title, lang.detail)
				}
				if got := r.header.Get("Content-Language"); got != lang.contentLang {
					t.Errorf("%q: Content-Language %q, want %q", lang.header, got, lang.contentLang)
				}
				if !strings.Contains(r.header.Get("Vary"), "Accept-Language") {
					t.Errorf("%q: Vary %q lacks Accept-Language", lang.header, r.header.Get("Vary"))
				}
			}
		})
	}
	// The login limit (5 a minute) is spent by the failed logins above.
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "x"}, "Accept-Language", "zh-CN")
	wantProblem(t, r, 429, "rate_limited")
	retry := r.header.Get("Retry-After")
	if retry == "" || r.str("title") != "请求过于频繁" || r.str("detail") != "请求过于频繁；请在 "+retry+" 秒后重试" {
		t.Errorf("429 in Chinese: Retry-After %q, %s", retry, r.body)
	}
	r = e.do("POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "x"})
	wantProblem(t, r, 429, "rate_limited")
	if retry := r.header.Get("Retry-After"); r.str("title") != "Too Many Requests" || r.str("detail") != "too many requests; try again in "+retry+" seconds" {
		t.Errorf("429 in English: Retry-After %q, %s", retry, r.body)
	}
}

// A body over the server's limit is refused before any route runs, in the
// language asked for.
func TestProblemLanguageOfABodyTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	base := e.listen()
	r := headersOnly(t, base, "POST", "/api/v1/verifications", 2<<20, "Accept-Language", "zh-CN")
	wantProblem(t, r, 413, "body_too_large")
	if r.str("title") != "请求体过大" || r.str("detail") != "请求体超过了服务器所能接受的大小" || r.header.Get("Content-Language") != "zh-CN" {
		t.Errorf("413 in Chinese: %v %s", r.header, r.body)
	}
	r = headersOnly(t, base, "POST", "/api/v1/verifications", 2<<20)
	wantProblem(t, r, 413, "body_too_large")
	if r.str("title") != "Request Entity Too Large" || r.str("detail") != "the request body is larger than this server accepts" || r.header.Get("Content-Language") != "en" {
		t.Errorf("413 in English: %v %s", r.header, r.body)
	}
}

// The HTML error page gives the detail in the page's language: Chinese by
// default, English when asked.
func TestProblemLanguageOfTheErrorPage(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	p := b.get("/no-such-page")
	if p.status != 404 {
		t.Fatalf("status %d", p.status)
	}
	p.mustHave(t, "此地址没有内容")
	if p.has("there is nothing at this address") {
		t.Errorf("the Chinese page holds the English detail:\n%s", p.body)
	}
	p = b.get("/no-such-page?lang=en")
	p.mustHave(t, "there is nothing at this address")
}

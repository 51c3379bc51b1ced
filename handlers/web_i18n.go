package handlers

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The pages speak Simplified Chinese unless the visitor asks for English:
// by ?lang=en (remembered in a cookie), by that cookie, or by an
// Accept-Language that prefers English to Chinese.
const (
	langZH         = "zh"
	langEN         = "en"
	langCookieName = "lang"
	langCookieTTL  = 365 * 24 * time.Hour
)

// catalog holds every UI string in both languages, keyed by a dotted name
// ("nav.search"). The files under i18n/ each hold one part of the site, as
// {"key": {"zh": "…", "en": "…"}}; a key may be defined in one file only.
type catalog struct {
	text_ map[string][2]string // key -> [zh, en]
}

func loadCatalog(web fs.FS) (*catalog, error) {
	files, err := fs.Glob(web, "i18n/*.json")
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c := &catalog{text_: map[string][2]string{}}
	from := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(web, f)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		var entries map[string]struct {
			ZH string `json:"zh"`
			EN string `json:"en"`
		}
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", path.Base(f), err)
		}
		for k, e := range entries {
			if prev, ok := from[k]; ok {
				return nil, fmt.Errorf("catalog: %q is in both %s and %s", k, prev, path.Base(f))
			}
			if e.ZH == "" || e.EN == "" {
				return nil, fmt.Errorf("catalog: %s: %q lacks a language", path.Base(f), k)
			}
			from[k] = path.Base(f)
			c.text_[k] = [2]string{e.ZH, e.EN}
		}
	}
	return c, nil
}

// text is key in lang, formatted with args when given.
func (c *catalog) text(lang, key string, args ...any) string {
	e, ok := c.text_[key]
	if !ok {
		return key
	}
	s := e[0]
	if lang == langEN {
		s = e[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// has reports whether the catalogue defines key.
func (c *catalog) has(key string) bool { _, ok := c.text_[key]; return ok }

// pageLang decides a page's language and remembers an explicit choice.
func pageLang(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	lang := ""
	switch q := c.Query("lang"); q {
	case langZH, langEN:
		lang = langEN // the constants, not q: Fiber may reuse q's bytes after the handler
		if q == langZH {
			lang = langZH
		}
		c.Cookie(&fiber.Cookie{Name: langCookieName, Value: q, Path: "/", MaxAge: int(langCookieTTL / time.Second),
			HTTPOnly: true, Secure: secureCookies(c), SameSite: fiber.CookieSameSiteLaxMode})
	default:
		switch ck := c.Cookies(langCookieName); ck {
		case langZH:
			lang = langZH
		case langEN:
			lang = langEN
		default:
			lang = acceptLanguage(c.Get(fiber.HeaderAcceptLanguage), langZH)
		}
	}
	c.Locals(localLang, lang)
	return lang
}

// localLang caches the page's language for the rest of the request.
const localLang = "lang"

// acceptLanguage is the first of zh and en in the visitor's order of
// preference (RFC 9110 §12.5.4: the highest q wins, earlier on ties), or
// def when the header names neither.
func acceptLanguage(header, def string) string {
	best, bestQ := def, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			v, err := strconv.ParseFloat(strings.TrimPrefix(p, "q="), 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			q = v
		}
		var lang string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			lang = langZH
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = langEN
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = lang, q
		}
	}
	return best
}

// htmlLang is the lang attribute for a page language.
func htmlLang(lang string) string {
	if lang == langEN {
		return "en"
	}
	return "zh-CN"
}

// otherLangURL is the current page in the other language: its path and
// query with lang set.
func otherLangURL(c *fiber.Ctx, lang string) string {
	other := langEN
	if lang == langEN {
		other = langZH
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		q = url.Values{}
	}
	q.Set("lang", other)
	// One leading slash: a path such as //evil.example/x must not become a
	// link to another host on this site's own 404 page.
	return "/" + strings.TrimLeft(c.Path(), "/\\") + "?" + q.Encode()
}

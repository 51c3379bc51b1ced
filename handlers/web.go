package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/static"
	"ethicsportal/store"
)

// The web pages: html/template files from static/web/templates, rendered
// inside one layout, with the UI's strings from static/web/i18n. Every page
// works without JavaScript; the scripts under /static/js only improve it.
// The Content-Security-Policy (middleware.go) allows no inline script or
// style, so templates carry neither: no style attributes, no on* handlers.

// localPage marks a request answered by a page route: its errors become
// HTML pages, whatever the Accept header says.
const localPage = "page"

// site is the parsed page templates, the asset fingerprints and the
// message catalogue, built once by newSite.
type site struct {
	pages   map[string]*template.Template // by page name: "home" for templates/home.html
	assets  map[string]string             // asset path -> its URL with a content fingerprint
	catalog *catalog
}

// newSite parses every page under templates/ together with the shared
// templates under templates/shared/ (the layout and partials).
func newSite() (*site, error) {
	web, err := fs.Sub(static.Web, "web")
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	cat, err := loadCatalog(web)
	if err != nil {
		return nil, err
	}
	s := &site{pages: map[string]*template.Template{}, assets: map[string]string{}, catalog: cat}
	if err := s.fingerprint(web); err != nil {
		return nil, err
	}
	base := template.New("").Funcs(s.funcs())
	if base, err = base.ParseFS(web, "templates/shared/*.html"); err != nil {
		return nil, fmt.Errorf("site: shared templates: %w", err)
	}
	files, err := fs.Glob(web, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("site: %s: %w", name, err)
		}
		if t, err = t.ParseFS(web, f); err != nil {
			return nil, fmt.Errorf("site: %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

// fingerprint gives every asset a URL that changes with its content, so
// that it can be cached for a year and still never be stale.
func (s *site) fingerprint(web fs.FS) error {
	return fs.WalkDir(web, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel := strings.TrimPrefix(p, "assets/")
		s.assets[rel] = "/static/" + rel + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
}

func (s *site) funcs() template.FuncMap {
	return template.FuncMap{
		// asset is the fingerprinted URL of a file under assets/.
		"asset": func(p string) (string, error) {
			if u, ok := s.assets[p]; ok {
				return u, nil
			}
			return "", fmt.Errorf("no asset %q", p)
		},
		// seq is 1..n, for paging links and the like.
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to; i++ {
				out = append(out, i)
			}
			return out
		},
		"add": func(a, b int) int { return a + b },
		"sub": func(a, b int) int { return a - b },
		// marked trusts text that the search backends have already made
		// safe: everything HTML-escaped except <mark> and </mark> (API.md).
		"marked": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // escaped by the index; see search.Highlight
		"join":   strings.Join,
		// summary is the argument of the "error-summary" template.
		"summary": func(v *view, errs []fieldError) errorSummary { return errorSummary{View: v, Errors: errs} },
	}
}

// fieldError is one form field's problem, for the error summary at the top
// of a form and the message beside the field. Field is the input's id.
type fieldError struct {
	Field, Message string
}

type errorSummary struct {
	View   *view
	Errors []fieldError
}

// fieldErrors turns an error of the app into a form's errors, in lang:
// nil for an error that is no fault of the input (the caller returns it).
// fieldIDs maps the app's field names to the form's input ids where they
// differ.
func (s *Server) fieldErrors(lang string, err error, fieldIDs map[string]string) []fieldError {
	var e *store.Error
	if !errors.As(err, &e) {
		return nil
	}
	status := statusOf[e.Code]
	if status != fiber.StatusBadRequest && status != fiber.StatusUnprocessableEntity && status != fiber.StatusConflict {
		return nil
	}
	id := e.Field
	if mapped, ok := fieldIDs[e.Field]; ok {
		id = mapped
	}
	msg := s.problemDetail(lang, Problem{Code: e.Code, Field: e.Field, Detail: e.Message, Status: status})
	if msg == "" {
		msg = s.site.catalog.text(lang, "form.invalid")
	}
	if lang == langZH && s.site.catalog.has("field."+e.Field) {
		// The Chinese problem texts name the field as the API spells it
		// (district); a form names it by its label (区).
		msg = nameField(msg, e.Field, "“"+s.site.catalog.text(lang, "field."+e.Field)+"”")
	}
	return []fieldError{{Field: id, Message: msg}}
}

// nameField replaces the first whole-word use of field in msg with label,
// taking a space after it along.
func nameField(msg, field, label string) string {
	for i := 0; ; {
		j := strings.Index(msg[i:], field)
		if j < 0 {
			return msg
		}
		j += i
		end := j + len(field)
		before := j == 0 || !isWordByte(msg[j-1])
		after := end == len(msg) || !isWordByte(msg[end])
		if before && after {
			if end < len(msg) && msg[end] == ' ' {
				end++
			}
			return msg[:j] + label + msg[end:]
		}
		i = end
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b == '.' || b == '[' || b == ']' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

// view is what every template receives as its root: the page's own data
// in Data, and what the layout needs around it.
type view struct {
	Lang      string // "zh" or "en"
	Title     string // the page's own title, already translated
	Path      string // the request's path, for the navigation's current item
	OtherLang string // the URL of this page in the other language
	CSRF      string // the form token; empty for public pages
	User      *app.Principal
	Console   bool // the admin console's layout
	Status    int
	Data      any

	cat *catalog
}

// T is the UI string key in the page's language, formatted with args when
// it has verbs. A key the catalogue lacks shows as itself (tests catch
// those before they ship).
func (v *view) T(key string, args ...any) string { return v.cat.text(v.Lang, key, args...) }

// ZH marks an element holding the portal's Chinese content (a case's
// text, a name) when the page around it is English, so that a screen
// reader speaks it in Chinese and the right glyphs are chosen.
func (v *view) ZH() template.HTMLAttr {
	if v.Lang == langEN {
		return ` lang="zh-CN"`
	}
	return ""
}

// EN marks an element of the page's own English inside content marked
// with ZH.
func (v *view) EN() template.HTMLAttr {
	if v.Lang == langEN {
		return ` lang="en"`
	}
	return ""
}

// TDate is a date in the page's language: 2026年3月5日 or 5 March 2026.
func (v *view) TDate(d any) string {
	var t time.Time
	switch d := d.(type) {
	case time.Time:
		t = d
	case *time.Time:
		if d == nil {
			return ""
		}
		t = *d
	case string:
		var err error
		if t, err = time.Parse(time.DateOnly, d); err != nil {
			if t, err = time.Parse(time.RFC3339, d); err != nil {
				return d
			}
		}
	default:
		return fmt.Sprint(d)
	}
	if v.Lang == langEN {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// TTime is a time in Beijing time (UTC+8, which keeps no daylight
// saving), to the minute, in the page's language: the portal serves
// Beijing, and a check made at 01:00 there is dated that day, not the
// day before as UTC would have it.
func (v *view) TTime(t time.Time) string {
	t = t.In(beijing)
	if v.Lang == langEN {
		return t.Format("2 January 2006 15:04") + " Beijing time"
	}
	return fmt.Sprintf("%d年%d月%d日 %s（北京时间）", t.Year(), t.Month(), t.Day(), t.Format("15:04"))
}

// beijing is China Standard Time, fixed: China has kept UTC+8 all year
// since 1991, so no time zone database is needed.
var beijing = time.FixedZone("CST", 8*60*60)

// Query is the request's query with key set to value (or removed when
// value is empty) and page reset, for filter and paging links: q is the
// current query as url.Values.
func (v *view) Query(q url.Values, key, value string) string {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	if key != "page" {
		out.Del("page")
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return "?" + out.Encode()
}

// render writes the named page with status. data becomes the view's Data;
// title is a catalogue key.
func (s *Server) render(c *fiber.Ctx, status int, name, titleKey string, data any) error {
	v := s.newView(c, titleKey, data)
	v.Status = status
	return s.renderView(c, status, name, v)
}

func (s *Server) newView(c *fiber.Ctx, titleKey string, data any) *view {
	lang := pageLang(c)
	v := &view{Lang: lang, Path: utilsCopy(c.Path()), Data: data, cat: s.site.catalog}
	if titleKey != "" {
		v.Title = v.T(titleKey)
	}
	v.OtherLang = otherLangURL(c, lang)
	if p := principal(c); p != nil {
		v.User = p
		v.CSRF = s.csrfToken(c, p)
	}
	v.Console = strings.HasPrefix(v.Path, "/admin")
	if v.Console && v.CSRF == "" {
		v.CSRF = s.preSessionCSRF(c)
	}
	return v
}

var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) renderView(c *fiber.Ctx, status int, name string, v *view) error {
	t, ok := s.site.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer renderBuffers.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentLanguage, htmlLang(v.Lang))
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	if c.GetRespHeader(fiber.HeaderCacheControl) == "" {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(append([]byte(nil), buf.Bytes()...)) // the buffer goes back to the pool
}

// page marks the routes after it as pages: their errors are HTML.
func page(c *fiber.Ctx) error {
	c.Locals(localPage, true)
	return c.Next()
}

// utilsCopy copies a string that Fiber may reuse after the handler.
func utilsCopy(s string) string { return strings.Clone(s) }

// safeNext is a local path to return to after signing in: only a path on
// this site under /admin, never another origin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/admin"
	}
	return next
}

// uiKey marks a catalogue key chosen in Go code (a status's label, say), so
// that the catalogue test finds it; it returns key unchanged.
func uiKey(key string) string { return key }

// termName is the taxonomy term id in lang, or id itself when the list
// does not hold it.
func termName(terms []store.Term, id, lang string) string {
	for _, t := range terms {
		if t.ID == id {
			if lang == langEN {
				return t.EN
			}
			return t.ZH
		}
	}
	return id
}

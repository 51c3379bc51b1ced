package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// searchMaxAge is how long browsers and shared caches may keep a search
// answer: short, so that a withdrawal leaves cached pages within moments.
const searchMaxAge = "public, max-age=15"

// searchCases answers GET /api/v1/cases. Parameters that take one value
// and were given several are refused; unknown parameters are ignored (the
// /cases page shares the address's parameters and adds its own, such as
// lang). The app validates the rest.
func (s *Server) searchCases(c *fiber.Ctx) error {
	p, err := searchParams(c)
	if err != nil {
		return err
	}
	ans, err := s.app.SearchCases(c.UserContext(), p)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, searchMaxAge)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(ans.JSON())
}

// searchParams reads the search parameters from the query string. Every
// value is copied: the request's buffers are reused after the handler.
func searchParams(c *fiber.Ctx) (app.SearchParams, error) {
	var p app.SearchParams
	bad := badlyEscaped(string(c.Context().URI().QueryString()))
	for _, f := range [...]struct { // in a fixed order: the same bad one is reported every time
		field string
		dst   *string
	}{{"q", &p.Q}, {"district", &p.District}, {"stage", &p.Stage}, {"from", &p.From}, {"to", &p.To},
		{"sort", &p.Sort}, {"page", &p.Page}, {"per_page", &p.PerPage}, {"category", nil}, {"sanction", nil}} {
		if bad[f.field] {
			return p, store.FieldError(store.EInvalid, f.field, "%s is not well percent-encoded (a %% must start %%XX, two hex digits)", f.field)
		}
		if f.dst == nil {
			continue // repeatable: read below
		}
		v, err := singleQuery(c, f.field)
		if err != nil {
			return p, err
		}
		*f.dst = v
	}
	args := c.Context().QueryArgs()
	for _, v := range args.PeekMulti("category") {
		p.Categories = append(p.Categories, string(v))
	}
	for _, v := range args.PeekMulti("sanction") {
		p.Sanctions = append(p.Sanctions, string(v))
	}
	return p, nil
}

// badlyEscaped returns the names of the parameters of the raw query string
// whose values have a bad percent escape (%zz, or a % near the end). The
// query parser keeps such a value as written, so q=%zz would search for
// the text "%zz" and quietly find nothing; the caller refuses it instead.
// A name that is itself badly escaped names no parameter and is skipped.
func badlyEscaped(raw string) map[string]bool {
	var bad map[string]bool
	for pair := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(pair, "=")
		if !strings.Contains(value, "%") {
			continue
		}
		if _, err := url.QueryUnescape(value); err == nil {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			if bad == nil {
				bad = map[string]bool{}
			}
			bad[n] = true
		}
	}
	return bad
}

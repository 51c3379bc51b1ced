package handlers_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"ethicsportal/docs"
)

// contract holds the answers of portals under test to docs/openapi.yaml:
// every request an env it watches sends is routed with the document's own
// router and its answer validated (status, described headers, content type
// and body) by kin-openapi, so the document cannot say one thing while the
// code does another. What the document lists but no scenario reached is
// reported at the end, so it cannot grow out of the test's sight either.
type contract struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router

	mu       sync.Mutex
	seen     map[string]map[int]int // "METHOD /path" of the document -> status -> answers
	webhooks int                    // webhook deliveries checked
}

func newContract(t *testing.T) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("kin-openapi cannot load docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	// The requests under test carry no real host: route on paths alone.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, doc: doc, router: router, seen: map[string]map[int]int{}}
}

// newEnv is newEnv whose every answer is checked against the document.
func (c *contract) newEnv(vars map[string]string) *env {
	c.t.Helper()
	e := newEnv(c.t, vars)
	e.observe = c.check
	return e
}

// check validates one exchange. A request the portal accepted (2xx) must
// also be one the document allows: the document may not be stricter than
// the code about what it takes.
func (c *contract) check(req *http.Request, body []byte, r *response) {
	c.t.Helper()
	where := fmt.Sprintf("%s %s -> %d", req.Method, req.URL.RequestURI(), r.status)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s: the document has no such operation: %v", where, err)
		return
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if r.status >= 200 && r.status < 300 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.t.Errorf("%s: the portal accepted a request the document refuses: %.1500s\nrequest body: %.300s", where, err, body)
		}
	}
	// kin-openapi decodes no XML: an XML body is checked here to be well
	// formed, and kin-openapi checks the rest of the answer.
	xmlBody := strings.HasSuffix(mediaType(r.header), "+xml")
	if xmlBody {
		if err := wellFormedXML(r.body); err != nil {
			c.t.Errorf("%s: the XML answer is not well formed: %v", where, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: r.status, Header: r.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: xmlBody},
	}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s: the answer does not match the document: %.1500s\nbody: %.500s", where, err, r.body)
	}
	// ValidateResponse lets a body through where the document describes
	// none, and a status with no content: hold both to the document too.
	if resp := route.Operation.Responses.Status(r.status); resp != nil && resp.Value != nil {
		ct := r.header.Get("Content-Type")
		if len(resp.Value.Content) == 0 && len(r.body) > 0 {
			c.t.Errorf("%s: the document describes no body, the portal sends %q: %.100s", where, ct, r.body)
		}
		if len(resp.Value.Content) > 0 {
			mt, _, err := mime.ParseMediaType(ct)
			media := resp.Value.Content.Get(mt)
			if err != nil || media == nil {
				c.t.Errorf("%s: Content-Type %q is not one the document gives", where, ct)
			} else if r.json != nil && media.Schema != nil {
				if extra := undocumented(media.Schema.Value, r.json, ""); len(extra) > 0 {
					sort.Strings(extra)
					c.t.Errorf("%s: the answer has members the document does not describe: %s", where, strings.Join(extra, ", "))
				}
			}
		}
	}

	key := route.Method + " " + route.Path
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[key] == nil {
		c.seen[key] = map[int]int{}
	}
	c.seen[key][r.status]++
}

func mediaType(h http.Header) string {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt
}

// wellFormedXML reads every token of b.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// cover fails for every documented operation no scenario answered with
// success, except those in skip (operation -> why), and logs the documented
// statuses no scenario produced.
func (c *contract) cover(skip map[string]string) {
	c.t.Helper()
	var unseen []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			ok := false
			for status := range c.seen[key] {
				if status >= 200 && status < 300 {
					ok = true
				}
			}
			_, skipped := skip[key]
			switch {
			case !ok && !skipped:
				c.t.Errorf("%s: no scenario of this test reaches it with success; add one", key)
			case ok && skipped:
				c.t.Errorf("%s: listed as skipped (%s) but reached; remove it from the list", key, skip[key])
			}
			for status := range op.Responses.Map() {
				var n int
				if _, err := fmt.Sscan(status, &n); err == nil && c.seen[key][n] == 0 && !skipped {
					unseen = append(unseen, key+" "+status)
				}
			}
		}
	}
	if len(c.doc.Webhooks) > 0 && c.webhooks == 0 {
		c.t.Errorf("the document describes webhooks, and no scenario checked a delivery")
	}
	sort.Strings(unseen)
	c.t.Logf("documented answers no scenario produced (not validated here):\n  %s", strings.Join(unseen, "\n  "))
}

// undocumented returns the members of v, at any depth, that schema does not
// name. JSON Schema lets an object carry members its schema does not list,
// so kin-openapi passes them; a member the portal sends and the document
// does not describe is drift all the same. A schema that allows other
// members (additionalProperties) is taken at its word.
func undocumented(s *openapi3.Schema, v any, at string) []string {
	if s == nil {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		var out []string
		if !namesMembers(s) {
			return nil // an object of any members, such as a map
		}
		for k, x := range v {
			props, open := memberSchemas(s, k)
			if len(props) == 0 && !open {
				out = append(out, at+"/"+k)
				continue
			}
			for _, p := range props {
				out = append(out, undocumented(p, x, at+"/"+k)...)
			}
		}
		return out
	case []any:
		var out []string
		for i, x := range v {
			for _, it := range itemSchemas(s) {
				out = append(out, undocumented(it, x, fmt.Sprintf("%s/%d", at, i))...)
			}
		}
		return out
	}
	return nil
}

// memberSchemas returns the schemas that s and its allOf, anyOf and oneOf
// branches give the member name, and whether any of them lets members
// they do not name through.
func memberSchemas(s *openapi3.Schema, name string) (out []*openapi3.Schema, open bool) {
	if p := s.Properties[name]; p != nil && p.Value != nil {
		out = append(out, p.Value)
	}
	if ap := s.AdditionalProperties; (ap.Has != nil && *ap.Has) || ap.Schema != nil {
		open = true
	}
	for _, branches := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, b := range branches {
			if b.Value == nil {
				continue
			}
			sub, o := memberSchemas(b.Value, name)
			out, open = append(out, sub...), open || o
		}
	}
	return out, open
}

// namesMembers reports whether s or one of its branches lists members.
func namesMembers(s *openapi3.Schema) bool {
	if len(s.Properties) > 0 {
		return true
	}
	for _, branches := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, b := range branches {
			if b.Value != nil && namesMembers(b.Value) {
				return true
			}
		}
	}
	return false
}

// itemSchemas returns the schemas of an array's items that s and its
// branches give.
func itemSchemas(s *openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	if s.Items != nil && s.Items.Value != nil {
		out = append(out, s.Items.Value)
	}
	for _, branches := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, b := range branches {
			if b.Value != nil {
				out = append(out, itemSchemas(b.Value)...)
			}
		}
	}
	return out
}

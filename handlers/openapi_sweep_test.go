package handlers_test

import (
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// sweep sends every operation of the document the refusals any operation of
// its kind can meet, and lets the contract validate the answers: a query
// string that is not UTF-8 (400), no credentials (401), a token without the
// role (403), and, where the operation takes a body, one that is not JSON
// (415), malformed JSON (400) and one over the limit (413). The operations
// come from the document, so a new one is swept without a change here.
// urls gives each documented path with parameters a path to a real object;
// base is e's address from listen; key is a school client's API key with
// every scope.
func (c *contract) sweep(t *testing.T, e *env, base string, tm team, key string, urls map[string]string) {
	big := `{"x": "` + strings.Repeat("1", 1<<20) + `"}`
	// An auditor holds no role but auditor, an editor none but editor:
	// between them, every role-guarded operation refuses one of them.
	outsiders := [][]string{bearer(e.addUser("sweep-auditor", "auditor")), bearer(e.addUser("sweep-editor", "editor"))}
	// Likewise a key with the scope eligibility only, and one with watch only.
	outsiderKeys := [][]string{apiKey(e.newClient(tm.admin, "扫描一校", "eligibility").str("api_key")), apiKey(e.newClient(tm.admin, "扫描二校", "watch").str("api_key"))}

	paths := c.doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := c.doc.Paths.Value(path)
		url := path
		if strings.Contains(path, "{") {
			if url = urls[path]; url == "" {
				t.Fatalf("%s: the sweep has no object for its parameters; add one", path)
			}
		}
		methods := make([]string, 0, len(item.Operations()))
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, method := range methods {
			op := item.GetOperation(method)
			documents := func(status string) bool { return op.Responses.Value(status) != nil }
			schemes := securitySchemes(op)
			where := method + " " + path

			// Every route refuses a query string that is not UTF-8, so every
			// operation documents it.
			wantProblem(t, e.do(method, url+"?x=%FF", nil), 400, "invalid_utf8")
			if len(schemes) > 0 {
				wantProblem(t, e.do(method, url, nil), 401, "unauthorized")
			}
			if documents("403") && !anyRole[where] {
				others := outsiders
				if !slices.Contains(schemes, "bearerAuth") {
					others = outsiderKeys
				}
				forbidden := false
				for _, h := range others {
					r := e.do(method, url, nil, h...)
					forbidden = forbidden || r.status == 403
				}
				if !forbidden {
					t.Errorf("%s documents 403, yet none of %d outsiders is refused", where, len(others))
				}
			}
			if op.RequestBody == nil {
				continue
			}
			var auth []string
			switch {
			case slices.Contains(schemes, "bearerAuth"):
				auth = bearer(tm.admin)
			case slices.Contains(schemes, "apiKeyAuth"):
				auth = apiKey(key)
			}
			if documents("415") {
				wantProblem(t, e.do(method, url, "x", append(slices.Clone(auth), "Content-Type", "text/plain")...), 415, "unsupported_media_type")
			}
			if mediaTypes(op.RequestBody.Value).json {
				r := e.do(method, url, "{", auth...)
				if r.status != 400 || (r.str("code") != "invalid_json" && r.str("code") != "invalid_field") {
					t.Errorf("%s with a body of {: %d %s", where, r.status, r.body)
				}
			}
			if documents("413") && mediaTypes(op.RequestBody.Value).json {
				r := e.doNet(base, method, url, big, auth...)
				wantProblem(t, r, 413, "body_too_large")
				req := httptest.NewRequest(method, url, nil)
				for i := 0; i+1 < len(auth); i += 2 {
					req.Header.Set(auth[i], auth[i+1])
				}
				c.check(req, nil, r)
			}
		}
	}
}

// anyRole are the operations open to every role: their 403 (a user with
// no role) cannot be reached, as every user holds one.
var anyRole = map[string]bool{
	"GET /api/v1/admin/actions":      true,
	"GET /api/v1/admin/actions/{id}": true,
}

// securitySchemes names the schemes an operation accepts; none for a
// public one.
func securitySchemes(op *openapi3.Operation) []string {
	var out []string
	if op.Security == nil {
		return nil
	}
	for _, req := range *op.Security {
		for name := range req {
			out = append(out, name)
		}
	}
	return out
}

type bodyKinds struct{ json bool }

func mediaTypes(b *openapi3.RequestBody) bodyKinds {
	return bodyKinds{json: b != nil && b.Content.Get("application/json") != nil}
}

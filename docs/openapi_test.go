package docs

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The routing table and the error codes are read from the source, as text,
// rather than imported: handlers imports this package, so importing it back
// would be a cycle. Nothing about the routes is hard-coded here.
const (
	routesFile       = "../handlers/routes.go"
	storeErrorsFile  = "../store/error.go"
	problemCodesFile = "../handlers/problem.go"
)

// spec is the embedded document, parsed.
func spec(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml does not parse as YAML: %v", err)
	}
	if doc == nil {
		t.Fatal("docs/openapi.yaml is empty")
	}
	return doc
}

func mapAt(t *testing.T, v any, where string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: want a mapping, got %T", where, v)
	}
	return m
}

// resolve follows a local $ref ("#/components/...") to the object it names.
func resolve(t *testing.T, doc map[string]any, v any, where string) map[string]any {
	t.Helper()
	m := mapAt(t, v, where)
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, err := pointer(doc, ref)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		m = mapAt(t, target, ref)
	}
	t.Fatalf("%s: $ref chain too long", where)
	return nil
}

// pointer evaluates a local JSON pointer reference against doc.
func pointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside a mapping", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve (no %q)", ref, part)
		}
	}
	return cur, nil
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations returns the documented operations as "METHOD /path" keys.
func operations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	ops := map[string]map[string]any{}
	for path, item := range mapAt(t, doc["paths"], "paths") {
		for method, op := range mapAt(t, item, "paths."+path) {
			if slices.Contains(httpMethods, method) {
				ops[strings.ToUpper(method)+" "+path] = mapAt(t, op, method+" "+path)
			}
		}
	}
	return ops
}

// route is one registration in the routing table.
type route struct {
	method, path string
	line         int
	rateLimited  bool // a handler in its chain comes from rateLimit(...)
	// page is a route for people, not the API: the page middleware is in
	// its chain (or its group's), or it serves /static/. Pages are HTML
	// and are not described by the OpenAPI document.
	page bool
}

func (r route) key() string { return r.method + " " + r.path }

// fiberRouteMethods are the Fiber Router methods that register a route for
// one HTTP method. Add, All, Route, Mount and Static are not recognised and
// fail the test, so that a new way of registering cannot slip past it.
var fiberRouteMethods = map[string]string{
	"Get": "GET", "Head": "HEAD", "Post": "POST", "Put": "PUT", "Patch": "PATCH",
	"Delete": "DELETE", "Options": "OPTIONS", "Trace": "TRACE", "Connect": "CONNECT",
}

var unsupportedRouterMethods = []string{"Add", "All", "Route", "Mount", "Static"}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// parseRoutes reads the routes() function of handlers/routes.go and returns
// every route it registers, with the prefixes of the groups it goes through.
func parseRoutes(t *testing.T) []route {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, routesFile, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", routesFile, err)
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "routes" && d.Recv != nil {
			fn = d
		}
	}
	if fn == nil {
		t.Fatalf("%s: no method routes()", routesFile)
	}

	prefix := map[string]string{}   // router variable -> its path prefix
	limiters := map[string]bool{}   // variables holding a rateLimit(...) handler
	pageGroups := map[string]bool{} // router variables whose group is made of pages
	isPageMark := func(args []ast.Expr) bool {
		for _, a := range args {
			if id, ok := a.(*ast.Ident); ok && id.Name == "page" {
				return true
			}
		}
		return false
	}
	// prefixOf resolves a router expression: a known variable, the server's
	// Fiber app (s.fiber), or a Group call on either.
	var prefixOf func(e ast.Expr) (string, bool)
	prefixOf = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.Ident:
			p, ok := prefix[e.Name]
			return p, ok
		case *ast.SelectorExpr:
			if e.Sel.Name == "fiber" {
				return "", true
			}
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Group" {
				base, ok := prefixOf(sel.X)
				if !ok || len(e.Args) == 0 {
					return "", false
				}
				p, ok := stringLit(e.Args[0])
				if !ok {
					t.Fatalf("%s:%d: a Group prefix that is not a string literal", routesFile, fset.Position(e.Pos()).Line)
				}
				return joinPath(base, p), true
			}
		}
		return "", false
	}

	var routes []route
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok || i >= len(n.Rhs) {
					continue
				}
				if p, ok := prefixOf(n.Rhs[i]); ok {
					prefix[id.Name] = p
					if call, ok := n.Rhs[i].(*ast.CallExpr); ok && isPageMark(call.Args) {
						pageGroups[id.Name] = true
					}
				}
				if call, ok := n.Rhs[i].(*ast.CallExpr); ok {
					if fid, ok := call.Fun.(*ast.Ident); ok && fid.Name == "rateLimit" {
						limiters[id.Name] = true
					}
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			line := fset.Position(n.Pos()).Line
			if slices.Contains(unsupportedRouterMethods, sel.Sel.Name) {
				if _, isRouter := prefixOf(sel.X); isRouter {
					t.Fatalf("%s:%d: routes registered with .%s are not understood by this test; teach it", routesFile, line, sel.Sel.Name)
				}
			}
			method, ok := fiberRouteMethods[sel.Sel.Name]
			if !ok {
				return true
			}
			base, ok := prefixOf(sel.X)
			if !ok {
				t.Fatalf("%s:%d: cannot tell which router .%s is called on; teach this test", routesFile, line, sel.Sel.Name)
			}
			if len(n.Args) == 0 {
				t.Fatalf("%s:%d: .%s without a path", routesFile, line, sel.Sel.Name)
			}
			p, ok := stringLit(n.Args[0])
			if !ok {
				t.Fatalf("%s:%d: a route path that is not a string literal", routesFile, line)
			}
			full := joinPath(base, p)
			if id, ok := sel.X.(*ast.Ident); (ok && pageGroups[id.Name]) || isPageMark(n.Args[1:]) || strings.HasPrefix(full, "/static/") {
				routes = append(routes, route{method: method, path: full, line: line, page: true})
				return true
			}
			r := route{method: method, path: openAPIPath(t, full, line), line: line}
			for _, a := range n.Args[1:] {
				if id, ok := a.(*ast.Ident); ok && limiters[id.Name] {
					r.rateLimited = true
				}
				if call, ok := a.(*ast.CallExpr); ok {
					if fid, ok := call.Fun.(*ast.Ident); ok && fid.Name == "rateLimit" {
						r.rateLimited = true
					}
				}
			}
			routes = append(routes, r)
		}
		return true
	})
	if len(routes) == 0 {
		t.Fatalf("%s: found no routes; has the routing table moved?", routesFile)
	}
	return routes
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func joinPath(base, p string) string {
	if p == "" || p == "/" {
		if base == "" {
			return "/"
		}
		return base
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(p, "/")
}

// openAPIPath turns a Fiber path (/a/:id) into an OpenAPI one (/a/{id}).
func openAPIPath(t *testing.T, p string, line int) string {
	t.Helper()
	if strings.ContainsAny(p, "*+?") {
		t.Fatalf("%s:%d: route %q has a wildcard or optional parameter; document it and teach this test", routesFile, line, p)
	}
	return fiberParam.ReplaceAllString(p, "{$1}")
}

func TestOpenAPIDocument(t *testing.T) {
	doc := spec(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi: %q, want 3.1.x", v)
	}
	info := mapAt(t, doc["info"], "info")
	for _, k := range []string{"title", "version", "description"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is empty", k)
		}
	}
	// Every local $ref resolves.
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := pointer(doc, ref); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
			for k, c := range v {
				walk(c, where+"/"+k)
			}
		case []any:
			for i, c := range v {
				walk(c, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(doc, "#")
}

// TestEveryRouteIsDocumented fails when routes.go registers a route that the
// document does not describe, or the document describes one that routes.go
// does not register.
func TestEveryRouteIsDocumented(t *testing.T) {
	doc := spec(t)
	ops := operations(t, doc)
	registered := map[string]bool{}
	for _, r := range parseRoutes(t) {
		if r.page {
			continue
		}
		if r.method == "HEAD" && registered["GET "+r.path] {
			continue
		}
		registered[r.key()] = true
		if _, ok := ops[r.key()]; !ok {
			t.Errorf("%s:%d registers %s, which docs/openapi.yaml does not document", routesFile, r.line, r.key())
		}
	}
	var extra []string
	for k := range ops {
		if strings.HasPrefix(k, "HEAD ") && registered["GET "+strings.TrimPrefix(k, "HEAD ")] {
			continue // Fiber answers HEAD wherever it answers GET
		}
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Errorf("docs/openapi.yaml documents %s, which %s does not register", k, routesFile)
	}
}

// TestOperations checks what every operation must say.
func TestOperations(t *testing.T) {
	doc := spec(t)
	ops := operations(t, doc)
	limited := map[string]bool{}
	for _, r := range parseRoutes(t) {
		if r.rateLimited {
			limited[r.key()] = true
		}
	}
	seenIDs := map[string]string{}
	for key, op := range ops {
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", key)
		} else if other, dup := seenIDs[id]; dup {
			t.Errorf("%s: operationId %q also used by %s", key, id, other)
		}
		seenIDs[id] = key
		if _, ok := op["security"]; !ok {
			t.Errorf("%s: no security (use [] for a public operation)", key)
		}
		bearer := false
		if sec, ok := op["security"].([]any); ok {
			for _, s := range sec {
				if _, ok := mapAt(t, s, key+" security")["bearerAuth"]; ok {
					bearer = true
				}
			}
		}
		path := strings.SplitN(key, " ", 2)[1]
		if strings.HasPrefix(path, "/api/v1/admin/") && !bearer {
			t.Errorf("%s: an admin operation without bearerAuth", key)
		}

		responses := mapAt(t, op["responses"], key+" responses")
		success := false
		for status, resp := range responses {
			where := key + " " + status
			r := resolve(t, doc, resp, where)
			if s, _ := r["description"].(string); s == "" {
				t.Errorf("%s: no description", where)
			}
			headers, _ := r["headers"].(map[string]any)
			if _, ok := headers["X-Request-ID"]; !ok {
				t.Errorf("%s: no X-Request-ID header", where)
			}
			if strings.HasPrefix(status, "2") {
				success = true
				if limited[key] {
					for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
						if _, ok := headers[h]; !ok {
							t.Errorf("%s: a rate-limited operation's success lacks the %s header", where, h)
						}
					}
				}
			}
			if status == "429" {
				for _, h := range []string{"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
					if _, ok := headers[h]; !ok {
						t.Errorf("%s: no %s header", where, h)
					}
				}
			}
			// An error status whose body the contract fixes otherwise (a withdrawn
			// case's notice) says so, and why, in x-not-a-problem.
			why, _ := r["x-not-a-problem"].(string)
			if n, err := strconv.Atoi(status); err == nil && n >= 400 && why == "" {
				content, _ := r["content"].(map[string]any)
				if _, ok := content["application/problem+json"]; !ok {
					t.Errorf("%s: an error response that is not application/problem+json", where)
				}
			}
		}
		if !success {
			t.Errorf("%s: no 2xx response", key)
		}
		if bearer {
			if _, ok := responses["401"]; !ok {
				t.Errorf("%s: needs a bearer token but documents no 401", key)
			}
		}
		if limited[key] {
			if _, ok := responses["429"]; !ok {
				t.Errorf("%s: rate-limited in %s but documents no 429", key, routesFile)
			}
		}
		if _, ok := op["requestBody"]; ok {
			for _, s := range []string{"400", "413", "415"} {
				if _, ok := responses[s]; !ok {
					t.Errorf("%s: takes a body but documents no %s", key, s)
				}
			}
		}
	}
}

// TestProblemCodes holds the Problem code enumeration to the codes the code
// defines: the E* constants of store/error.go and the code* constants of
// handlers/problem.go.
func TestProblemCodes(t *testing.T) {
	doc := spec(t)
	schema, err := pointer(doc, "#/components/schemas/ProblemCode")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, v := range mapAt(t, schema, "ProblemCode")["enum"].([]any) {
		documented = append(documented, fmt.Sprint(v))
	}
	defined := append(stringConsts(t, storeErrorsFile, "E"), stringConsts(t, problemCodesFile, "code")...)
	sort.Strings(documented)
	sort.Strings(defined)
	if !slices.Equal(documented, defined) {
		t.Errorf("ProblemCode enum %v\ndiffers from the codes the source defines %v", documented, defined)
	}
	problem := resolve(t, doc, map[string]any{"$ref": "#/components/schemas/Problem"}, "Problem")
	props := mapAt(t, problem["properties"], "Problem.properties")
	for _, k := range []string{"type", "title", "status", "detail", "code", "field", "instance", "request_id"} {
		if _, ok := props[k]; !ok {
			t.Errorf("Problem lacks the member %s", k)
		}
	}
}

// stringConsts returns the values of the string constants in file whose
// names start with prefix followed by an upper-case letter.
func stringConsts(t *testing.T, file, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				rest, ok := strings.CutPrefix(name.Name, prefix)
				if !ok || rest == "" || rest[0] < 'A' || rest[0] > 'Z' || i >= len(vs.Values) {
					continue
				}
				if v, ok := stringLit(vs.Values[i]); ok {
					out = append(out, v)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no %s* string constants found", file, prefix)
	}
	return out
}

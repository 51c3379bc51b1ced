package handlers

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"ethicsportal/store"
)

// problemSource is one English message in the code, where it is written.
type problemSource struct {
	text, at string
}

// scanProblemMessages collects, from every non-test Go file of the
// repository, the English messages a problem's detail is made of: the
// format of each store.Errorf and store.FieldError call, the Message of
// each store.Error literal, the messages handed to the stores' and the
// app's helpers that make an error of them (lookupErr, clientWritten,
// credentialMoved, unavailable), and the HTTP layer's own details in
// problem.go. nonLiteral lists the calls whose format is not a constant.
func scanProblemMessages(t *testing.T, root string) (found []problemSource, nonLiteral []string) {
	t.Helper()
	fset := token.NewFileSet()
	type file struct {
		path string
		f    *ast.File
	}
	var files []file
	consts := map[string]map[string]string{} // dir -> const name -> value
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, file{p, f})
		dir := filepath.Dir(p)
		if consts[dir] == nil {
			consts[dir] = map[string]string{}
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := constString(vs.Values[i], nil); ok {
							consts[dir][name.Name] = s
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range files {
		inStore := fl.f.Name.Name == "store"
		cs := consts[filepath.Dir(fl.path)]
		rel, _ := filepath.Rel(root, fl.path)
		add := func(e ast.Expr) {
			if call, ok := e.(*ast.CallExpr); ok && isSelector(call.Fun, "fmt", "Sprintf") && len(call.Args) > 0 {
				e = call.Args[0]
			}
			at := fmt.Sprintf("%s:%d", filepath.ToSlash(rel), fset.Position(e.Pos()).Line)
			if s, ok := constString(e, cs); ok {
				if s == "" {
					return
				}
				found = append(found, problemSource{s, at})
			} else {
				nonLiteral = append(nonLiteral, at)
			}
		}
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if id, ok := fn.X.(*ast.Ident); ok && id.Name == "store" {
						name = fn.Sel.Name
					} else if _, ok := fn.X.(*ast.Ident); ok && fn.Sel.Name != "" {
						name = "." + fn.Sel.Name // a method, such as t.clientWritten
					}
				case *ast.Ident:
					name = fn.Name
					if !inStore && (name == "Errorf" || name == "FieldError") {
						name = ""
					}
				}
				idx := -1
				switch name {
				case "Errorf":
					idx = 1
				case "FieldError":
					idx = 2
				case "lookupErr":
					idx = 2
				case ".clientWritten", ".credentialMoved":
					idx = len(n.Args) - 1
				case "unavailable":
					if fl.f.Name.Name == "app" && len(n.Args) == 2 {
						idx = 0
					}
				}
				if idx >= 0 && idx < len(n.Args) {
					add(n.Args[idx])
				}
			case *ast.CompositeLit:
				isErr := false
				switch ty := n.Type.(type) {
				case *ast.SelectorExpr:
					isErr = isSelector(ty, "store", "Error")
				case *ast.Ident:
					isErr = inStore && ty.Name == "Error"
				}
				if isErr {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Message" {
								add(kv.Value)
							}
						}
					}
				}
			case *ast.FuncDecl:
				// The HTTP layer's details and the store's generic one.
				if (n.Name.Name == "fiberDetail" && strings.HasSuffix(fl.path, filepath.Join("handlers", "problem.go"))) ||
					(n.Name.Name == "ErrorMessage" && inStore) {
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if r, ok := m.(*ast.ReturnStmt); ok {
							for _, e := range r.Results {
								if _, ok := constString(e, nil); ok {
									add(e)
								}
							}
						}
						return true
					})
				}
			case *ast.AssignStmt:
				if strings.HasSuffix(fl.path, filepath.Join("handlers", "problem.go")) {
					for i, l := range n.Lhs {
						if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Detail" && i < len(n.Rhs) {
							if _, ok := constString(n.Rhs[i], nil); ok {
								add(n.Rhs[i])
							}
						}
					}
				}
			}
			return true
		})
	}
	return found, nonLiteral
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg && sel.Sel.Name == name
}

// constString is the value of a string constant expression: literals,
// their sums, and the package's named constants.
func constString(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return constString(e.X, consts)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(e.X, consts)
		b, ok2 := constString(e.Y, consts)
		return a + b, ok1 && ok2
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	}
	return "", false
}

// Every English message of the code has a Chinese translation: a message
// added without one fails here.
func TestProblemMessagesCoverTheCode(t *testing.T) {
	found, nonLiteral := scanProblemMessages(t, "..")
	if len(found) < 300 {
		t.Fatalf("the scan found %d messages; it should find every store.Errorf, store.FieldError and store.Error of the code", len(found))
	}
	missing := map[string][]string{}
	for _, m := range found {
		if _, ok := problemMessagesZH[m.text]; !ok {
			missing[m.text] = append(missing[m.text], m.at)
		}
	}
	if len(missing) > 0 {
		var b strings.Builder
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n\t%q (%s)", k, strings.Join(missing[k], ", "))
		}
		t.Errorf("%d messages have no Chinese translation in problemMessagesZH (handlers/problem_messages.go):%s", len(missing), b.String())
	}
	// A format made at run time cannot be translated; its detail is the
	// code's. These are the ones known: a new one should be a literal.
	for _, at := range nonLiteral {
		if !strings.HasPrefix(at, "store/error.go:") {
			t.Errorf("%s: the message format is not a constant, so a Chinese answer gets only the code's detail; write it as a literal", at)
		}
	}
	// The catalogue holds nothing the code no longer says.
	said := map[string]bool{}
	for _, m := range found {
		said[m.text] = true
	}
	for k := range problemMessagesZH {
		if !said[k] {
			t.Errorf("problemMessagesZH has %q, which the code no longer says", k)
		}
	}
}

// A translation shows the same values with the same verbs in the same
// order; only an argument that is English text (problemTextArgs) may be
// left out, and the translation is Chinese.
func TestProblemTranslationsKeepTheVerbs(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	digits := regexp.MustCompile(`[0-9]+`)
	check := func(cat string, en, zh string) {
		t.Helper()
		ev, zv := verbsOf(en), verbsOf(zh)
		spec := map[int]string{}
		for _, v := range ev {
			spec[v.arg] = v.spec
		}
		optional := map[int]bool{}
		for _, i := range problemTextArgs[en] {
			optional[i] = true
		}
		seen := map[int]bool{}
		last := 0
		for _, v := range zv {
			want, ok := spec[v.arg]
			switch {
			case !ok:
				t.Errorf("%s %q: the translation %q shows argument %d, which the message has not", cat, en, zh, v.arg)
			case want != v.spec:
				t.Errorf("%s %q: the translation %q shows argument %d with %s, the message with %s", cat, en, zh, v.arg, v.spec, want)
			case v.arg <= last:
				t.Errorf("%s %q: the translation %q shows the arguments in another order", cat, en, zh)
			}
			seen[v.arg] = true
			last = v.arg
		}
		for _, v := range ev {
			if !seen[v.arg] && !optional[v.arg] {
				t.Errorf("%s %q: the translation %q leaves out argument %d (%s)", cat, en, zh, v.arg, v.spec)
			}
		}
		if strings.Count(en, "%%") != strings.Count(zh, "%%") {
			t.Errorf("%s %q: the translation %q has another number of %%%%", cat, en, zh)
		}
		// The numbers and limits the English text writes out are in the
		// Chinese too.
		for _, n := range digits.FindAllString(withoutVerbs(en), -1) {
			if !strings.Contains(withoutVerbs(zh), n) {
				t.Errorf("%s %q: the translation %q lacks the number %s", cat, en, zh, n)
			}
		}
		// Chinese, unless it is nothing but its values.
		rest := zh
		for i := len(zv) - 1; i >= 0; i-- {
			rest = rest[:zv[i].start] + rest[zv[i].end:]
		}
		if strings.TrimFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) }) != "" && !han.MatchString(zh) {
			t.Errorf("%s %q: the translation %q is not Chinese", cat, en, zh)
		}
	}
	for en, zh := range problemMessagesZH {
		check("message", en, zh)
	}
	for en, zh := range problemPhrasesZH {
		check("phrase", en, zh)
	}
	for f := range problemTextArgs {
		if _, ok := problemMessagesZH[f]; !ok {
			t.Errorf("problemTextArgs names %q, which is no message", f)
		}
	}
}

// Every code and status the portal answers has a Chinese detail and title.
func TestProblemCodesAndTitlesInChinese(t *testing.T) {
	for code, status := range statusOf {
		d, ok := problemCodeDetailZH[code]
		if !ok || d[0] == "" || d[1] == "" {
			t.Errorf("code %s has no Chinese detail", code)
			continue
		}
		if got := codeDetailZH(code, "district"); strings.Count(d[1], "%s") == 1 && !strings.Contains(got, "district") {
			t.Errorf("code %s: the detail with a field %q does not name it", code, got)
		}
		if strings.Count(d[0], "%") > 0 || strings.Count(d[1], "%") > strings.Count(d[1], "%s") || strings.Count(d[1], "%s") > 1 {
			t.Errorf("code %s: the detail %q holds verbs it should not", code, d)
		}
		if _, ok := problemTitleZH[status]; !ok {
			t.Errorf("status %d (of %s) has no Chinese title", status, code)
		}
	}
	for _, code := range codeOfStatus {
		if _, ok := problemCodeDetailZH[code]; !ok {
			t.Errorf("code %s has no Chinese detail", code)
		}
	}
	for code := range problemCodeDetailZH {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("problemCodeDetailZH has %s, which is no code", code)
		}
	}
	for status, want := range map[int]string{400: "请求有误", 401: "需要登录", 404: "未找到", 410: "已撤回", 429: "请求过于频繁"} {
		if got := problemTitle(langZH, status); got != want {
			t.Errorf("title of %d: %q, want %q", status, got, want)
		}
		if got := problemTitle(langEN, status); got != titleOf(status) {
			t.Errorf("English title of %d: %q, want %q", status, got, titleOf(status))
		}
	}
}

// sampleArgs are arguments for format's verbs: values a request might
// give, and for an argument that is English text, a phrase the catalogue
// knows.
func sampleArgs(format string) []any {
	text := map[int]bool{}
	for _, i := range problemTextArgs[format] {
		text[i] = true
	}
	var out []any
	for _, v := range verbsOf(format) {
		switch {
		case text[v.arg]:
			out = append(out, "case id")
		case v.verb == 'd':
			out = append(out, 17+v.arg)
		case v.verb == 'X':
			out = append(out, 0x200B)
		case v.verb == 'q':
			out = append(out, `a "quoted" value`)
		default:
			out = append(out, fmt.Sprintf("value%d", v.arg))
		}
	}
	return out
}

// Reading a message's values back out of its English text gives what its
// format and arguments give, for every message of the catalogue.
func TestProblemDetailFromTheEnglishText(t *testing.T) {
	s := &Server{}
	for format, zh := range problemMessagesZH {
		args := sampleArgs(format)
		e := &store.Error{Code: store.EInvalid, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
		if len(args) == 0 {
			e = &store.Error{Code: store.EInvalid, Message: format}
		}
		exact, ok := errorZH(e, 0)
		if !ok {
			t.Errorf("%q: no translation from its format and arguments", format)
			continue
		}
		if len(args) == 0 {
			if exact != strings.ReplaceAll(zh, "%%", "%") {
				t.Errorf("%q: %q, want %q", format, exact, zh)
			}
		}
		if format == "%s" {
			continue // all value: read back, it is the value
		}
		read := s.problemDetail(langZH, Problem{Code: e.Code, Detail: e.Message})
		if read != exact {
			t.Errorf("%q: read back from %q it is %q, from its arguments %q", format, e.Message, read, exact)
		}
		for _, a := range args {
			if s, ok := a.(string); ok && strings.HasPrefix(s, "value") && !strings.Contains(exact, s) {
				t.Errorf("%q: the translation %q lost the value %q", format, exact, s)
			}
		}
		if s.problemDetail(langEN, Problem{Code: e.Code, Detail: e.Message}) != e.Message {
			t.Errorf("%q: the English detail changed", format)
		}
	}
}

func TestProblemDetailArguments(t *testing.T) {
	s := &Server{}
	inner := store.FieldError(store.EInvalid, "certificate_no", "a certificate number has at most %d letters and digits", 20)
	batch := store.FieldError(inner.Code, "rows[3].certificate_no", "%s: %s", "row 3", inner.Message)
	for _, tc := range []struct {
		name string
		err  *store.Error
		want string
	}{
		{"a nested message read back", batch, "第 3 行：证书编号最多有 20 个字母和数字"},
		{"a store.Error as argument", store.Errorf(store.EInvalid, "%s: %s", "item 2", inner), "第 2 项：证书编号最多有 20 个字母和数字"},
		{"a helper's message", store.Errorf(store.ENotFound, "%s", "no such case"), "没有这个案例"},
		{"an English error left out", store.Errorf(store.EInvalid, "cannot read the CSV file: %v", errors.New("bare quote in field")), "无法读取该 CSV 文件"},
		{"an English error left out by index", store.Errorf(store.EInvalidHeader, "cannot read the CSV file: %s; it needs the header row %s", "bare quote", "certificate_no,name"), "无法读取该 CSV 文件；它需要标题行 certificate_no,name"},
		{"a row's English error left out", store.FieldError(store.EMalformedRow, "rows[4]", "row %d: %v", 4, errors.New("wrong number of fields")), "第 4 行无法读取"},
		{"an operation's name left out", store.Errorf(store.EConflict, "%s: already exists", "insert user"), "已存在"},
		{"a JSON kind", store.FieldError(store.EInvalid, "limit", "%s must be a JSON %s", "limit", "number"), "limit 须为 JSON 数字"},
		{"a value kept as given", store.FieldError(store.EInvalid, "district", "unknown district %q; districts are %s", "Gotham", "东城区, 西城区"), `未知的区 "Gotham"；区有 东城区, 西城区`},
		{"an untranslatable text falls back", store.Errorf(store.ENotFound, "%s", "an English sentence nobody translated"), "未找到所请求的对象"},
		{"an unknown format falls back, naming the field", store.FieldError(store.EMissing, "district", "district is needed now"), "缺少 district"},
		{"a literal message", &store.Error{Code: store.EUnavailable, Message: "the database is busy"}, "数据库繁忙"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Problem{Code: tc.err.Code, Field: tc.err.Field, Detail: tc.err.Message, Status: statusOf[tc.err.Code]}
			if got := s.errorDetail(langZH, fmt.Errorf("wrapped: %w", tc.err), p); got != tc.want {
				t.Errorf("from the error: %q, want %q", got, tc.want)
			}
			if got := s.errorDetail(langEN, tc.err, p); got != tc.err.Message {
				t.Errorf("in English: %q, want %q", got, tc.err.Message)
			}
		})
	}
}

// The form errors of the pages come out in the page's language.
func TestProblemFieldErrorsInChinese(t *testing.T) {
	st, err := newSite()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{site: st}
	ids := map[string]string{"certificate_no": "cert"}
	for _, tc := range []struct {
		err   error
		lang  string
		field string
		want  string
	}{
		{store.FieldError(store.EInvalid, "certificate_no", "a certificate number has at most %d letters and digits", 20), langZH, "cert", "证书编号最多有 20 个字母和数字"},
		{store.FieldError(store.EInvalid, "certificate_no", "a certificate number has at most %d letters and digits", 20), langEN, "cert", "a certificate number has at most 20 letters and digits"},
		{store.FieldError(store.EMissing, "district", "district is required: one of the sixteen districts of Beijing, such as 海淀区"), langZH, "district", "“区”为必填项：须是北京市十六个区之一，如 海淀区"},
		{store.FieldError(store.EIDNameMismatch, "name", "the name does not match the register entry for certificate %s", "A-1"), langZH, "name", "姓名与证书 A-1 的登记信息不符"},
		{store.FieldError(store.EConflict, "username", "the username is taken"), langZH, "username", "该用户名已被占用"},
		{store.FieldError(store.EInvalid, "username", "%s", "something only said in English"), langZH, "username", "“用户名”的值格式不对或超出范围"},
	} {
		got := s.fieldErrors(tc.lang, tc.err, ids)
		if len(got) != 1 || got[0].Field != tc.field || got[0].Message != tc.want {
			t.Errorf("%v in %s: %+v, want %s: %q", tc.err, tc.lang, got, tc.field, tc.want)
		}
	}
}

func TestProblemVerbsOf(t *testing.T) {
	got := verbsOf("a %q b %04X %% %[3]d %s %-5.2f")
	want := []string{"1 %q", "2 %04X", "3 %d", "4 %s", "5 %-5.2f"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, v := range got {
		if s := fmt.Sprintf("%d %s", v.arg, v.spec); s != want[i] {
			t.Errorf("verb %d: %s, want %s", i, s, want[i])
		}
	}
}

// withoutVerbs is format with its verbs taken out.
func withoutVerbs(format string) string {
	vs := verbsOf(format)
	for i := len(vs) - 1; i >= 0; i-- {
		format = format[:vs[i].start] + format[vs[i].end:]
	}
	return format
}

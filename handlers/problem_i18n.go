package handlers

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/store"
)

// The API answers problems in English unless the request's Accept-Language
// prefers Chinese; the pages give a problem's detail in the page's
// language. Only title and detail change: code, type, status and field are
// the same in every language. The Chinese texts are in problem_messages.go.

// problemLang is the language of an API problem: English, the contract's
// language, unless Accept-Language prefers Chinese.
func problemLang(c *fiber.Ctx) string {
	return acceptLanguage(c.Get(fiber.HeaderAcceptLanguage), langEN)
}

// setProblemLang says which language the problem is in, and that the
// answer depends on Accept-Language.
func setProblemLang(c *fiber.Ctx, lang string) {
	c.Set(fiber.HeaderContentLanguage, htmlLang(lang))
	c.Vary(fiber.HeaderAcceptLanguage)
}

// problemTitle is the title of a problem with status in lang.
func problemTitle(lang string, status int) string {
	if lang == langEN {
		return titleOf(status)
	}
	if t, ok := problemTitleZH[status]; ok {
		return t
	}
	if status >= 500 {
		return "服务器错误"
	}
	return "请求有误"
}

// problemDetail is p's detail in lang, p.Detail being the English one. A
// Chinese detail is the message's translation, its values read back out of
// the English text; failing that, the code's own Chinese detail. It never
// gives English text in a Chinese answer, other than the values the
// request gave and the names of fields.
func (s *Server) problemDetail(lang string, p Problem) string {
	if lang == langEN || p.Detail == "" {
		return p.Detail
	}
	if zh, ok := textZH(p.Detail, 0); ok {
		return zh
	}
	return codeDetailZH(p.Code, p.Field)
}

// errorDetail is problemDetail for the problem made of err: when err
// carries the message's format and arguments, the translation uses them
// rather than reading the English text.
func (s *Server) errorDetail(lang string, err error, p Problem) string {
	if lang == langEN || p.Detail == "" {
		return p.Detail
	}
	var e *store.Error
	if errors.As(err, &e) && e.Code == p.Code && e.Message == p.Detail {
		if zh, ok := errorZH(e, 0); ok {
			return zh
		}
		return codeDetailZH(p.Code, p.Field)
	}
	return s.problemDetail(lang, p)
}

// codeDetailZH is the Chinese detail every problem with code may have.
func codeDetailZH(code, field string) string {
	d, ok := problemCodeDetailZH[code]
	if !ok {
		d = problemCodeDetailZH[codeBadRequest]
	}
	if field == "" || !strings.Contains(d[1], "%s") {
		if field != "" {
			return d[1]
		}
		return d[0]
	}
	return strings.Replace(d[1], "%s", field, 1)
}

// maxProblemDepth bounds how deep messages nest in one another's arguments.
const maxProblemDepth = 3

// errorZH is e's message in Chinese.
func errorZH(e *store.Error, depth int) (string, bool) {
	if e.Format == "" {
		return textZH(e.Message, depth)
	}
	zh, ok := problemMessagesZH[e.Format]
	if !ok {
		return "", false
	}
	return formatZH(e.Format, zh, e.Args, depth)
}

// formatZH is zh, the translation of format, with args: those that are
// English text (problemTextArgs) in Chinese too. False if an argument the
// translation shows cannot be given in Chinese.
func formatZH(format, zh string, args []any, depth int) (string, bool) {
	verbs := verbsOf(zh)
	if len(verbs) == 0 {
		return strings.ReplaceAll(zh, "%%", "%"), true
	}
	used := 0
	for _, v := range verbs {
		used = max(used, v.arg)
	}
	if used > len(args) {
		return "", false
	}
	text := map[int]bool{}
	for _, i := range problemTextArgs[format] {
		text[i] = true
	}
	out := make([]any, used)
	for i := range out {
		a := args[i]
		switch v := a.(type) {
		case *store.Error:
			s, ok := argZH(v, depth)
			if !ok {
				return "", false
			}
			a = s
		case error:
			// Another error's text is English; only a translation that
			// leaves it out (problemTextArgs) can be given.
			if usesArg(verbs, i+1) {
				return "", false
			}
		case string:
			if text[i+1] && usesArg(verbs, i+1) {
				s, ok := textZH(v, depth+1)
				if !ok {
					return "", false
				}
				a = s
			}
		}
		out[i] = a
	}
	return fmt.Sprintf(zh, out...), true
}

func argZH(e *store.Error, depth int) (string, bool) {
	if depth >= maxProblemDepth {
		return "", false
	}
	return errorZH(e, depth+1)
}

func usesArg(verbs []fmtVerb, arg int) bool {
	for _, v := range verbs {
		if v.arg == arg {
			return true
		}
	}
	return false
}

// textZH is an English message or phrase in Chinese: found as it is, or
// matched against the formats and given with the values read out of it.
func textZH(s string, depth int) (string, bool) {
	if depth > maxProblemDepth {
		return "", false
	}
	if zh, ok := problemMessagesZH[s]; ok && len(verbsOf(s)) == 0 {
		return strings.ReplaceAll(zh, "%%", "%"), true
	}
	if zh, ok := problemPhrasesZH[s]; ok && len(verbsOf(s)) == 0 {
		return zh, true
	}
	for _, m := range problemMatchers() {
		sub := m.re.FindStringSubmatch(s)
		if sub == nil {
			continue
		}
		args, ok := m.args(sub[1:])
		if !ok {
			continue
		}
		if out, ok := formatZH(m.format, m.zh, args, depth); ok {
			return out, true
		}
	}
	return "", false
}

// problemMatcher reads the values of a message made with format back out
// of its text.
type problemMatcher struct {
	format, zh string
	re         *regexp.Regexp
	verbs      []fmtVerb
	literal    int // the length of the format's own text, for the order of trying
}

func (m problemMatcher) args(sub []string) ([]any, bool) {
	out := make([]any, len(sub))
	for i, s := range sub {
		switch m.verbs[i].verb {
		case 'd':
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, false
			}
			out[i] = n
		case 'X', 'x':
			n, err := strconv.ParseInt(s, 16, 64)
			if err != nil {
				return nil, false
			}
			out[i] = n
		case 'q':
			u, err := strconv.Unquote(s)
			if err != nil {
				return nil, false
			}
			out[i] = u
		default:
			out[i] = s
		}
	}
	return out, true
}

var (
	problemMatchersOnce sync.Once
	problemMatchersAll  []problemMatcher
)

// problemMatchers are the formats with verbs, the most specific first. A
// format that is all verbs ("%s") matches anything and is left out.
func problemMatchers() []problemMatcher {
	problemMatchersOnce.Do(func() {
		add := func(cat map[string]string) {
			for f, zh := range cat {
				verbs := verbsOf(f)
				if len(verbs) == 0 {
					continue
				}
				re, literal := formatRegexp(f)
				if literal == 0 {
					continue
				}
				problemMatchersAll = append(problemMatchersAll, problemMatcher{format: f, zh: zh, re: re, verbs: verbs, literal: literal})
			}
		}
		add(problemMessagesZH)
		add(problemPhrasesZH)
		sort.Slice(problemMatchersAll, func(i, j int) bool {
			a, b := problemMatchersAll[i], problemMatchersAll[j]
			if a.literal != b.literal {
				return a.literal > b.literal
			}
			return a.format < b.format
		})
	})
	return problemMatchersAll
}

// formatRegexp is a pattern matching what fmt.Sprintf(format, ...) makes,
// with a group for each verb, and the number of bytes of format's own text.
func formatRegexp(format string) (*regexp.Regexp, int) {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	literal := 0
	verbs := verbsOf(format)
	at := 0
	lit := func(s string) {
		s = strings.ReplaceAll(s, "%%", "%")
		literal += len(s)
		b.WriteString(regexp.QuoteMeta(s))
	}
	for _, v := range verbs {
		lit(format[at:v.start])
		switch v.verb {
		case 'd':
			b.WriteString(`(-?[0-9]+)`)
		case 'X', 'x':
			b.WriteString(`([0-9A-Fa-f]+)`)
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*")`)
		default:
			b.WriteString(`(.*?)`)
		}
		at = v.end
	}
	lit(format[at:])
	b.WriteString(`$`)
	return regexp.MustCompile(b.String()), literal
}

// fmtVerb is one verb of a format: the argument it shows (from 1), its
// letter, its flags and width without the index (spec), and where it is.
type fmtVerb struct {
	arg        int
	verb       byte
	spec       string
	start, end int
}

// verbsOf lists format's verbs, as fmt reads them: an explicit index
// ([n]) sets the argument, and the next verb takes the one after it.
func verbsOf(format string) []fmtVerb {
	var out []fmtVerb
	next := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		if j < len(format) && format[j] == '%' {
			i = j
			continue
		}
		arg := next
		var spec strings.Builder
		spec.WriteByte('%')
		index := func() {
			if j < len(format) && format[j] == '[' {
				if k := strings.IndexByte(format[j:], ']'); k > 0 {
					if n, err := strconv.Atoi(format[j+1 : j+k]); err == nil {
						arg = n
					}
					j += k + 1
				}
			}
		}
		for j < len(format) && strings.IndexByte("+-# 0", format[j]) >= 0 {
			spec.WriteByte(format[j])
			j++
		}
		index()
		for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == '.') {
			spec.WriteByte(format[j])
			j++
		}
		index()
		if j >= len(format) {
			break
		}
		spec.WriteByte(format[j])
		out = append(out, fmtVerb{arg: arg, verb: format[j], spec: spec.String(), start: i, end: j + 1})
		next = arg + 1
		i = j
	}
	return out
}

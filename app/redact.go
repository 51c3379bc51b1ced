package app

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Finding is something in a case's public text that looks like personal
// data that must not be published (API.md, "Cases"). Excerpt is the match
// with a little of its context, for the editor; Suggestion, when there is
// one, is a text to put in its place.
type Finding struct {
	Field      string `json:"field"`
	Kind       string `json:"kind"`
	Excerpt    string `json:"excerpt"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Kinds of finding.
const (
	FindingIDNumber      = "id_number"      // a resident ID number: 18 characters with a good check digit, or an old 15-digit one
	FindingPhone         = "phone"          // a mobile or landline number
	FindingEmail         = "email"          // an e-mail address
	FindingHolderName    = "holder_name"    // the linked holder's name as registered, unmasked (also in the other script)
	FindingUnmaskedName  = "unmasked_name"  // subject_name that looks like a full Chinese name
	FindingCertificateNo = "certificate_no" // the linked certificate number, or any number of that 17-digit shape
	FindingBankCard      = "bank_card"      // 16 to 19 digits passing the Luhn check
	FindingLicencePlate  = "licence_plate"  // a Chinese vehicle plate
	FindingBirthDate     = "birth_date"     // a full date said to be a birth date
	FindingAccount       = "social_account" // a WeChat or QQ account
	FindingAddress       = "address"        // a flat in a building (单元, 室)
)

// excerptContext is how many characters of context an excerpt shows on
// each side of the match.
const excerptContext = 10

// A student's or child's name after 学生 or 幼儿 is not looked for: the two
// or three characters that follow those words are far more often 家长,
// 宿舍, 身体 or a verb than a name, and a finding that is nearly always
// wrong teaches editors to acknowledge findings without reading them.

// redactionInput is what the check looks at: a case's public text and, when
// it is linked to a credential, that credential's holder and number.
type redactionInput struct {
	content       *store.CaseContent // nil: only extra is looked at
	extra         []textField        // public texts beside the case: an amendment's note, a withdrawal's reason
	holderName    string             // "" when the case is linked to no credential
	certificateNo string
}

// scanText is a text prepared for matching: each rune narrowed (full-width
// ASCII and the ideographic space) and, where that gives one rune, folded
// on its own (Traditional to Simplified), so that positions in it map back
// to the original rune for rune.
type scanText struct {
	orig string
	s    string
	at   []int // at[i] is the byte offset in orig of the rune that starts at byte i of s; at[len(s)] = len(orig)
}

// foldRunes prepares text for matching. cache holds runes already folded.
func foldRunes(f *search.Folder, text string, cache map[rune]rune) scanText {
	var b strings.Builder
	b.Grow(len(text))
	at := make([]int, 0, len(text)+1)
	for i, r := range text {
		n := foldRune(f, r, cache)
		for range utf8.RuneLen(n) {
			at = append(at, i)
		}
		b.WriteRune(n)
	}
	at = append(at, len(text))
	return scanText{orig: text, s: b.String(), at: at}
}

func foldRune(f *search.Folder, r rune, cache map[rune]rune) rune {
	switch {
	case r < utf8.RuneSelf:
		return r
	case r == '\u3000':
		return ' '
	case r >= '\uFF01' && r <= '\uFF5E':
		return r - 0xFEE0
	}
	if n, ok := cache[r]; ok {
		return n
	}
	n := r
	if folded := f.Fold(string(r)); utf8.RuneCountInString(folded) == 1 {
		n, _ = utf8.DecodeRuneInString(folded)
	}
	cache[r] = n
	return n
}

// excerpt returns the original text of s[start:end] with context.
func (t scanText) excerpt(start, end int) string {
	from, to := t.at[start], t.at[end]
	pre, post := from, to
	for range excerptContext {
		if pre == 0 {
			break
		}
		_, n := utf8.DecodeLastRuneInString(t.orig[:pre])
		pre -= n
	}
	for range excerptContext {
		if post == len(t.orig) {
			break
		}
		_, n := utf8.DecodeRuneInString(t.orig[post:])
		post += n
	}
	out := t.orig[pre:post]
	if pre > 0 {
		out = "…" + out
	}
	if post < len(t.orig) {
		out += "…"
	}
	return strings.Join(strings.Fields(out), " ") // line breaks and tabs as one space
}

// span is a match in a scanText, in bytes of s.
type span struct{ start, end int }

func (a span) overlaps(b span) bool { return a.start < b.end && b.start < a.end }

// fieldScan collects the findings of one field, dropping a match that
// overlaps one made before it: the checks run from the most specific.
type fieldScan struct {
	field string
	text  scanText
	spans []span
	out   []Finding
}

func (fs *fieldScan) add(kind string, sp span, suggestion string) {
	for _, s := range fs.spans {
		if s.overlaps(sp) {
			return
		}
	}
	fs.spans = append(fs.spans, sp)
	fs.out = append(fs.out, Finding{Field: fs.field, Kind: kind, Excerpt: fs.text.excerpt(sp.start, sp.end), Suggestion: suggestion})
}

var (
	// A run of digits, with single spaces or dashes between them, perhaps
	// after a + and ending in an X (the check character of an ID number).
	digitRun = regexp.MustCompile(`\+?[0-9](?:[ \-\x{2010}-\x{2015}\x{2212}]?[0-9])*[Xx]?`)
	// A landline with its area code in brackets: (010) 12345678.
	bracketLandline = regexp.MustCompile(`\(0[1-9][0-9]{1,2}\)\s?[2-9][0-9]{6,7}`)
	emailPattern    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// A plate: the province's character, the city's letter, five or six
	// letters and digits (I and O are never used).
	platePattern = regexp.MustCompile(`[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·• \-]?[A-HJ-NP-Z0-9]{5,6}`)
	birthPattern = regexp.MustCompile(`(?:出生(?:日期|年月|于)?|生于|生日)[：:是为在于 ]*[0-9]{4} ?[年./\-] ?[0-9]{1,2} ?[月./\-] ?[0-9]{1,2}日?|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日(?:出生|生)`)
	// A WeChat or QQ account named as such.
	accountPattern = regexp.MustCompile(`(?i)(?:微信号?|wechat|qq号?)(?:是|为)? ?[：:]? ?[A-Za-z0-9_\-]{5,20}`)
	// A flat: building, entrance, room.
	addressPattern = regexp.MustCompile(`[0-9]+(?:号楼|栋|幢)[0-9]+单元[0-9]+(?:室|号)?|[0-9]+单元[0-9]+室|[0-9]+(?:号楼|栋|幢)[0-9]+室`)
)

// patterns are the checks by regular expression, each with a cheap test
// that lets most texts skip it: a regular expression without a literal
// prefix walks the whole text.
var patterns = []struct {
	kind  string
	re    *regexp.Regexp
	maybe func(string) bool
}{
	{FindingEmail, emailPattern, func(s string) bool { return strings.Contains(s, "@") }},
	{FindingLicencePlate, platePattern, func(s string) bool { return strings.ContainsFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) }},
	{FindingBirthDate, birthPattern, func(s string) bool {
		return strings.Contains(s, "出生") || strings.Contains(s, "生于") || strings.Contains(s, "生日") || strings.Contains(s, "日生")
	}},
	{FindingAccount, accountPattern, func(s string) bool {
		return strings.Contains(s, "微信") || strings.ContainsAny(s, "Qq") || strings.Contains(strings.ToLower(s), "wechat")
	}},
	{FindingAddress, addressPattern, func(s string) bool { return strings.Contains(s, "单元") || strings.Contains(s, "室") }},
}

// textField is one public text the redaction check looks at.
type textField struct{ field, text string }

// findings runs the redaction check over every public text field of in.
func (a *App) findings(in redactionInput) []Finding {
	cache := map[rune]rune{}
	var name []rune
	if in.holderName != "" {
		name = []rune(foldRunes(a.folder, in.holderName, cache).s)
	}
	var fields []textField
	if c := in.content; c != nil {
		fields = append(fields, textField{"title", c.Title}, textField{"summary", c.Summary}, textField{"body", c.Body},
			textField{"subject_name", c.SubjectName}, textField{"school", c.School}, textField{"authority", c.Authority})
		for i, s := range c.Sanctions {
			fields = append(fields, textField{sanctionField(i, "detail"), s.Detail})
		}
	}
	fields = append(fields, in.extra...)
	var out []Finding
	for _, f := range fields {
		if f.text == "" {
			continue
		}
		fs := &fieldScan{field: f.field, text: foldRunes(a.folder, f.text, cache)}
		if len(name) >= 2 {
			for _, sp := range findName(fs.text.s, name) {
				fs.add(FindingHolderName, sp, MaskName(in.holderName))
			}
		}
		if in.certificateNo != "" {
			for _, sp := range findCompact(fs.text.s, in.certificateNo) {
				fs.add(FindingCertificateNo, sp, "")
			}
		}
		scanNumbers(fs)
		for _, p := range patterns {
			if !p.maybe(fs.text.s) {
				continue
			}
			for _, m := range p.re.FindAllStringIndex(fs.text.s, -1) {
				if p.kind == FindingLicencePlate && m[1] < len(fs.text.s) && isASCIIAlnum(fs.text.s[m[1]]) {
					continue // part of a longer code, not a plate
				}
				fs.add(p.kind, span{m[0], m[1]}, "")
			}
		}
		if f.field == "subject_name" && looksUnmasked(fs.text.s) {
			fs.add(FindingUnmaskedName, span{0, len(fs.text.s)}, MaskName(strings.TrimSpace(f.text)))
		}
		out = append(out, fs.out...)
	}
	return out
}

func sanctionField(i int, name string) string {
	return "sanctions[" + strconv.Itoa(i) + "]." + name
}

func isASCIIAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}

// findName returns the places where name occurs in s, letters compared
// without case, with up to maxNameGap separators (isNameGap) between its
// characters: 张 伟华, 张·伟华 and 張-偉華 are all the name 张伟华.
func findName(s string, name []rune) []span {
	var out []span
	for i := 0; i < len(s); {
		if end, ok := matchName(s[i:], name); ok {
			out = append(out, span{i, i + end})
			i += end
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return out
}

func matchName(s string, name []rune) (int, bool) {
	pos := 0
	for k, want := range name {
		if k > 0 && !isNameGap(want) {
			for gap := 0; pos < len(s) && gap < maxNameGap; gap++ {
				r, n := utf8.DecodeRuneInString(s[pos:])
				if !isNameGap(r) {
					break
				}
				pos += n
			}
		}
		if pos >= len(s) {
			return 0, false
		}
		r, n := utf8.DecodeRuneInString(s[pos:])
		if unicode.ToLower(r) != unicode.ToLower(want) {
			return 0, false
		}
		pos += n
	}
	return pos, true
}

// findCompact returns the places where the normalised certificate number no
// occurs in s written with any spaces, dashes and case.
func findCompact(s, no string) []span {
	var out []span
	for i := 0; i < len(s); i++ {
		if i > 0 && isASCIIAlnum(s[i-1]) || upper(s[i]) != no[0] {
			continue
		}
		j, k := i, 0
	scan:
		for j < len(s) && k < len(no) {
			switch ch := s[j]; {
			case upper(ch) == no[k]:
				k++
			case (ch == ' ' || ch == '-') && k > 0:
			default:
				break scan
			}
			j++
		}
		if k == len(no) && (j == len(s) || !isASCIIAlnum(s[j])) {
			out = append(out, span{i, j})
			i = j - 1
		}
	}
	return out
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// scanNumbers looks at every run of digits: a run that is not personal
// data as a whole may hold numbers separated by spaces, each looked at on
// its own.
func scanNumbers(fs *fieldScan) {
	s := fs.text.s
	for _, m := range bracketLandline.FindAllStringIndex(s, -1) {
		fs.add(FindingPhone, span{m[0], m[1]}, "")
	}
	for _, m := range digitRun.FindAllStringIndex(s, -1) {
		if kind := numberKind(s[m[0]:m[1]]); kind != "" {
			fs.add(kind, span{m[0], m[1]}, "")
			continue
		}
		start := m[0]
		for i := m[0]; i <= m[1]; i++ {
			if i == m[1] || s[i] == ' ' {
				if kind := numberKind(s[start:i]); kind != "" {
					fs.add(kind, span{start, i}, "")
				}
				start = i + 1
			}
		}
	}
}

// numberKind classifies a run of digits written with separators: the kind
// of finding it is, or "".
func numberKind(run string) string {
	plus := strings.HasPrefix(run, "+")
	var b strings.Builder
	for i := 0; i < len(run); i++ {
		if ch := run[i]; ch >= '0' && ch <= '9' || ch == 'X' || ch == 'x' {
			b.WriteByte(upper(ch))
		}
	}
	d := b.String()
	if strings.HasSuffix(d, "X") {
		if len(d) == 18 && isIDNumber(d) {
			return FindingIDNumber
		}
		return ""
	}
	switch {
	case len(d) == 18 && isIDNumber(d), len(d) == 15 && isOldIDNumber(d):
		return FindingIDNumber
	case isMobile(d, plus):
		return FindingPhone
	case len(d) >= 11 && len(d) <= 12 && d[0] == '0' && d[1] != '0' && !plus:
		return FindingPhone // a landline with its area code: 010-12345678, 0571 8888 6666
	case len(d) == 17:
		return FindingCertificateNo // the shape of a teacher qualification certificate number
	case len(d) >= 16 && len(d) <= 19 && d[0] >= '3' && d[0] <= '6' && luhn(d):
		return FindingBankCard
	}
	return ""
}

func isIDNumber(d string) bool {
	_, err := NormaliseIDNumber(d)
	return err == nil
}

// isOldIDNumber checks a 15-digit ID number (issued before 1999): area
// code, a YYMMDD birth date in the 1900s, sequence. It has no check digit.
func isOldIDNumber(d string) bool {
	if d[0] < '1' || d[0] > '8' {
		return false
	}
	_, err := store.ParseDate("19" + d[6:8] + "-" + d[8:10] + "-" + d[10:12])
	return err == nil
}

// isMobile accepts 1[3-9] and nine digits, after a country code 86 or
// 0086 (86 only after a + or when the length says so).
func isMobile(d string, plus bool) bool {
	switch {
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case plus:
		return false
	}
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// luhn reports whether the digits pass the Luhn check of payment cards.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// maskMarks are the characters that show a name was masked: 张某某, 张XX,
// 张**, 张○○.
const maskMarks = "某XxＸ*＊×○〇"

// looksUnmasked reports a subject name that reads as a full Chinese name:
// two to four Han characters (a middle dot allowed) and no mask.
func looksUnmasked(name string) bool {
	name = strings.TrimSpace(name)
	if strings.ContainsAny(name, maskMarks) {
		return false
	}
	n := 0
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Han, r):
			n++
		case r == '·' || r == '•' || r == '・':
		default:
			return false
		}
	}
	return n >= 2 && n <= 8 && (n <= 4 || strings.ContainsAny(name, "·•・"))
}

// compoundSurnames are the two-character surnames MaskName keeps whole,
// in Simplified and Traditional spelling.
var compoundSurnames = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 尉迟 尉遲 公孙 公孫
		慕容 令狐 长孙 長孫 宇文 司徒 司空 夏侯 轩辕 軒轅 端木 独孤 獨孤 南宫 南宮 西门 西門
		呼延 澹台 澹臺 百里 东郭 東郭 钟离 鍾離 鲜于 鮮于 闻人 聞人 万俟 萬俟 太史 申屠 公羊
		赫连 赫連 拓跋 濮阳 濮陽 宗政 第五 左丘 谷梁 穀梁 梁丘 乐正 樂正 漆雕 巫马 巫馬 公冶`) {
		compoundSurnames[s] = true
	}
}

// MaskName masks a name as published cases show it: the surname kept, the
// given name replaced by 某, one per character up to two: 张伟华 -> 张某某,
// 张伟 -> 张某, 欧阳娜娜 -> 欧阳某某. A name with a middle dot (a
// transliterated one) keeps its first character: 买买提·艾力 -> 买某某.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	rs := []rune(name)
	if len(rs) == 0 {
		return ""
	}
	if strings.ContainsAny(name, "·•・") || !unicode.Is(unicode.Han, rs[0]) {
		return string(rs[0]) + "某某"
	}
	surname := 1
	if len(rs) >= 3 && compoundSurnames[string(rs[:2])] {
		surname = 2
	}
	given := min(max(len(rs)-surname, 1), 2)
	return string(rs[:surname]) + strings.Repeat("某", given)
}

// maxNameGap is the most separator characters matchName skips between two
// characters of a name: enough for 张 · 伟华 or 张-_-伟华, few enough that
// two words of a sentence are not read as one name.
const maxNameGap = 3

// isNameGap reports whether r may stand between the characters of a name
// that someone spaced out or dotted to get it past the check: white space,
// punctuation (·, ・, -, .), symbols and invisible format characters.
func isNameGap(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Cf, r)
}

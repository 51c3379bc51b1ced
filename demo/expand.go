package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"ethicsportal/store"
)

// vars holds the values a template's {names} take.
type vars map[string]string

// expand writes the template t: each "[a|b|c]" becomes one of its
// alternatives, picked with r (an alternative may be empty; brackets do not
// nest), and each "{name}" becomes v[name]. A name v lacks stays as written,
// braces included, so that the tests, which look for braces in the output,
// catch a template naming a value nobody sets.
func expand(r *rand.Rand, t string, v vars) string {
	var b strings.Builder
	b.Grow(len(t) + len(t)/2)
	for len(t) > 0 {
		i := strings.IndexAny(t, "[{")
		if i < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		t = t[i:]
		if t[0] == '[' {
			j := strings.IndexByte(t, ']')
			if j < 0 {
				b.WriteString(t)
				break
			}
			alts := strings.Split(t[1:j], "|")
			substitute(&b, alts[r.IntN(len(alts))], v)
			t = t[j+1:]
			continue
		}
		j := strings.IndexByte(t, '}')
		if j < 0 {
			b.WriteString(t)
			break
		}
		substitute(&b, t[:j+1], v)
		t = t[j+1:]
	}
	return b.String()
}

// substitute writes s with its {names} replaced.
func substitute(b *strings.Builder, s string, v vars) {
	for len(s) > 0 {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		name := s[i+1 : i+j]
		if val, ok := v[name]; ok {
			b.WriteString(val)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// pick returns one of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// levelled keeps the templates that fit a sanction level: a template may
// begin with "^N" (only from level N up) or "_N" (only up to level N).
func levelled(ts []string, level int) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if len(t) >= 2 && (t[0] == '^' || t[0] == '_') && t[1] >= '1' && t[1] <= '4' {
			n := int(t[1] - '0')
			if (t[0] == '^' && level < n) || (t[0] == '_' && level > n) {
				continue
			}
			t = t[2:]
		}
		out = append(out, t)
	}
	return out
}

var cnDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// cn writes 0 < n < 100 in Chinese numerals: 7 七, 12 十二, 40 四十, 47 四十七.
func cn(n int) string {
	switch {
	case n < 10:
		return cnDigits[n]
	case n < 20:
		return "十" + strings.TrimPrefix(cnDigits[n%10], "零")
	case n%10 == 0:
		return cnDigits[n/10] + "十"
	default:
		return cnDigits[n/10] + "十" + cnDigits[n%10]
	}
}

// cnDate writes a date as 2023年5月12日.
func cnDate(d store.Date) string {
	y, m, dd := dateParts(d)
	return fmt.Sprintf("%d年%d月%d日", y, int(m), dd)
}

// cnMonth writes the month of a date as 2023年5月.
func cnMonth(d store.Date) string {
	y, m, _ := dateParts(d)
	return fmt.Sprintf("%d年%d月", y, int(m))
}

// when writes when something happened, as precisely as a case would.
func when(r *rand.Rand, d store.Date) string {
	y, m, _ := dateParts(d)
	switch x := r.IntN(10); {
	case x < 4:
		return cnDate(d)
	case x < 9:
		return cnMonth(d)
	case m <= 6:
		return fmt.Sprintf("%d年上半年", y)
	default:
		return fmt.Sprintf("%d年下半年", y)
	}
}

// money writes an amount of yuan as a case would: 800, 2600, 1.2万.
func money(n int) string {
	if n >= 10000 {
		s := fmt.Sprintf("%.1f", float64(n)/10000)
		return strings.TrimSuffix(s, ".0") + "万"
	}
	return fmt.Sprint(n)
}

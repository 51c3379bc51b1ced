package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"ethicsportal/store"
)

// text writes the public text of one case from its plan.
type text struct {
	p         *plan
	v         vars
	sanctions []store.Sanction
	auth      string // the authority as the Authority field names it
	authShort string // as the text names it: 区教委, 该校...
	inv       string // who investigated
	laws      string // the rules the decision cites, as written in the body
	followUp  bool   // the body ends with a paragraph on what followed
}

// vars sets the values the templates of p's scenario use.
func (g *Generator) vars(r *rand.Rand, p *plan) vars {
	st := p.st
	v := vars{
		"T": p.subject, "S": p.school, "D": p.district, "role": p.role, "unit": st.unit, "head": st.head,
		"P": st.pupil, "PP": st.pupil + "家长", "cls": pick(r, st.classes), "lesson": pick(r, st.lessons),
		"campus": "校内", "when": when(r, p.incident), "date": cnDate(p.decision),
		"when2": cnMonth(p.incident.AddDays(30 + r.IntN(90))),
		"rep":   cnMonth(p.incident.AddDays(3 + r.IntN(max(1, daysBetween(p.incident, p.decision)/2)))),
		"n":     pick(r, []string{"两", "三", "四", "五", "六", "八"}),
		"n2":    fmt.Sprint(6 + r.IntN(43)),
		"amt3":  pick(r, []string{"100", "150", "200", "260", "300", "400"}),
	}
	v["enroll"] = pick(r, []string{"招生", "入学审核"})
	if st.id == "kindergarten" {
		v["campus"] = "园内"
		v["enroll"] = "入园报名"
		v["P1"] = "一名" + pick(r, st.grades) + "幼儿"
	} else {
		v["P1"] = "一名" + pick(r, st.grades) + "学生"
	}
	v["subj"] = pick(r, subjects[st.id])
	if s, ok := strings.CutSuffix(p.role, "教师"); ok && slices.Contains(subjects[st.id], s) {
		v["subj"] = s
	}
	amounts := [5][]int{1: {600, 800, 1000, 1200, 1500, 2000, 2400, 3000}, 2: {1500, 2000, 3000, 3600, 5000, 6000, 8000},
		3: {6000, 8000, 9600, 12000, 15000, 24000}, 4: {12000, 24000, 36000, 48000, 66000, 128000}}
	v["amt"] = money(pick(r, amounts[p.level]))
	return v
}

// authorityNames names who decided, in the Authority field and in the
// text, and who investigated.
func authorityNames(r *rand.Rand, p *plan) (full, short, inv string) {
	d := p.district
	switch p.auth {
	case bySchool:
		full = p.school
		if !strings.HasPrefix(full, "北京市") {
			full = "北京市" + full
		}
		short = p.st.unit
		if p.st.id == "kindergarten" {
			return full, short, pick(r, []string{p.st.unit, "幼儿园"})
		}
		return full, short, pick(r, []string{p.st.unit, "学校"})
	case byDiscipline:
		return "北京市" + d + "纪委监委", pick(r, []string{"区纪委监委", d + "纪委监委"}),
			pick(r, []string{"区纪委监委", "区纪委监委会同区教委"})
	case byCity:
		return "北京市教育委员会", "市教委", "市教委会同" + d + "教委"
	default:
		s := pick(r, []string{"区教委", d + "教委"})
		side := "校方"
		if p.st.id == "kindergarten" {
			side = "园方"
		}
		return "北京市" + d + "教育委员会", s, pick(r, []string{s, s + "会同" + side})
	}
}

// details writes each sanction as the decision words it.
func (t *text) details(r *rand.Rand) []store.Sanction {
	p := t.p
	disc := p.auth == byDiscipline
	y, _, _ := dateParts(p.decision)
	out := make([]store.Sanction, len(p.types))
	for i, typ := range p.types {
		var d string
		switch typ {
		case "warning":
			d = pickDisc(r, disc, "给予政务警告处分", "给予警告处分", "给予警告处分，处分期六个月")
		case "demerit":
			d = pickDisc(r, disc, "给予政务记过处分", "给予记过处分", "给予记过处分，处分期十二个月")
		case "major_demerit":
			d = pickDisc(r, disc, "给予政务记大过处分", "给予记大过处分", "给予记大过处分，处分期十八个月")
		case "demotion":
			n := 7 + r.IntN(5)
			d = pickDisc(r, disc, "给予政务降级处分", "给予降低岗位等级处分",
				fmt.Sprintf("降低岗位等级，由专业技术%s级岗位降至%s级岗位", cn(n), cn(n+1)), "给予降低岗位等级处分，处分期二十四个月")
		case "removal":
			d = pickDisc(r, disc, "给予政务撤职处分，免去其"+p.post+"职务", "撤销其"+p.post+"职务", "给予撤职处分，撤销其"+p.post+"职务")
		case "dismissal":
			if p.private {
				d = pick(r, []string{"解除劳动合同", "予以辞退，解除劳动合同"})
			} else {
				d = pickDisc(r, disc, "给予政务开除处分", "给予开除处分", "给予开除处分，解除聘用合同")
			}
		case "public_criticism":
			if p.auth == bySchool {
				d = pick(r, []string{"予以通报批评", "在全校范围内通报批评"})
			} else {
				d = pick(r, []string{"予以通报批评", "在全区教育系统内通报批评"})
			}
		case "disqualified_from_honours":
			d = pick(r, []string{fmt.Sprintf("取消其%d年度评优评先资格", y), "取消其当年度评优评先、职称评审和岗位晋级资格", "两年内不得参加评优评先"})
		case "removed_from_teaching":
			d = pick(r, []string{"调离教师岗位", "调离教学岗位", "调离教师岗位，不得再担任班主任"})
		case "revoke_qualification":
			d = pick(r, []string{"撤销其教师资格", "依法撤销其教师资格，五年内不得重新申请认定教师资格", "撤销其教师资格，收缴其教师资格证书"})
		case "industry_ban":
			if p.banLife {
				d = pick(r, []string{"终身禁止从事教育工作", "列入教育行业从业禁止人员名单，终身不得从事教育工作"})
			} else {
				d = pick(r, []string{"五年内禁止从事教育工作", "五年内不得从事教育教学工作"})
			}
		}
		out[i] = store.Sanction{Type: typ, Detail: d}
	}
	return out
}

// pickDisc returns the first wording for a discipline commission's
// decision, otherwise one of the others.
func pickDisc(r *rand.Rand, disc bool, discipline string, others ...string) string {
	if disc {
		return discipline
	}
	return pick(r, others)
}

// outcome phrases a sanction as a title ends with it (…被撤销教师资格).
var outcome = map[string]string{
	"warning": "受到警告处分", "demerit": "受到记过处分", "major_demerit": "受到记大过处分",
	"demotion": "被降低岗位等级", "removal": "被撤职", "dismissal": "被开除",
	"public_criticism": "被通报批评", "disqualified_from_honours": "被取消评优评先资格",
	"removed_from_teaching": "被调离教师岗位", "revoke_qualification": "被撤销教师资格",
	"industry_ban": "被禁止从事教育工作",
}

// gravity orders sanction types from the gravest.
var gravity = []string{"industry_ban", "revoke_qualification", "dismissal", "removal", "demotion", "major_demerit",
	"removed_from_teaching", "demerit", "warning", "public_criticism", "disqualified_from_honours"}

func (t *text) gravest() string {
	for _, g := range gravity {
		if slices.Contains(t.p.types, g) {
			return g
		}
	}
	return t.p.types[0]
}

// title writes a headline such as 海淀区某小学教师张某某体罚学生问题.
func (t *text) title(r *rand.Rand) string {
	p := t.p
	role := "教师"
	if r.IntN(10) < 3 {
		role = p.role
	}
	act := t.v["act"]
	masked := p.district + p.st.masked
	end := outcome[t.gravest()]
	if t.gravest() == "dismissal" && p.private {
		end = "被解聘"
	}
	switch r.IntN(6) {
	case 0, 1:
		return masked + role + p.subject + act + "问题"
	case 2:
		return p.school + role + p.subject + act
	case 3:
		return masked + role + p.subject + act + end
	case 4:
		return "关于" + p.school + role + p.subject + act + "问题的通报"
	default:
		return p.subject + "（" + masked + role + "）" + act + end
	}
}

// summaryPhrase words a sanction in a summary, with its verb.
func summaryPhrase(p *plan, typ string) string {
	switch typ {
	case "warning":
		return "给予其警告处分"
	case "demerit":
		return "给予其记过处分"
	case "major_demerit":
		return "给予其记大过处分"
	case "demotion":
		return "给予其降低岗位等级处分"
	case "removal":
		return "撤销其" + p.post + "职务"
	case "dismissal":
		if p.private {
			return "与其解除劳动合同"
		}
		return "给予其开除处分"
	case "public_criticism":
		return "予以通报批评"
	case "disqualified_from_honours":
		return "取消其评优评先资格"
	case "removed_from_teaching":
		return "将其调离教师岗位"
	case "revoke_qualification":
		return "撤销其教师资格"
	default: // industry_ban
		if p.banLife {
			return "终身禁止其从事教育工作"
		}
		return "五年内禁止其从事教育工作"
	}
}

func (t *text) sanctionPhrase() string {
	ps := make([]string, len(t.p.types))
	for i, typ := range t.p.types {
		ps[i] = summaryPhrase(t.p, typ)
	}
	if len(ps) == 1 {
		return ps[0]
	}
	return strings.Join(ps[:len(ps)-1], "，") + "，并" + ps[len(ps)-1]
}

// summary writes one or two sentences: what happened and what was decided.
func (t *text) summary(r *rand.Rand) string {
	p, v := t.p, t.v
	act := v["act"]
	switch r.IntN(4) {
	case 0:
		return v["when"] + "，" + p.school + p.role + p.subject + act + "。" + t.authShort + t.sanctionPhrase() + "。"
	case 1:
		return p.school + p.role + p.subject + act + "，违反了" + t.code() + "有关规定。" + t.authShort + "依规" + t.sanctionPhrase() + "。"
	case 2:
		return p.subject + "系" + p.school + p.role + "，因" + act + "，经查属实，" + t.authShort + t.sanctionPhrase() + "。"
	default:
		return p.school + p.role + p.subject + act + "，" + t.authShort + "于" + v["date"] + t.sanctionPhrase() + "。"
	}
}

func (t *text) code() string {
	if t.p.st.id == "kindergarten" {
		return codeKG
	}
	return codeSchool
}

// cite names the guidelines breached, with their wording when there is one.
func (t *text) cite(r *rand.Rand) string {
	gs := &guidelines
	if t.p.st.id == "kindergarten" {
		gs = &kgGuidelines
	}
	if len(t.p.cats) == 1 {
		g := gs[t.p.cats[0]]
		if !t.p.sc.bare && r.IntN(2) == 0 {
			return t.code() + "第" + g.num + "项“" + g.name + "”中“" + g.rule + "”"
		}
		return t.code() + "第" + g.num + "项“" + g.name + "”"
	}
	parts := make([]string, len(t.p.cats))
	for i, c := range t.p.cats {
		parts[i] = "第" + gs[c].num + "项“" + gs[c].name + "”"
	}
	return t.code() + strings.Join(parts, "和")
}

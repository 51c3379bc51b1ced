package demo

import (
	"math/rand/v2"
	"strings"

	"ethicsportal/store"
)

var investigations = []string{
	"{rep}，{inv}[接到|收到]{src}，[随即|立即|第一时间]成立调查组，通过{methods}等方式进行核查。经查，{found}。",
	"{inv}接到{src}后，对有关情况进行了调查核实。经查，{found}。{T}对上述事实[供认不讳|无异议|予以承认][，并作出书面检查|，表示深刻反省|]。",
	"问题线索反映后，{inv}[高度重视|迅速介入]，[暂停了{T}的教育教学工作|责令{T}停职接受调查|及时开展调查]。经[调查组|{inv}]调查核实，{found}。",
	"{unit}在[日常检查|教学巡查|师德师风专项检查]中发现上述问题，并及时报告[区教委|上级部门]。经查，{found}。",
}

var decisions = []string{
	"{T}的[上述|]行为违反了{cite}的规定{grav}。依据{laws}[等有关规定|的有关规定]，经{auth}研究决定，对{T}作出如下处理：{semi}。",
	"{auth}认为，{T}的行为违反了{cite}的规定{grav}。根据{laws}[等有关规定|的规定]，{auth}于{date}作出处理决定：{comma}。",
	"经{auth}[研究|集体研究]，认定{T}的行为违反了{cite}的规定{grav}。依据{laws}[等有关规定|的有关规定]，决定：{comma}。",
}

var gravityWords = [5][]string{
	1: {"", "，造成了不良影响"},
	2: {"，造成了不良影响", "，情节较重"},
	3: {"，情节较重", "，造成了恶劣影响", "，严重损害了教师队伍形象"},
	4: {"，情节严重，性质恶劣", "，造成了恶劣的社会影响", "，严重损害了人民教师的职业形象"},
}

var followUps = []string{
	"同时，{D}教委对{unit}主要负责人进行了[约谈|提醒谈话|诫勉谈话]，责令{unit}[深刻反思、全面整改|举一反三、堵塞漏洞]，[切实加强师德师风建设|严格落实师德第一标准]。",
	"{D}教委要求全区各级各类学校以此为戒，[进一步加强师德师风建设|引导广大教师坚守师德底线]，对师德失范行为[零容忍|坚决查处、绝不姑息]。",
	"{unit}已召开全体教职工大会通报此事，开展师德警示教育[，引导教师引以为戒|]。",
	"{unit}{head}因履行管理责任不力，被[约谈|通报批评]。",
}

// body writes two to four paragraphs: what happened, how it was
// investigated, what was decided and on what grounds, and what followed.
func (t *text) body(r *rand.Rand) string {
	p, v := t.p, t.v
	v["found"] = expand(r, pick(r, levelled(p.sc.found, p.level)), v)
	v["src"] = expand(r, pick(r, sources), v)
	v["inv"] = t.inv
	v["auth"] = t.authShort
	ms := append([]string(nil), methods...)
	if p.sc.money {
		ms = append(ms, "核查转账记录")
	}
	r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	v["methods"] = expand(r, strings.Join(ms[:2+r.IntN(2)], "、"), v)
	v["cite"] = t.cite(r)
	v["grav"] = pick(r, gravityWords[p.level])
	t.laws = t.lawList(r)
	v["laws"] = t.laws
	ds := make([]string, len(t.sanctions))
	for i, s := range t.sanctions {
		ds[i] = s.Detail
	}
	v["semi"] = strings.Join(ds, "；")
	v["comma"] = strings.Join(ds, "，")

	facts := expand(r, pick(r, levelled(p.sc.facts, p.level)), v)
	inv := expand(r, pick(r, investigations), v)
	paras := []string{facts, inv}
	if r.IntN(100) < 15 {
		paras = []string{facts + inv}
	}
	paras = append(paras, expand(r, pick(r, decisions), v))
	if r.IntN(2) == 0 {
		var f string
		if len(p.sc.after) > 0 && r.IntN(2) == 0 {
			f = expand(r, pick(r, p.sc.after), v)
		}
		if f == "" || r.IntN(3) == 0 {
			f += expand(r, pick(r, followUps), v)
		}
		paras = append(paras, f)
		t.followUp = true
	}
	return strings.Join(paras, "\n\n")
}

// lawList names the rules a decision rests on, beside the guidelines.
func (t *text) lawList(r *rand.Rand) string {
	p := t.p
	laws := "《中小学教师违反职业道德行为处理办法》"
	if p.st.id == "kindergarten" {
		laws = "《幼儿园教师违反职业道德行为处理办法》"
	}
	switch {
	case p.auth == byDiscipline:
		laws += "《中华人民共和国公职人员政务处分法》"
	case !p.private && p.level >= 2 && r.IntN(2) == 0:
		laws += "《事业单位工作人员处分规定》"
	}
	for _, s := range p.types {
		if s == "revoke_qualification" {
			laws += "《教师资格条例》"
		}
	}
	if r.IntN(5) == 0 {
		laws = "《中华人民共和国教师法》" + laws
	}
	return laws
}

// undo makes the content as it stood before an amendment of cur, and the
// amendment's public note.
func (t *text) undo(r *rand.Rand, cur store.CaseContent) (string, store.CaseContent) {
	prev := cur
	prev.Categories = append([]int(nil), cur.Categories...)
	prev.Sanctions = append([]store.Sanction(nil), cur.Sanctions...)
	replace := func(from, to string, fields ...*string) {
		for _, f := range fields {
			*f = strings.ReplaceAll(*f, from, to)
		}
	}
	for {
		switch r.IntN(7) {
		case 0:
			d := cur.DecisionDate.AddDays(-1 - r.IntN(12))
			if !d.After(cur.IncidentDate) {
				continue
			}
			prev.DecisionDate = d
			replace(cnDate(cur.DecisionDate), cnDate(d), &prev.Summary, &prev.Body)
			return pick(r, []string{"更正处分日期", "更正处分决定日期"}), prev
		case 1:
			d := cur.IncidentDate.AddDays(1 + r.IntN(20))
			if !d.Before(cur.DecisionDate) {
				continue
			}
			prev.IncidentDate = d
			replace(cnDate(cur.IncidentDate), cnDate(d), &prev.Title, &prev.Summary, &prev.Body)
			replace(cnMonth(cur.IncidentDate), cnMonth(d), &prev.Title, &prev.Summary, &prev.Body)
			return "更正事发时间", prev
		case 2:
			other := schoolName(r, t.p.st, t.p.district, t.p.private)
			if other == cur.School || !strings.Contains(cur.Body+cur.Title+cur.Summary, cur.School) {
				continue
			}
			prev.School = other
			replace(cur.School, other, &prev.Title, &prev.Summary, &prev.Body, &prev.Authority)
			return "更正学校名称", prev
		case 3:
			i := r.IntN(len(cur.Sanctions))
			full := cur.Sanctions[i].Detail
			short, _, ok := strings.Cut(full, "，")
			if !ok || !strings.Contains(cur.Body, full) {
				continue
			}
			prev.Sanctions[i].Detail = short
			replace(full, short, &prev.Body)
			return pick(r, []string{"更正处分表述", "补充处分期限等表述"}), prev
		case 4:
			first, _, ok := strings.Cut(t.laws, "》《")
			if !ok || !strings.Contains(cur.Body, t.laws) {
				continue
			}
			replace(t.laws, first+"》", &prev.Body)
			return "补充处理依据", prev
		case 5:
			paras := strings.Split(cur.Body, "\n\n")
			if !t.followUp || len(paras) < 3 {
				continue
			}
			t.followUp = false // the paragraph is not there to remove again
			prev.Body = strings.Join(paras[:len(paras)-1], "\n\n")
			return "补充案件后续处理情况", prev
		default:
			s := t.summary(r)
			if s == cur.Summary {
				continue
			}
			prev.Summary = s
			return pick(r, []string{"更正摘要文字表述", "修改案例摘要"}), prev
		}
	}
}

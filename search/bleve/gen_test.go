package bleve

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/longbridgeapp/opencc"

	"ethicsportal/search"
	"ethicsportal/store"
)

// This file generates synthetic published cases for the tests and the benchmark: deterministic
// for a seed, written in the register of real notices (通报), about a tenth of them in
// Traditional characters.

var (
	genDistricts = []string{"东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
		"通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"}
	genStages   = []string{"kindergarten", "primary", "junior_secondary", "senior_secondary", "vocational", "special"}
	genStageZH  = map[string][]string{"kindergarten": {"幼儿园"}, "primary": {"小学", "实验小学", "中心小学"}, "junior_secondary": {"中学", "初级中学", "实验中学"}, "senior_secondary": {"高级中学", "中学", "第一中学"}, "vocational": {"职业学校", "职业高中"}, "special": {"特殊教育学校", "培智学校"}}
	genSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗",
		"梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕"}
	genPlaces   = []string{"育才", "育英", "光明", "红星", "新华", "东风", "实验", "朝阳", "阳光", "向阳", "明德", "博雅", "启明", "春晖", "培英", "建华", "前进", "团结", "和平", "长城", "西山", "北苑", "南湖", "青年路", "花园村", "永定", "燕山", "潮白", "鼓楼", "金台"}
	genSubjects = []string{"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "音乐", "美术", "体育", "信息技术", "科学"}
	genGrades   = []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三", "高一", "高二", "高三", "大班", "中班", "小班"}
	genRoles    = []string{"教师", "班主任", "副校长", "教研组长", "年级组长", "保育员", "教务处主任", "代课教师"}
)

// genScenario is one kind of misconduct with the text that tells it.
type genScenario struct {
	titles     []string
	incidents  []string
	categories []int
	sanctions  [][]store.Sanction
}

var genScenarios = []genScenario{
	{
		titles: []string{"{school}{role}{name}体罚学生问题", "{district}{school}教师{name}体罚学生被处理", "关于{school}{name}体罚学生的通报"},
		incidents: []string{
			"{date}，{name}在{grade}{subject}课堂上因学生未完成作业，对学生实施罚站、推搡等体罚行为，造成{count}名学生身体不适。",
			"{date}，{name}以学生上课讲话为由，用教鞭击打学生手心，并罚学生在走廊站立两节课，严重损害学生身心健康。",
			"{name}多次在课间对{grade}学生进行体罚和变相体罚，罚抄作业{count}遍，家长向学校反映后仍未改正。",
		},
		categories: []int{5, 7},
		sanctions:  [][]store.Sanction{{{Type: "warning", Detail: "给予警告处分"}}, {{Type: "demerit", Detail: "给予记过处分"}, {Type: "disqualified_from_honours", Detail: "取消当年评优评先资格"}}},
	},
	{
		titles: []string{"{school}教师{name}违规有偿补课问题", "{district}{name}组织学生有偿补课被查处", "关于{name}在校外培训机构兼职补课的通报"},
		incidents: []string{
			"{date}起，{name}利用周末在校外租用场所，组织本班{count}名学生参加有偿补课，收取补课费用共计{amount}元。",
			"{name}私下动员所教{grade}学生参加其在校外培训机构开设的{subject}辅导班，每课时收费{money}元，共计获利{amount}元。",
			"经查，{name}于寒暑假期间在家中举办{subject}补习班，向家长收取费用{amount}元，并暗示不参加的学生将受到冷落。",
		},
		categories: []int{4, 9, 10},
		sanctions:  [][]store.Sanction{{{Type: "warning", Detail: "给予警告处分"}, {Type: "public_criticism", Detail: "全区通报批评"}}, {{Type: "demerit", Detail: "给予记过处分"}}},
	},
	{
		titles: []string{"{school}{role}{name}收受家长礼品礼金问题", "{district}教师{name}违规收受礼金被处分", "关于{name}索要、收受家长财物的通报"},
		incidents: []string{
			"{date}，{name}在教师节期间收受学生家长赠送的购物卡{count}张，价值{amount}元，并接受家长宴请。",
			"{name}以调整座位、安排班干部为由，多次向家长索要礼品礼金，累计金额{amount}元。",
			"经查，{name}通过微信红包收受{count}名学生家长礼金共计{amount}元，违反廉洁从教规定。",
		},
		categories: []int{8, 9},
		sanctions:  [][]store.Sanction{{{Type: "demerit", Detail: "给予记过处分"}, {Type: "disqualified_from_honours", Detail: "取消三年评优评先资格"}}, {{Type: "demotion", Detail: "降低岗位等级"}}},
	},
	{
		titles: []string{"{school}教师{name}猥亵学生问题", "{district}{school}{name}性骚扰学生被开除", "关于{name}对学生实施猥亵行为的通报"},
		incidents: []string{
			"{date}，{name}在办公室单独辅导学生期间，对{grade}女学生实施猥亵行为，公安机关已依法立案侦查。",
			"{name}多次通过社交软件向学生发送带有性暗示的信息，并在校外对学生进行骚扰，造成恶劣影响。",
		},
		categories: []int{5, 7},
		sanctions: [][]store.Sanction{
			{{Type: "dismissal", Detail: "给予开除处分"}, {Type: "revoke_qualification", Detail: "撤销其教师资格"}, {Type: "industry_ban", Detail: "终身禁止从事教育工作"}},
			{{Type: "dismissal", Detail: "解除聘用合同"}, {Type: "industry_ban", Detail: "五年内禁止从事教育工作"}},
		},
	},
	{
		titles: []string{"{school}教师{name}辱骂学生问题", "{district}{name}言语侮辱学生被处理", "关于{name}在课堂上发表不当言论的通报"},
		incidents: []string{
			"{date}，{name}在{subject}课上使用侮辱性语言辱骂学生，称学生“笨得像猪”，相关视频在网络传播，造成不良影响。",
			"{name}在家长群中公开学生考试排名并讽刺挖苦成绩落后的学生，伤害学生自尊心。",
			"{name}在课堂上多次发表与教师身份不符的不当言论，经家长举报后查实。",
		},
		categories: []int{1, 5, 7},
		sanctions:  [][]store.Sanction{{{Type: "warning", Detail: "给予警告处分"}}, {{Type: "removed_from_teaching", Detail: "调离教师岗位"}, {Type: "public_criticism", Detail: "通报批评"}}},
	},
	{
		titles: []string{"{school}{name}学术不端问题", "{district}教师{name}论文抄袭被处分", "关于{name}职称评审材料弄虚作假的通报"},
		incidents: []string{
			"{name}在申报高级职称过程中，提交的{count}篇论文存在大量抄袭，且伪造获奖证书，违反公平诚信原则。",
			"经查，{name}在{subject}教学成果评比中抄袭他人课件和教案，骗取区级奖励。",
		},
		categories: []int{8},
		sanctions:  [][]store.Sanction{{{Type: "demerit", Detail: "给予记过处分"}, {Type: "disqualified_from_honours", Detail: "五年内不得参加职称评审"}}, {{Type: "demotion", Detail: "降低岗位等级"}}},
	},
	{
		titles: []string{"{school}{role}{name}违规推销教辅资料问题", "{district}{name}向学生推销商品被查处", "关于{name}违规征订教辅资料的通报"},
		incidents: []string{
			"{date}，{name}要求所教{grade}学生统一购买指定的{subject}教辅资料{count}套，从中获取回扣{amount}元。",
			"{name}在班级内向学生和家长推销保健品及课外读物，利用职务之便谋取私利。",
		},
		categories: []int{9, 10},
		sanctions:  [][]store.Sanction{{{Type: "warning", Detail: "给予警告处分"}}, {{Type: "demerit", Detail: "给予记过处分"}, {Type: "public_criticism", Detail: "全市通报批评"}}},
	},
	{
		titles: []string{"{school}{name}安全责任事故问题", "{district}{school}教师{name}擅离岗位致学生受伤", "关于{name}组织活动安全措施不落实的通报"},
		incidents: []string{
			"{date}，{name}在组织{grade}学生春游活动时擅离职守，致{count}名学生在河边玩耍时落水受伤。",
			"{name}在体育课上未按规定做好安全防护，学生在器械练习中摔伤，事后隐瞒不报。",
		},
		categories: []int{6},
		sanctions:  [][]store.Sanction{{{Type: "demerit", Detail: "给予记过处分"}}, {{Type: "removal", Detail: "撤销其年级组长职务"}}, {{Type: "major_demerit", Detail: "给予记大过处分"}}},
	},
	{
		titles: []string{"{school}{name}歧视学生问题", "{district}{name}区别对待学生被处理", "关于{name}在招生中违规操作的通报"},
		incidents: []string{
			"{name}根据家长职业和经济条件安排学生座位，对家庭困难学生冷嘲热讽，造成不良社会影响。",
			"{date}，{name}在{school}招生工作中违规接收择校费{amount}元，破坏教育公平。",
		},
		categories: []int{4, 8},
		sanctions:  [][]store.Sanction{{{Type: "warning", Detail: "给予警告处分"}}, {{Type: "removal", Detail: "免去其教务处主任职务"}, {Type: "demerit", Detail: "给予记过处分"}}},
	},
	{
		titles: []string{"{school}{name}传播不良信息问题", "{district}教师{name}在网络发布错误言论被处分", "关于{name}违规参与营利活动的通报"},
		incidents: []string{
			"{name}在个人社交账号多次发布歪曲历史、损害国家形象的错误言论，经批评教育拒不改正。",
			"{date}，{name}在课堂上向学生传播封建迷信内容，并组织学生参与校外营利活动。",
		},
		categories: []int{1, 2, 3},
		sanctions:  [][]store.Sanction{{{Type: "removed_from_teaching", Detail: "调离教师岗位"}}, {{Type: "dismissal", Detail: "给予开除处分"}, {Type: "revoke_qualification", Detail: "撤销其教师资格"}}},
	},
}

var genOpening = []string{
	"近日，{district}教育委员会接到群众举报，反映{school}{role}{name}存在违反师德师风的问题。",
	"{date}，{district}教委在日常督查中发现{school}{role}{name}存在师德失范行为。",
	"根据家长来信来访反映的线索，{district}教育纪检部门对{school}{name}的问题进行了调查核实。",
	"{school}接到学生家长反映后，第一时间向{district}教委报告，并成立工作专班开展调查。",
}

var genClosing = []string{
	"上述行为违反了《新时代中小学教师职业行为十项准则》相关规定，造成了不良影响。依据《中小学教师违反职业道德行为处理办法》，经研究决定，对{name}{sanction}。同时，对{school}主要负责人进行约谈，责令学校深刻反思、全面整改。",
	"{name}的行为严重违反教师职业道德规范，损害了人民教师的良好形象。经{authority}研究，决定对其{sanction}，并责成{school}在全校范围内开展警示教育。",
	"调查期间，{name}对所犯错误认识不深刻。依据有关规定，{authority}决定对其{sanction}，相关情况记入教师诚信档案。",
}

var genWarning = []string{
	"广大教师要以此为戒，牢记立德树人根本任务，自觉遵守职业行为准则，做学生健康成长的引路人。",
	"各区各校要认真落实师德师风建设主体责任，坚持教育与惩处相结合，对师德失范问题零容忍、严查处。",
	"全市教育系统要举一反三，加强日常监督管理，畅通举报渠道，营造风清气正的育人环境。",
	"",
}

// genCases returns n synthetic cases for seed, in no particular order of dates.
func genCases(tb testing.TB, seed uint64, n int) []search.Document {
	tb.Helper()
	s2t, err := opencc.New("s2t")
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	docs := make([]search.Document, n)
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		sc := genScenarios[r.IntN(len(genScenarios))]
		district := pick(genDistricts)
		stage := pick(genStages)
		school := district[:len(district)-len("区")] + pick(genPlaces) + pick(genStageZH[stage])
		name := pick(genSurnames) + "某某"
		if r.IntN(4) == 0 {
			name = pick(genSurnames) + "某"
		}
		decision := base.AddDate(0, 0, r.IntN(3650))
		incident := decision.AddDate(0, 0, -r.IntN(120)-5)
		sanctions := sc.sanctions[r.IntN(len(sc.sanctions))]
		var sanctionText []string
		for _, s := range sanctions {
			sanctionText = append(sanctionText, s.Detail)
		}
		authority := district[:len(district)-len("区")] + "区教育委员会"
		repl := strings.NewReplacer(
			"{school}", school, "{district}", district, "{name}", name, "{role}", pick(genRoles),
			"{grade}", pick(genGrades), "{subject}", pick(genSubjects), "{date}", incident.Format("2006年1月2日"),
			"{count}", fmt.Sprint(2+r.IntN(30)), "{amount}", fmt.Sprint(500+r.IntN(100)*100), "{money}", fmt.Sprint(100+r.IntN(20)*10),
			"{sanction}", strings.Join(sanctionText, "、"), "{authority}", authority,
		)
		title := repl.Replace(pick(sc.titles))
		incidentText := repl.Replace(pick(sc.incidents))
		var body []string
		body = append(body, repl.Replace(pick(genOpening)), incidentText)
		if r.IntN(2) == 0 {
			body = append(body, repl.Replace(pick(sc.incidents)))
		}
		body = append(body, repl.Replace(pick(genClosing)))
		if w := pick(genWarning); w != "" {
			body = append(body, w)
		}
		summary := incidentText
		if r.IntN(3) == 0 {
			summary = name + "，" + school + "教师。" + incidentText
		}
		d := search.Document{
			ID:    genID(r),
			Title: title, Summary: summary, Body: strings.Join(body, "\n\n"),
			SubjectName: name, School: school, Authority: authority,
			District: district, Stage: stage, Categories: sc.categories, Sanctions: sanctions,
			DecisionDate: store.NewDate(decision.Year(), decision.Month(), decision.Day()),
			PublishedAt:  decision.AddDate(0, 0, 3+r.IntN(20)).Add(time.Duration(r.IntN(86400)) * time.Second),
		}
		if r.IntN(10) == 0 {
			d = traditional(tb, s2t, d)
		}
		docs[i] = d
	}
	return docs
}

// traditional writes d's text in Traditional characters.
func traditional(tb testing.TB, cc *opencc.OpenCC, d search.Document) search.Document {
	conv := func(s string) string {
		t, err := cc.Convert(s)
		if err != nil {
			tb.Fatal(err)
		}
		return t
	}
	d.Title, d.Summary, d.Body = conv(d.Title), conv(d.Summary), conv(d.Body)
	d.SubjectName, d.School, d.Authority = conv(d.SubjectName), conv(d.School), conv(d.Authority)
	return d
}

// genID makes an opaque id as app does: 16 characters of lowercase base32.
func genID(r *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 16)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

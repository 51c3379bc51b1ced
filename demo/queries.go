package demo

import (
	"math/rand/v2"
	"strings"
)

// terms are words people would search the cases for, each of which the
// generator writes: places, schools, roles, what was done, sanctions,
// authorities and the guidelines.
var terms = []string{
	// places and schools
	"东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
	"通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
	"幼儿园", "小学", "中学", "高级中学", "职业学校", "职业高中", "特殊教育学校", "培智学校",
	"实验小学", "中心小学", "双语幼儿园", "实验中学",
	// roles and subjects
	"教师", "班主任", "语文教师", "数学教师", "英语教师", "体育教师", "副校长", "教导主任",
	"年级主任", "教研组长", "实习指导教师", "带班教师", "主班教师", "专业课教师",
	"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理",
	// what was done
	"体罚", "变相体罚", "殴打", "推搡", "罚站", "罚抄", "辱骂", "侮辱", "讽刺挖苦", "歧视",
	"学困生", "隐私", "家长群", "心理测评", "轻伤", "骨折", "虐待", "监控", "幼儿",
	"收受", "礼品", "礼金", "购物卡", "礼品卡", "红包", "烟酒", "宴请", "旅游", "推销",
	"教辅材料", "教辅资料", "课外读物", "回扣", "索要", "调整座位", "班干部", "三好学生",
	"家长资源", "商业保险", "理财产品", "佣金", "实习", "介绍费", "有偿补课", "补课费",
	"补习班", "一对一", "线上", "直播", "校外培训机构", "生源", "兼职", "兼职兼薪",
	"培训机构", "营利性演出", "早教机构", "敷衍教学", "备课", "玩手机", "旷工", "擅自离岗",
	"停课", "双减", "书面作业", "替班", "空岗", "性骚扰", "不正当关系", "不雅信息",
	"社交软件", "短视频", "低俗", "争执", "论文", "抄袭", "查重", "职称评审", "骨干教师",
	"伪造", "获奖证书", "弄虚作假", "监考", "作弊", "试题", "成绩", "体质健康测试",
	"综合素质评价", "招生", "徇私舞弊", "擅离职守", "实验课", "研学", "春游", "走失",
	"午睡", "滑梯", "烫伤", "送医", "火情", "疏散", "醉酒驾驶", "酒后驾驶", "危险驾驶罪",
	"拘役", "赌博", "行政拘留", "殴打他人", "失信被执行人", "诈骗", "有期徒刑", "虚假信息",
	"谣言", "朋友圈", "封建迷信", "不良信息", "错误言论", "歪曲历史", "社交媒体", "家长会",
	// sanctions and who decided
	"警告", "警告处分", "记过", "记过处分", "记大过", "降低岗位等级", "撤职", "开除", "通报批评",
	"评优评先", "调离教师岗位", "撤销教师资格", "教师资格", "禁止从事教育工作", "终身", "五年",
	"解除劳动合同", "解除聘用合同", "政务", "处分期", "区教委", "纪委监委", "市教委",
	// the guidelines and the investigation
	"关心爱护学生", "坚守廉洁自律", "规范从教行为", "潜心教书育人", "坚持言行雅正", "秉持公平诚信",
	"加强安全防范", "自觉爱国守法", "传播优秀文化", "坚定政治方向", "十项准则", "师德", "师德师风",
	"举报", "调查组", "约谈", "警示教育", "心理疏导", "道歉", "退还", "公安机关", "人民法院",
}

// Queries returns n different one- and two-word search queries for the
// cases of seed, for benchmarks: each word is one the cases contain, the
// two words of a query occur together in at least one case, and about one
// query in twelve is written in Traditional characters. n is at most a few
// thousand; past what the vocabulary gives, fewer are returned.
func Queries(seed int64, n int) []string {
	g, err := NewGenerator(seed, Options{Traditional: -1})
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(uint64(seed), 1<<41))
	// The terms each case of a sample holds.
	var held [][]string
	for i := range 2000 {
		c := g.Case(i)
		text := c.Title + c.Summary + c.Body + c.School + c.Authority
		var ts []string
		for _, t := range terms {
			if strings.Contains(text, t) {
				ts = append(ts, t)
			}
		}
		if len(ts) >= 2 {
			held = append(held, ts)
		}
	}
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for tries := 0; len(out) < n && tries < 50*n; tries++ {
		ts := held[r.IntN(len(held))]
		var q string
		if r.IntN(5) < 2 {
			q = pick(r, ts)
		} else {
			a, b := pick(r, ts), pick(r, ts)
			if strings.Contains(a, b) || strings.Contains(b, a) {
				continue // one word inside the other: one word really
			}
			q = a + " " + b
		}
		if r.IntN(12) == 0 {
			q = g.trad(q)
		}
		if seen[q] {
			continue
		}
		seen[q] = true
		out = append(out, q)
	}
	return out
}

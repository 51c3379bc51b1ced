package demo

// The vocabulary of the cases: who, where, and with what words. Schools are
// invented: an invented place name (two characters no Beijing school is
// named after) or a number no district uses, always with the district.

var districtNames = []string{
	"东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
	"通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
}

// districtWeight roughly follows the number of schools: the populous
// districts see more cases.
var districtWeight = []int{5, 6, 12, 9, 4, 13, 2, 6, 8, 6, 9, 8, 3, 3, 3, 2}

// rural districts have 中心小学 (a township's central primary school).
var rural = map[string]bool{"门头沟区": true, "房山区": true, "怀柔区": true, "平谷区": true, "密云区": true, "延庆区": true, "顺义区": true, "大兴区": true, "昌平区": true, "通州区": true}

// stage is one stage of schooling and the words its cases use.
type stage struct {
	id      string
	letter  byte // in scenario.stages
	weight  int
	pupil   string   // 学生 or 幼儿
	unit    string   // 该校 or 该园
	head    string   // 校长 or 园长
	masked  string   // the school as a masked title writes it: 某小学
	roles   []string // what a subject teaches or does
	posts   []string // posts a removal (撤职) can take away
	grades  []string // for "一名{grade}学生"
	classes []string
	lessons []string
	// schools are name patterns: {D} district, {place}, {N} a number.
	schools, private []string
}

var stages = []*stage{
	{id: "kindergarten", letter: 'k', weight: 14, pupil: "幼儿", unit: "该园", head: "园长", masked: "某幼儿园",
		roles:   []string{"教师", "教师", "主班教师", "配班教师", "带班教师"},
		posts:   []string{"副园长", "保教主任", "教研组长"},
		grades:  []string{"小班", "中班", "大班"},
		classes: []string{"小一班", "小二班", "中一班", "中二班", "中三班", "大一班", "大二班", "大三班"},
		lessons: []string{"保教活动中", "组织活动时", "带班期间"},
		schools: []string{"{D}{place}幼儿园", "{D}{place}实验幼儿园", "{D}第{N}幼儿园"},
		private: []string{"{D}{place}双语幼儿园", "{D}{place}艺术幼儿园", "{D}{place}幼儿园"}},
	{id: "primary", letter: 'p', weight: 30, pupil: "学生", unit: "该校", head: "校长", masked: "某小学",
		roles:   []string{"教师", "教师", "班主任", "班主任", "语文教师", "数学教师", "英语教师", "体育教师", "音乐教师", "美术教师", "科学教师", "道德与法治教师"},
		posts:   []string{"副校长", "教导主任", "年级组长", "德育主任", "教研组长"},
		grades:  []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级"},
		classes: []string{"一年级（2）班", "二年级（1）班", "三年级（4）班", "三年级（2）班", "四年级（3）班", "五年级（1）班", "五年级（6）班", "六年级（2）班"},
		lessons: []string{"课堂上", "上课时", "课间"},
		schools: []string{"{D}{place}小学", "{D}{place}实验小学", "{D}{place}小学", "{D}{place}学校", "{D}第{N}小学"}},
	{id: "junior_secondary", letter: 'j', weight: 22, pupil: "学生", unit: "该校", head: "校长", masked: "某中学",
		roles:   []string{"教师", "教师", "班主任", "班主任", "语文教师", "数学教师", "英语教师", "物理教师", "化学教师", "生物教师", "历史教师", "地理教师", "道德与法治教师", "体育教师", "信息技术教师"},
		posts:   []string{"副校长", "教务主任", "年级主任", "德育主任", "教研组长"},
		grades:  []string{"初一", "初二", "初三", "七年级", "八年级", "九年级"},
		classes: []string{"初一（3）班", "初二（1）班", "初二（5）班", "初三（2）班", "七年级（4）班", "八年级（2）班", "九年级（6）班"},
		lessons: []string{"课堂上", "上课时", "晚自习时"},
		schools: []string{"{D}第{N}中学", "{D}{place}中学", "{D}{place}学校", "{D}{place}初级中学"}},
	{id: "senior_secondary", letter: 's', weight: 18, pupil: "学生", unit: "该校", head: "校长", masked: "某中学",
		roles:   []string{"教师", "教师", "班主任", "班主任", "语文教师", "数学教师", "英语教师", "物理教师", "化学教师", "生物教师", "历史教师", "地理教师", "思想政治教师", "体育教师", "信息技术教师"},
		posts:   []string{"副校长", "教务主任", "年级主任", "德育主任", "教研组长"},
		grades:  []string{"高一", "高二", "高三"},
		classes: []string{"高一（2）班", "高一（7）班", "高二（1）班", "高二（4）班", "高三（3）班", "高三（8）班"},
		lessons: []string{"课堂上", "上课时", "晚自习时"},
		schools: []string{"{D}第{N}中学", "{D}{place}中学", "{D}{place}高级中学", "{D}{place}实验中学"}},
	{id: "vocational", letter: 'v', weight: 10, pupil: "学生", unit: "该校", head: "校长", masked: "某职业学校",
		roles:   []string{"教师", "专业课教师", "实习指导教师", "数控专业教师", "会计专业教师", "计算机专业教师", "汽修专业教师", "烹饪专业教师", "文化课教师", "班主任"},
		posts:   []string{"副校长", "教务处主任", "学生科科长", "专业部主任"},
		grades:  []string{"一年级", "二年级", "三年级"},
		classes: []string{"汽车运用与维修专业二年级", "数控技术应用专业一年级", "会计事务专业二年级", "计算机应用专业三年级", "烹饪专业一年级"},
		lessons: []string{"课堂上", "实训课上", "上课时"},
		schools: []string{"{D}{place}职业学校", "{D}{place}职业高中", "{D}{place}职业技术学校"},
		private: []string{"{D}{place}商贸职业学校", "{D}{place}职业技术学校"}},
	{id: "special", letter: 'x', weight: 6, pupil: "学生", unit: "该校", head: "校长", masked: "某特殊教育学校",
		roles:   []string{"教师", "教师", "康复训练教师", "生活指导教师", "培智班班主任", "听障班教师"},
		posts:   []string{"副校长", "教务主任", "德育主任"},
		grades:  []string{"培智班", "听障班", "培智三年级", "视障班"},
		classes: []string{"培智二年级", "培智五年级", "听障三年级", "康复训练班"},
		lessons: []string{"课堂上", "康复训练时", "生活指导时"},
		schools: []string{"{D}{place}特殊教育学校", "{D}{place}培智学校"}},
}

func stageByID(id string) *stage {
	for _, s := range stages {
		if s.id == id {
			return s
		}
	}
	return nil
}

// Halves of invented place names; every pairing is a name.
var (
	placeA = []string{"青", "桐", "枫", "柳", "杏", "榆", "苇", "砚", "澄", "岚", "晴", "棠", "芷", "荻", "栎", "槿", "梧", "蒲", "菱", "藕"}
	placeB = []string{"溪", "湾", "塘", "岸", "坡", "苑", "桥", "坊", "泉", "畔", "汀", "渚", "麓", "屿", "陂"}
)

// subjects taught, for roles that do not name one.
var subjects = map[string][]string{
	"kindergarten":     {"美术", "音乐", "语言", "科学"},
	"primary":          {"语文", "数学", "英语", "科学", "音乐", "体育", "美术"},
	"junior_secondary": {"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理"},
	"senior_secondary": {"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "思想政治"},
	"vocational":       {"数控加工", "会计", "计算机应用", "汽车维修", "烹饪", "电子商务"},
	"special":          {"生活适应", "康复训练", "沟通与交往", "语文", "数学"},
}

// Surnames of subjects, most common first, then compound ones.
var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
	"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "杜",
	"叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖",
	"贾", "夏", "付", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "贺",
	"顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "武", "戴", "孔", "汤",
}

var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "东方", "慕容", "皇甫", "尉迟", "司徒", "令狐"}

// sanctionOrder is the taxonomy's order of sanction types.
var sanctionOrder = []string{
	"warning", "demerit", "major_demerit", "demotion", "removal", "dismissal",
	"public_criticism", "disqualified_from_honours", "removed_from_teaching",
	"revoke_qualification", "industry_ban",
}

// sanctionSets are the combinations decisions impose, by level of gravity
// (index 1 the lightest, 4 the gravest), each with a weight.
var sanctionSets = [5][]struct {
	types  []string
	weight int
}{
	1: {
		{[]string{"public_criticism"}, 5}, {[]string{"warning"}, 5},
		{[]string{"public_criticism", "disqualified_from_honours"}, 4}, {[]string{"warning", "disqualified_from_honours"}, 4},
		{[]string{"disqualified_from_honours"}, 1},
	},
	2: {
		{[]string{"demerit"}, 4}, {[]string{"demerit", "disqualified_from_honours"}, 5},
		{[]string{"warning", "removed_from_teaching"}, 2}, {[]string{"demerit", "public_criticism"}, 2},
		{[]string{"public_criticism", "removed_from_teaching"}, 1},
	},
	3: {
		{[]string{"major_demerit", "disqualified_from_honours"}, 4}, {[]string{"major_demerit"}, 2},
		{[]string{"demotion"}, 2}, {[]string{"demotion", "removed_from_teaching"}, 3},
		{[]string{"major_demerit", "removed_from_teaching"}, 3}, {[]string{"removal"}, 1},
		{[]string{"removal", "major_demerit"}, 1},
	},
	4: {
		{[]string{"dismissal"}, 2}, {[]string{"dismissal", "revoke_qualification"}, 4},
		{[]string{"revoke_qualification", "industry_ban"}, 2}, {[]string{"dismissal", "revoke_qualification", "industry_ban"}, 3},
		{[]string{"removed_from_teaching", "revoke_qualification"}, 1}, {[]string{"dismissal", "industry_ban"}, 1},
	},
}

// levelWeight is how often each level is decided: most cases are light.
var levelWeight = [5]int{0, 45, 30, 15, 10}

// authority kinds.
const (
	bySchool     = iota // the school itself
	byBureau            // the district education commission (区教委)
	byDiscipline        // the district discipline inspection and supervision commission (区纪委监委)
	byCity              // the municipal education commission (市教委)
)

// guideline is one of the Ten Guidelines as a decision cites it.
type guideline struct{ num, name, rule string }

// guidelines for primary and secondary teachers, vocational and special
// schools included (《新时代中小学教师职业行为十项准则》), by category.
var guidelines = [11]guideline{
	1:  {"一", "坚定政治方向", "不得在教育教学活动中及其他场合有损害党中央权威、违背党的路线方针政策的言行"},
	2:  {"二", "自觉爱国守法", "不得损害国家利益、社会公共利益，或违背社会公序良俗"},
	3:  {"三", "传播优秀文化", "不得通过课堂、论坛、讲座、信息网络及其他渠道发表、转发错误观点，或编造散布虚假信息、不良信息"},
	4:  {"四", "潜心教书育人", "不得违反教学纪律，敷衍教学，或擅自从事影响教育教学本职工作的兼职兼薪行为"},
	5:  {"五", "关心爱护学生", "不得歧视、侮辱学生，严禁虐待、伤害学生"},
	6:  {"六", "加强安全防范", "不得在教育教学活动中遇突发事件、面临危险时，不顾学生安危，擅离职守，自行逃离"},
	7:  {"七", "坚持言行雅正", "不得与学生发生任何不正当关系，严禁任何形式的猥亵、性骚扰行为"},
	8:  {"八", "秉持公平诚信", "不得在招生、考试、推优、保送及绩效考核、岗位聘用、职称评聘、评优评奖等工作中徇私舞弊、弄虚作假"},
	9:  {"九", "坚守廉洁自律", "不得索要、收受学生及家长财物或参加由学生及家长付费的宴请、旅游、娱乐休闲等活动，不得向学生推销图书报刊、教辅材料、社会保险或利用家长资源谋取私利"},
	10: {"十", "规范从教行为", "不得组织、参与有偿补课，或为校外培训机构和他人介绍生源、提供相关信息"},
}

// kgGuidelines are the kindergarten teachers' own (《新时代幼儿园教师职业
// 行为十项准则》), numbered and worded differently, by the category they
// fall under. It has no counterpart of category 7, so no kindergarten case
// cites it.
var kgGuidelines = [11]guideline{
	1:  {"一", "坚定政治方向", "不得在保教活动中及其他场合有损害党中央权威、违背党的路线方针政策的言行"},
	2:  {"二", "自觉爱国守法", "不得损害国家利益、社会公共利益，或违背社会公序良俗"},
	3:  {"三", "传播优秀文化", "不得通过保教活动、论坛、讲座、信息网络及其他渠道发表、转发错误观点，或编造散布虚假信息、不良信息"},
	4:  {"四", "潜心培幼育人", "不得在工作期间玩忽职守、消极怠工，或空岗、未经批准找人替班，不得利用职务之便兼职兼薪"},
	5:  {"六", "关心爱护幼儿", "不得体罚和变相体罚幼儿，不得歧视、侮辱幼儿，严禁猥亵、虐待、伤害幼儿"},
	6:  {"五", "加强安全防范", "不得在保教活动中遇突发事件、面临危险时，不顾幼儿安危，擅离职守，自行逃离"},
	8:  {"八", "秉持公平诚信", "不得在入园招生、绩效考核、岗位聘用、职称评聘、评优评奖等工作中徇私舞弊、弄虚作假"},
	9:  {"九", "坚守廉洁自律", "不得索要、收受幼儿家长财物或参加由家长付费的宴请、旅游、娱乐休闲等活动，不得推销幼儿读物、社会保险或利用家长资源谋取私利"},
	10: {"十", "规范保教行为", "不得组织幼儿参加以营利为目的的表演、竞赛等活动，或泄露幼儿与家长的信息"},
}

const (
	codeSchool = "《新时代中小学教师职业行为十项准则》"
	codeKG     = "《新时代幼儿园教师职业行为十项准则》"
)

// Withdrawal reasons as published.
var withdrawReasons = []string{
	"经复核，原处理决定认定事实不清，已依法撤销",
	"当事人申请复核，经复核原处理决定已予变更，本案例撤回",
	"原处理决定已被行政复议决定撤销",
	"人民法院判决撤销原处理决定，本案例予以撤回",
	"经核查，本案例发布信息有误，已撤回重新审核",
	"原处理决定经申诉复查后已予撤销",
}

// Sources of the complaint an investigation starts from.
var sources = []string{
	"{PP}实名举报", "群众来信反映", "师德师风监督举报电话反映", "12345市民服务热线转来的诉求",
	"网络舆情反映", "上级部门转办的问题线索", "{PP}到校反映", "匿名来信举报",
}

var methods = []string{
	"调取监控录像", "查阅相关材料", "与当事人谈话", "走访{PP}", "询问知情人员", "调取聊天记录", "听取{unit}情况汇报", "查阅{unit}工作记录",
}

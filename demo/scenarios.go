package demo

import "slices"

// scenario is one kind of misconduct: the guideline it breaches, where it
// happens, how gravely it is punished, and the words its cases are written
// in. Templates use [a|b] for a choice and {name} for a value of the case
// (see compose.go); a template beginning with ^N or _N is used only at
// sanction level N and up, or up to N.
type scenario struct {
	cat    int    // the guideline breached
	also   []int  // guidelines a case may cite besides
	stages string // stage letters it happens at (k p j s v x)
	min    int    // lightest level of sanction
	max    int    // gravest level of sanction
	weight int
	since  int  // earliest year of the incident; 0 for any
	money  bool // money changed hands: the investigation looks at transfers
	post   bool // the subject holds a post (年级主任, 副校长...)
	// bare cites the guideline by its name only: its wording is about
	// something else than what happened.
	bare  bool
	acts  []string
	facts []string
	found []string
	after []string
}

// allScenarios are every scenario a case is drawn from.
var allScenarios = slices.Concat(commonScenarios, moreScenarios)

// commonScenarios: categories 5, 9 and 10 are the most common, as in
// published cases.
var commonScenarios = []scenario{
	// 5 关心爱护学生
	{cat: 5, stages: "pjsvx", min: 1, max: 3, weight: 10,
		acts: []string{"体罚学生", "殴打学生", "体罚{P}"},
		facts: []string{
			"{when}，{S}{role}{T}在{lesson}因[该生未按时完成作业|该生与同学讲话|该生默写成绩不合格|该生课堂纪律较差]，[用书本|用手|用教鞭|用三角尺]击打{P1}的[头部|背部|手心|肩部]，[致该生面部红肿|致该生手臂轻微擦伤|造成该生身体多处软组织挫伤|致该生身心受到伤害]。",
			"{when}，{S}{cls}{role}{T}在课间发现{P1}[与同学发生口角|在走廊追逐打闹|未交作业]，遂将该生叫到办公室，[多次推搡|用力拉扯|踢踹]该生，[致其摔倒受伤|致其膝盖擦伤|造成该生受到惊吓]。",
			"{when}，{S}{role}{T}在{lesson}因{P1}[顶撞自己|不服从管理]，[揪扯该生耳朵|扇打该生脸部|将该生推倒在地]，[该生家长发现孩子受伤后向学校反映|同班学生回家后告知家长]。",
		},
		found: []string{
			"{T}在{lesson}体罚{P}的情况属实，[经医院检查，该生伤情已无大碍|该生已回校正常上课|{unit}已协助家长带该生就医]",
			"{T}存在多次体罚学生的情况，[另有两名学生反映曾被其推搡|此前曾因类似问题被学校批评教育]",
			"{T}体罚学生的事实清楚，[有监控录像和多名学生证言为证|有相关证人证言为证]",
		},
		after: []string{"{T}已向该生及其家长当面道歉，取得家长谅解。", "{unit}已安排心理教师对该生进行心理疏导，并持续关注其身心状况。"}},
	{cat: 5, stages: "k", min: 1, max: 4, weight: 5,
		acts: []string{"体罚幼儿", "^3虐待幼儿"},
		facts: []string{
			"{when}，{S}{role}{T}在[午睡|进餐|如厕|户外活动]环节，因{P1}[哭闹不止|不肯午睡|进餐较慢|不听从指令]，[用力拉扯其手臂|多次拍打其手背|将其推倒在地|将其单独关在午睡室内]。",
			"{when}，{S}{cls}多名家长反映孩子[回家后情绪异常|不愿入园|身上有淤青]。经查看班级监控，发现{role}{T}在保教活动中多次[推搡|拍打|呵斥]幼儿。",
			"^3{when}，{S}家长反映孩子身上有不明伤痕。经调取监控录像，{unit}{role}{T}在[午睡|进餐]时多次采用[恐吓|捂嘴|拉拽]等方式对待幼儿，公安机关已对其依法处理。",
		},
		found: []string{
			"通过调取班级监控录像，确认{T}存在推搡、拍打幼儿的行为，[共涉及幼儿三名|涉及同班两名幼儿|持续时间约一周]",
			"{T}体罚幼儿的事实清楚，[有监控录像为证|相关证据确实充分]",
		},
		after: []string{"{unit}已向涉事幼儿家长道歉，并安排专人做好幼儿心理安抚工作。", "{unit}已在各班级增设监控设备，加强对保教过程的日常巡查。"}},
	{cat: 5, stages: "pjsvx", min: 1, max: 2, weight: 8,
		acts: []string{"变相体罚学生"},
		facts: []string{
			"{when}，{S}{role}{T}因部分学生[英语单词默写不合格|未完成课后作业|考试成绩退步|上课迟到]，[要求其在教室外罚站一节课|罚其绕操场跑十圈|罚其抄写课文二十遍|要求其在讲台旁站立听课一周]。",
			"{when}起，{S}{cls}{role}{T}在班内推行“扣分罚抄”做法，[学生违反班规即被罚抄|未完成作业者须罚抄十遍]，[部分学生深夜仍在抄写|引起家长强烈不满]。",
			"{when}，{S}{role}{T}以“集体负责”为由，因个别学生违纪[罚全班学生在烈日下站立|取消全班学生的体育课和课间活动]，[一名学生因此中暑|引发家长集体投诉]。",
		},
		found: []string{
			"{T}以罚站、罚抄等方式变相体罚学生的情况属实，[涉及学生八名|持续约两个月|其中一名学生因罚跑身体不适]",
			"{T}在班级管理中采取变相体罚的方式惩戒学生属实",
		},
		after: []string{"{unit}已责令{T}向学生及家长道歉，并在全体教师会上通报。"}},
	{cat: 5, also: []int{7}, stages: "pjsvx", min: 1, max: 3, weight: 7,
		acts: []string{"辱骂学生", "侮辱学生人格", "讽刺挖苦学生"},
		facts: []string{
			"{when}，{S}{role}{T}在{lesson}多次使用侮辱性语言辱骂学生，[并当众撕毁学生作业本|称部分学生“没救了”|对学生进行人身攻击]，[给学生造成心理伤害|引发家长不满]。",
			"{when}，{S}{role}{T}在批评{P1}时，当着全班同学的面[讽刺挖苦该生|贬损该生家庭情况|用不雅词语辱骂该生]，致使该生[情绪低落、不愿上学|出现厌学情绪]。",
		},
		found: []string{
			"{T}在教育教学中存在言语侮辱学生的行为，[有课堂录音及多名学生证言为证|相关证据确实充分]",
			"{T}多次在公开场合辱骂、讽刺学生，[严重伤害了学生的自尊心|造成了不良影响]",
		}},
	{cat: 5, stages: "pjsx", min: 1, max: 2, weight: 4,
		acts: []string{"歧视学困生", "歧视学生"},
		facts: []string{
			"{when}，{S}{role}{T}以学习成绩为由，[将多名学困生的座位长期安排在教室后排|不允许部分学生参加班级集体活动|在家长会上公开贬低成绩靠后的学生]，[对学生造成不良影响|引发家长投诉]。",
			"{when}，{S}{role}{T}在班级管理中区别对待学生，[以“拖班级后腿”为由劝说学生转学|拒绝为随迁子女学生安排座位|公开按成绩排名分配座位]。",
		},
		found: []string{"{T}在班级管理中存在歧视学生的行为，[损害了学生的合法权益|违背了教育公平原则]"}},
	{cat: 5, also: []int{10}, stages: "pjsvx", min: 1, max: 2, weight: 3, bare: true,
		acts: []string{"泄露学生隐私", "在家长群公开学生隐私"},
		facts: []string{
			"{when}，{S}{role}{T}将[学生心理测评结果|学生家庭困难补助名单|学生考试成绩排名及家庭情况]发至班级家长群，[并附有点评性文字|对部分学生进行点名批评]，侵犯了学生隐私。",
		},
		found: []string{"{T}在家长群发布学生个人信息的情况属实，[相关信息已被撤回|相关截图已在网络传播]"}},
	{cat: 5, also: []int{2}, stages: "pjsv", min: 3, max: 4, weight: 2,
		acts: []string{"殴打学生致伤", "体罚学生致伤"},
		facts: []string{
			"{when}，{S}{role}{T}因{P1}[上课顶撞自己|未完成作业]，对该生拳打脚踢，致该生[鼓膜穿孔|鼻骨骨折|头部受伤住院治疗]，经鉴定为轻伤。{T}因涉嫌故意伤害被公安机关依法处理。",
		},
		found: []string{"{T}故意伤害学生的事实清楚、证据确凿，[性质恶劣，社会影响很坏|严重损害了教师职业形象]"}},

	// 9 坚守廉洁自律
	{cat: 9, stages: "kpjsvx", min: 1, max: 3, weight: 12, money: true,
		acts: []string{"收受家长礼品礼金", "违规收受家长财物", "收受{PP}礼品礼金"},
		facts: []string{
			"{when}，{S}{role}{T}先后收受{n}名{PP}赠送的[购物卡|礼品卡|微信红包|现金红包]，共计[价值|金额]{amt}元。",
			"{when}，{S}{role}{T}以[“节日问候”|“感谢照顾孩子”]为名，收受{PP}赠送的[高档烟酒|化妆品|购物卡和礼品]，折合人民币{amt}元。",
			"{when}至{when2}，{S}{role}{T}多次通过[微信转账|红包|购物卡]等方式收受{PP}财物，共计{amt}元。",
		},
		found: []string{
			"{T}收受{PP}财物属实，[所收财物已全部退还|其本人已主动上交所收财物|相关款项已由{unit}督促退还]",
			"{T}违规收受{PP}礼品礼金共计{amt}元，[涉及{n}名家长|部分财物系在教师节期间收受]",
		},
		after: []string{"{T}已将所收财物全部退还{PP}。"}},
	{cat: 9, stages: "kpjsvx", min: 1, max: 2, weight: 5, money: true,
		acts: []string{"接受家长宴请", "参加家长付费的宴请"},
		facts: []string{
			"{when}，{S}{role}{T}[在期末考试结束后|在毕业典礼后|在学生升学后]，参加由{PP}出资安排的宴请，[席间收受家长赠送的礼品|宴请费用共计{amt}元，均由家长支付]。",
			"{when}，{S}{role}{T}等人参加了由{PP}付费组织的[聚餐及娱乐活动|郊区农家院休闲活动]，{T}作为组织者负有主要责任。",
		},
		found: []string{"{T}接受{PP}宴请的情况属实，[所涉费用已退还家长|同时参加宴请的其他教师已另行处理]"}},
	{cat: 9, stages: "pjsv", min: 1, max: 3, weight: 2, money: true,
		acts: []string{"参加家长付费旅游", "接受家长安排的旅游"},
		facts: []string{
			"{when}，{S}{role}{T}[利用暑假|利用寒假|利用国庆假期]参加由{PP}出资安排的[外地旅游|境外旅游|度假]活动，所需费用{amt}元全部由{PP}承担。",
		},
		found: []string{"{T}接受{PP}付费旅游的情况属实，[相关费用已全部退还|其本人已作出深刻检查]"}},
	{cat: 9, stages: "pjsv", min: 1, max: 3, weight: 5, money: true,
		acts: []string{"违规推销教辅资料", "向学生推销教辅材料", "向学生及家长推销学习资料"},
		facts: []string{
			"{when}，{S}{role}{T}在课堂上向学生推荐并统一征订[某出版社的教辅材料|课外练习册|课外读物]，[每套收费{amt3}元|共向{n2}名学生收取费用]，并从中获取回扣{amt}元。",
			"{when}，{S}{role}{T}通过班级微信群向{PP}推销[学习用品|教辅资料|网课学习卡]，[暗示家长必须购买|从中赚取差价{amt}元]。",
		},
		found: []string{"{T}向学生推销教辅材料并从中获利属实，[违规所得已被收缴|所收款项已全部退还家长]"}},
	{cat: 9, stages: "kpjsv", min: 2, max: 4, weight: 3, money: true,
		acts: []string{"向家长索要财物", "向{PP}索要钱物"},
		facts: []string{
			"{when}，{S}{role}{T}以[调整座位|安排担任班干部|评选三好学生|给予特别照顾]为由，向{PP}索要[钱款|购物卡]共计{amt}元。",
			"{when}，{S}{role}{T}多次暗示{PP}“表示心意”，先后向{n}名家长索要财物共计{amt}元。",
		},
		found: []string{"{T}多次向家长索要财物属实，[涉及{n}名学生家长|情节较重]"}},
	{cat: 9, stages: "kpjsv", min: 1, max: 2, weight: 2,
		acts: []string{"利用家长资源谋取私利"},
		facts: []string{
			"{when}，{S}{role}{T}利用职务便利，要求{PP}[为其亲属安排工作|为其办理车辆年检等私人事务|为其购买商品提供折扣]。",
		},
		found: []string{"{T}利用家长资源为本人谋取私利属实"}},
	{cat: 9, stages: "kpj", min: 1, max: 2, weight: 1, money: true,
		acts: []string{"向家长推销商业保险和理财产品", "利用教师身份推销商业产品"},
		facts: []string{
			"{when}，{S}{role}{T}在家长会后向{PP}推销[商业保险|理财产品]，[共促成签单{n}份|从中获取佣金{amt}元]。",
		},
		found: []string{"{T}利用教师身份向家长推销商业产品并获取佣金属实"}},
	{cat: 9, also: []int{10}, stages: "v", min: 2, max: 3, weight: 3, money: true,
		acts: []string{"违规收取实习管理费", "在学生实习中谋取私利"},
		facts: []string{
			"{when}，{S}{role}{T}在负责学生实习工作期间，[向实习单位收取“介绍费”{amt}元|安排学生到与专业无关的企业实习并收取好处费|克扣学生实习报酬共计{amt}元]。",
		},
		found: []string{"{T}在学生实习管理中违规谋取私利属实，违反了职业学校学生实习管理有关规定"}},

	// 10 规范从教行为
	{cat: 10, stages: "pjsv", min: 1, max: 4, weight: 14, money: true,
		acts: []string{"违规有偿补课", "组织有偿补课", "参与有偿补课"},
		facts: []string{
			"{when}起，{S}{role}{T}[在其租住的小区内|在校外租用的房屋内|在家中|借用某培训机构场地]组织本校学生进行有偿补课，[每人每课时收费{amt3}元|每期收费{amt}元]，共涉及学生{n2}人。",
			"{when}，{S}{role}{T}利用[周末|寒暑假|晚间]时间，在校外为[本班|本年级]学生[开设{subj}补习班|进行一对一有偿辅导]，累计收取补课费{amt}元。",
			"^3{when}起，{S}{role}{T}长期组织本校学生有偿补课，[并动员其他教师参与授课|在校外设立多个补课点]，涉及学生{n2}人，收取费用{amt}元。",
		},
		found: []string{
			"{T}组织本校学生有偿补课属实，[违规所得已全部退还|所收费用已退还学生家长|补课点已被依法取缔]",
			"{T}违规有偿补课的事实清楚，[累计补课{n2}次|涉及{subj}学科]",
		},
		after: []string{"{D}教委已会同市场监管、街道等部门对相关补课场所进行了清理。", "{unit}已组织全体教师签订拒绝有偿补课承诺书。"}},
	{cat: 10, stages: "pjs", min: 1, max: 3, weight: 3, since: 2020, money: true,
		acts: []string{"开展线上有偿辅导", "通过网络平台有偿补课"},
		facts: []string{
			"{when}，{S}{role}{T}通过[网络直播平台|视频会议软件|社交软件群组]面向本校学生开展线上{subj}辅导，[按课时向学生收取费用|累计收取费用{amt}元]。",
		},
		found: []string{"{T}通过网络平台对本校学生进行有偿辅导属实，[违规所得已被收缴|所收费用已全部退还]"}},
	{cat: 10, also: []int{9}, stages: "pjs", min: 1, max: 3, weight: 4, money: true,
		acts: []string{"为校外培训机构介绍生源", "向培训机构提供学生信息"},
		facts: []string{
			"{when}，{S}{role}{T}将本班学生及{PP}的联系方式提供给校外培训机构，并在家长群中推荐该机构课程，[从中收取介绍费{amt}元|按报名人数获取提成]。",
		},
		found: []string{"{T}为校外培训机构介绍生源并获取报酬属实"}},
	{cat: 10, also: []int{4}, stages: "pjsv", min: 1, max: 3, weight: 4, money: true,
		acts: []string{"在校外培训机构兼职授课", "违规在培训机构兼职"},
		facts: []string{
			"{when}起，{S}{role}{T}在某教育科技有限公司开办的培训机构兼职授课，[主要讲授{subj}课程|每周授课两次]，[获取报酬{amt}元|并向该机构介绍本校学生报名]。",
		},
		found: []string{"{T}未经批准在校外培训机构兼职取酬属实"}},
	{cat: 10, also: []int{4}, stages: "pjs", min: 2, max: 3, weight: 2, money: true,
		acts: []string{"课上不讲课后讲", "诱导学生参加有偿补课"},
		facts: []string{
			"{when}，{S}{role}{T}在正常教学中有意压缩教学内容，课后暗示学生参加其本人开设的补习班，[参加补习的学生达{n2}人|收取费用{amt}元]。",
		},
		found: []string{"{T}“课上不讲课后讲”、诱导学生参加有偿补课属实"}},
	{cat: 10, stages: "k", min: 1, max: 2, weight: 2, money: true,
		acts: []string{"组织幼儿参加营利性演出", "组织幼儿参加商业表演"},
		facts: []string{
			"{when}，{S}{role}{T}未经批准，组织本班幼儿参加某商业机构举办的[营利性演出|商业走秀|产品宣传活动]，并收取该机构“劳务费”{amt}元。",
		},
		found: []string{"{T}组织幼儿参加以营利为目的的演出活动属实"}},
	{cat: 10, stages: "k", min: 1, max: 2, weight: 1,
		acts: []string{"泄露幼儿及家长信息"},
		facts: []string{
			"{when}，{S}{role}{T}将本班幼儿及家长的姓名、联系方式等信息提供给某早教机构，用于商业推广。",
		},
		found: []string{"{T}泄露幼儿及家长信息属实，[相关机构已删除上述信息|{unit}已向家长说明情况]"}},
}

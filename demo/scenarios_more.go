package demo

// moreScenarios are the less common ones; see scenarios.go.
var moreScenarios = []scenario{
	// 4 潜心教书育人
	{cat: 4, stages: "pjsvx", min: 1, max: 2, weight: 4,
		acts: []string{"敷衍教学", "违反教学纪律"},
		facts: []string{
			"{when}，{S}{role}{T}长期不认真备课，上课时[多次让学生自习而本人玩手机|照本宣科、敷衍应付|随意拖堂或提前下课]，[教学效果较差|学生和家长意见较大]。",
			"{when}起，{S}{role}{T}多次[无故不参加教研活动|不批改学生作业|上课迟到早退]，经学校多次提醒仍未改正。",
		},
		found: []string{"{T}存在敷衍教学、违反教学纪律的行为，[经学校多次提醒仍未改正|教学检查中多次被通报]"}},
	{cat: 4, stages: "pjsvx", min: 1, max: 3, weight: 3,
		acts: []string{"擅自离岗", "违反教学纪律"},
		facts: []string{
			"{when}，{S}{role}{T}未履行请假手续，擅自离岗[三天|一周|十余天]，[导致所任班级课程无人上课|学校不得不临时安排代课]。",
			"{when}，{S}{role}{T}未经批准擅自停课，[组织学生观看与教学无关的影片|让学生在教室自习而本人外出办理私事]。",
		},
		found: []string{"{T}无故[旷工五个工作日|累计旷工八个工作日|擅自停课四节]属实"}},
	{cat: 4, stages: "pjsv", min: 1, max: 3, weight: 3, money: true,
		acts: []string{"违规兼职兼薪", "擅自在企业兼职"},
		facts: []string{
			"{when}起，{S}{role}{T}未经学校批准，擅自在[一家商贸公司|一家网络科技公司|某企业]兼职并领取报酬，累计获利{amt}元，[影响了正常教育教学工作|多次因兼职请假]。",
		},
		found: []string{"{T}违规兼职兼薪属实，[违规所得已被收缴|已辞去兼职]"}},
	{cat: 4, stages: "pj", min: 1, max: 1, weight: 2, since: 2022,
		acts: []string{"违规布置超量作业", "违反“双减”规定布置作业"},
		facts: []string{
			"{when}，{S}{role}{T}违反“双减”有关规定，[长期布置大量书面作业|要求家长批改作业|在周末布置大量练习]，[学生每天完成作业时间超过三小时|引发多名家长投诉]。",
		},
		found: []string{"{T}布置作业明显超出规定总量，[经学校提醒后仍未改正|加重了学生课业负担]"}},
	{cat: 4, stages: "k", min: 1, max: 2, weight: 2,
		acts: []string{"带班期间擅自离岗", "未经批准找人替班"},
		facts: []string{
			"{when}，{S}{role}{T}在带班期间擅自离开班级，[未经批准找人替班|将幼儿交由保育员单独看护]，[离岗时间约两小时|多次出现空岗现象]。",
		},
		found: []string{"{T}工作期间空岗、擅自找人替班属实"}},

	// 7 坚持言行雅正
	{cat: 7, also: []int{5}, stages: "pjsv", min: 4, max: 4, weight: 3,
		acts: []string{"对学生实施性骚扰", "对女学生言行不当"},
		facts: []string{
			"{when}，{S}{role}{T}利用[课后辅导|单独谈话|批改作业]之机，对{P1}[有言语骚扰和不当肢体接触|多次发送骚扰信息]，给该生身心造成伤害。",
		},
		found: []string{"{T}对学生实施骚扰的事实清楚、证据确凿，[公安机关已依法介入|已移送公安机关处理]"}},
	{cat: 7, stages: "sv", min: 4, max: 4, weight: 1,
		acts: []string{"与学生发生不正当关系"},
		facts: []string{
			"{when}，{S}{role}{T}与本校一名学生[保持不正当关系|发生不正当关系]，[造成恶劣影响|严重违背师德]。",
		},
		found: []string{"{T}与学生发生不正当关系的事实清楚"}},
	{cat: 7, stages: "jsv", min: 2, max: 4, weight: 2,
		acts: []string{"向学生发送不雅信息"},
		facts: []string{
			"{when}，{S}{role}{T}通过社交软件多次向{P1}发送[不雅信息|带有暗示性的言语]，[该生家长发现后向学校反映|引起学生恐慌]。",
		},
		found: []string{"{T}向学生发送不雅信息属实，[有聊天记录为证|有相关证人证言为证]"}},
	{cat: 7, stages: "pjsvx", min: 1, max: 2, weight: 2, bare: true,
		acts: []string{"在网络发布低俗视频", "网络言行失范"},
		facts: []string{
			"{when}，{S}{role}{T}在个人短视频账号发布[内容低俗|言行不雅]的视频，[并在视频中出现学校标识|被家长转发后引发关注]。",
		},
		found: []string{"{T}在网络发布低俗视频属实，相关视频已删除"}},
	{cat: 7, stages: "pjsvx", min: 1, max: 2, weight: 3, bare: true,
		acts: []string{"与家长发生冲突", "对家长言行失当"},
		facts: []string{
			"{when}，{S}{role}{T}在[家长会上|班级微信群中|校门口]与{PP}发生争执，[言语粗俗，辱骂家长|并推搡家长|用不文明语言攻击家长]，造成不良影响。",
		},
		found: []string{"{T}与{PP}发生冲突时言行失当属实，[有现场视频为证|多名家长予以证实]"}},

	// 8 秉持公平诚信
	{cat: 8, stages: "pjsv", min: 1, max: 3, weight: 3,
		acts: []string{"论文抄袭", "学术不端", "职称评审论文抄袭"},
		facts: []string{
			"{when}，{S}{role}{T}在申报[中级职称|高级职称|区级骨干教师]时提交的论文，经查重与他人已发表论文[重复率达百分之七十以上|大段雷同]，存在抄袭行为。",
		},
		found: []string{"{T}在职称评审中提交抄袭论文属实，[其申报资格已被取消|相关论文已被撤稿]"}},
	{cat: 8, stages: "kpjsvx", min: 2, max: 3, weight: 3,
		acts: []string{"在评审中弄虚作假", "提交伪造材料"},
		facts: []string{
			"{when}，{S}{role}{T}在参加[职称评审|骨干教师评选|市级优秀教师评选]时，提交了伪造的[获奖证书|教学成果证明|公开课证明材料]。",
		},
		found: []string{"{T}在评审中弄虚作假属实，[所获荣誉已被撤销|已取消其评审结果]"}},
	{cat: 8, stages: "jsv", min: 2, max: 4, weight: 3,
		acts: []string{"在考试工作中徇私舞弊", "考试违规"},
		facts: []string{
			"{when}，{S}{role}{T}在担任[期末考试|学业水平考试|区统考]监考员期间，[向考生传递答案|默许考生使用手机查找答案]。",
			"{when}，{S}{role}{T}在参与命题工作期间，提前向部分学生泄露[期末考试|区统考]试题。",
		},
		found: []string{"{T}在考试工作中徇私舞弊属实，[相关考生成绩已作无效处理|已对涉事考生另行处理]"}},
	{cat: 8, stages: "pjsv", min: 1, max: 3, weight: 2,
		acts: []string{"篡改学生成绩", "擅自修改学生成绩"},
		facts: []string{
			"{when}，{S}{role}{T}利用负责[成绩录入|体质健康测试|综合素质评价]工作的便利，擅自修改{n}名学生的[成绩|测试数据]，[为其升学提供便利|以提高班级考核成绩]。",
		},
		found: []string{"{T}擅自修改学生成绩属实，相关数据已恢复"}},
	{cat: 8, also: []int{9}, stages: "kpj", min: 2, max: 4, weight: 2, money: true, post: true,
		acts: []string{"在招生工作中徇私舞弊", "违规招生"},
		facts: []string{
			"{when}，{S}{role}{T}在负责{enroll}工作期间，为不符合条件的{P}违规办理入学手续，并收受{PP}财物{amt}元。",
		},
		found: []string{"{T}在招生工作中徇私舞弊、收受财物属实"}},

	// 6 加强安全防范
	{cat: 6, stages: "pjsvx", min: 1, max: 3, weight: 3, bare: true,
		acts: []string{"擅离职守致学生受伤", "上课期间擅离岗位"},
		facts: []string{
			"{when}，{S}{role}{T}在[体育课|实验课|课间看护|晚自习]期间擅自离开，[学生在无人看管的情况下发生推搡|一名学生攀爬器械时摔落]，致{P1}[手臂骨折|头部受伤|牙齿磕伤]。",
		},
		found: []string{"{T}未履行安全看护职责、擅离工作岗位属实"}},
	{cat: 6, stages: "pjsv", min: 1, max: 2, weight: 2, bare: true,
		acts: []string{"组织活动未履行安全职责", "组织外出活动时致学生走失"},
		facts: []string{
			"{when}，{S}{role}{T}带领学生外出[研学|春游|社会实践]期间，未按规定清点人数，致{P1}[走失约三小时|滞留景区]，后经多方寻找才找到。",
		},
		found: []string{"{T}未履行安全管理职责属实，[所幸未造成严重后果|该生已平安返回]"}},
	{cat: 6, stages: "k", min: 1, max: 3, weight: 3, bare: true,
		acts: []string{"看护不到位致幼儿受伤", "未履行看护职责"},
		facts: []string{
			"{when}，{S}{role}{T}在幼儿[午睡|户外活动|进餐]期间[长时间玩手机|离开班级|未按要求巡视]，致一名幼儿[从床上摔落|被滑梯划伤|烫伤手背]，且事后未及时告知家长。",
		},
		found: []string{"{T}未履行看护职责、事后未及时报告属实"}},
	{cat: 6, stages: "kpjsvx", min: 1, max: 2, weight: 2, bare: true,
		acts: []string{"在{P}受伤后未及时报告", "瞒报{P}受伤情况"},
		facts: []string{
			"{when}，{S}{P1}在{campus}受伤后，{role}{T}[未及时送医|未按规定向学校报告|未及时通知家长]，[延误了治疗|引发家长强烈不满]。",
		},
		found: []string{"{T}未按规定处置、报告{P}受伤情况属实"}},
	{cat: 6, stages: "pjs", min: 3, max: 4, weight: 1,
		acts: []string{"遇险情未组织学生避险", "遇突发事件擅离职守"},
		facts: []string{
			"{when}，{S}教学楼发生[火情|漏电冒烟]，正在上课的{role}{T}未组织学生疏散，自行离开教室，[所幸未造成人员伤亡|学生在其他教师引导下撤离]。",
		},
		found: []string{"{T}遇突发事件不顾学生安危、自行逃离属实"}},

	// 2 自觉爱国守法
	{cat: 2, stages: "kpjsvx", min: 2, max: 4, weight: 4,
		acts: []string{"_2酒后驾驶机动车", "^3醉酒驾驶机动车"},
		facts: []string{
			"_2{when}，{S}{role}{T}酒后驾驶机动车被公安交通管理部门查获，被依法处以罚款并暂扣机动车驾驶证。",
			"^3{when}，{S}{role}{T}醉酒后驾驶机动车被公安交通管理部门查获，经检测血液酒精含量超过醉驾标准。",
			"^3{when}，{S}{role}{T}因醉酒驾驶机动车被人民法院以危险驾驶罪判处拘役[两个月|三个月]，并处罚金。",
		},
		found: []string{"_2{T}酒后驾驶机动车的事实清楚，有公安机关的处理决定为证", "^3{T}醉酒驾驶机动车的事实清楚，有公安机关的处理决定为证"}},
	{cat: 2, stages: "kpjsvx", min: 2, max: 3, weight: 2,
		acts: []string{"参与赌博被行政拘留", "参与赌博受到治安处罚"},
		facts: []string{
			"{when}，{S}{role}{T}因参与赌博被公安机关处以行政拘留[五日|十日]并处罚款。",
		},
		found: []string{"{T}参与赌博受到治安管理处罚属实"}},
	{cat: 2, stages: "kpjsvx", min: 2, max: 3, weight: 2,
		acts: []string{"殴打他人被行政处罚", "与他人斗殴"},
		facts: []string{
			"{when}，{S}{role}{T}因[停车纠纷|邻里纠纷|交通纠纷]与他人发生冲突并动手殴打对方，被公安机关处以行政拘留[五日|七日]。",
		},
		found: []string{"{T}殴打他人受到治安管理处罚属实"}},
	{cat: 2, stages: "kpjsvx", min: 1, max: 2, weight: 1,
		acts: []string{"被列为失信被执行人"},
		facts: []string{
			"{when}，{S}{role}{T}因拒不履行人民法院生效判决确定的还款义务，被列为失信被执行人，[经法院多次督促仍未履行|在社会上造成不良影响]。",
		},
		found: []string{"{T}被列为失信被执行人属实"}},
	{cat: 2, also: []int{9}, stages: "pjsv", min: 4, max: 4, weight: 1, money: true,
		acts: []string{"骗取钱财被判刑", "以帮助入学为名骗取钱财"},
		facts: []string{
			"{when}，{S}{role}{T}以[帮助孩子入读重点学校|办理转学手续]为名，骗取他人钱款{amt}元，被人民法院以诈骗罪判处有期徒刑。",
		},
		found: []string{"{T}诈骗他人钱财的犯罪事实已被人民法院生效判决认定"}},

	// 3 传播优秀文化
	{cat: 3, stages: "kpjsvx", min: 1, max: 3, weight: 2,
		acts: []string{"在网络散布虚假信息", "转发不实信息", "编造散布虚假信息"},
		facts: []string{
			"{when}，{S}{role}{T}在[班级家长群|个人朋友圈|网络论坛]编造并散布[有关学校的不实信息|涉及公共安全的谣言|有关招生政策的虚假信息]，[被大量转发|造成不良社会影响]，被公安机关依法训诫。",
		},
		found: []string{"{T}编造散布虚假信息属实，相关信息已删除"}},
	{cat: 3, stages: "pjs", min: 1, max: 2, weight: 1,
		acts: []string{"向学生传播不良信息", "在课堂传播不良内容"},
		facts: []string{
			"{when}，{S}{role}{T}在{lesson}[宣扬封建迷信内容|播放含有低俗内容的视频|向学生传播不良信息]，[学生回家后向家长反映|引起家长强烈不满]。",
		},
		found: []string{"{T}在教学中传播不良信息属实"}},

	// 1 坚定政治方向
	{cat: 1, stages: "jsv", min: 2, max: 3, weight: 1,
		acts: []string{"在课堂发表错误言论", "发表违背党的路线方针政策的言论"},
		facts: []string{
			"{when}，{S}{role}{T}在{lesson}多次发表[违背党的路线方针政策|歪曲历史]的错误言论，[被学生录音后反映至学校|造成不良影响]。",
		},
		found: []string{"{T}在教育教学中发表错误言论属实，[有课堂录音为证|多名学生予以证实]"}},
	{cat: 1, also: []int{3}, stages: "kpjsvx", min: 2, max: 3, weight: 1,
		acts: []string{"在网络发表不当言论", "网络发表错误言论"},
		facts: []string{
			"{when}，{S}{role}{T}在个人社交媒体账号上发表[损害党和国家形象|歪曲党的历史]的不当言论，[造成恶劣影响|被网民举报]。",
		},
		found: []string{"{T}在网络发表错误言论属实，相关内容已删除"}},
}

package store

// Term is one entry of an enumeration, with its Chinese and English names.
type Term struct {
	ID string `json:"id"`
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Category is one of the Ten Guidelines (十项准则) for teachers.
type Category struct {
	ID int    `json:"id"`
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Taxonomy holds every enumeration of the domain. Values outside it are
// rejected wherever they are accepted.
type Taxonomy struct {
	Districts       []Term     `json:"districts"`
	Stages          []Term     `json:"stages"`
	Categories      []Category `json:"categories"`
	Sanctions       []Term     `json:"sanctions"`
	BanScopes       []Term     `json:"ban_scopes"`
	CredentialKinds []Term     `json:"credential_kinds"`
}

// Beijing's sixteen districts, identified by their Simplified names.
var districts = []Term{
	{"东城区", "东城区", "Dongcheng"}, {"西城区", "西城区", "Xicheng"},
	{"朝阳区", "朝阳区", "Chaoyang"}, {"丰台区", "丰台区", "Fengtai"},
	{"石景山区", "石景山区", "Shijingshan"}, {"海淀区", "海淀区", "Haidian"},
	{"门头沟区", "门头沟区", "Mentougou"}, {"房山区", "房山区", "Fangshan"},
	{"通州区", "通州区", "Tongzhou"}, {"顺义区", "顺义区", "Shunyi"},
	{"昌平区", "昌平区", "Changping"}, {"大兴区", "大兴区", "Daxing"},
	{"怀柔区", "怀柔区", "Huairou"}, {"平谷区", "平谷区", "Pinggu"},
	{"密云区", "密云区", "Miyun"}, {"延庆区", "延庆区", "Yanqing"},
}

var stages = []Term{
	{"kindergarten", "幼儿园", "Kindergarten"},
	{"primary", "小学", "Primary school"},
	{"junior_secondary", "初级中学", "Junior secondary school"},
	{"senior_secondary", "高级中学", "Senior secondary school"},
	{"vocational", "中等职业学校", "Secondary vocational school"},
	{"special", "特殊教育学校", "Special education school"},
}

var categories = []Category{
	{1, "坚定政治方向", "Uphold the right political direction"},
	{2, "自觉爱国守法", "Love the country and abide by the law"},
	{3, "传播优秀文化", "Spread fine culture"},
	{4, "潜心教书育人", "Devote oneself to teaching and educating"},
	{5, "关心爱护学生", "Care for and protect students"},
	{6, "加强安全防范", "Strengthen safety precautions"},
	{7, "坚持言行雅正", "Keep words and deeds decent"},
	{8, "秉持公平诚信", "Uphold fairness and integrity"},
	{9, "坚守廉洁自律", "Stay honest and self-disciplined"},
	{10, "规范从教行为", "Teach by the rules"},
}

var sanctions = []Term{
	{"warning", "警告", "Warning"},
	{"demerit", "记过", "Demerit"},
	{"major_demerit", "记大过", "Major demerit"},
	{"demotion", "降低岗位等级", "Demotion"},
	{"removal", "撤职", "Removal from post"},
	{"dismissal", "开除", "Dismissal"},
	{"public_criticism", "通报批评", "Public criticism"},
	{"disqualified_from_honours", "取消评优评先资格", "Disqualified from honours"},
	{"removed_from_teaching", "调离教师岗位", "Removed from teaching"},
	{"revoke_qualification", "撤销教师资格", "Teacher qualification revoked"},
	{"industry_ban", "行业禁入", "Industry ban"},
}

var banScopes = []Term{
	{BanScopeEducation, "教育行业", "The whole education sector"},
	{BanScopeTeaching, "教学岗位", "Teaching posts"},
}

var credentialKinds = []Term{
	{"kindergarten", "幼儿园教师资格", "Kindergarten teacher"},
	{"primary", "小学教师资格", "Primary school teacher"},
	{"junior_secondary", "初级中学教师资格", "Junior secondary teacher"},
	{"senior_secondary", "高级中学教师资格", "Senior secondary teacher"},
	{"vocational", "中等职业学校教师资格", "Secondary vocational teacher"},
	{"vocational_practice", "中等职业学校实习指导教师资格", "Vocational practice instructor"},
	{"higher", "高等学校教师资格", "Higher education teacher"},
}

// DefaultTaxonomy returns the enumerations. The slices are fresh copies, so
// a caller may keep or change them.
func DefaultTaxonomy() Taxonomy {
	return Taxonomy{
		Districts:       append([]Term(nil), districts...),
		Stages:          append([]Term(nil), stages...),
		Categories:      append([]Category(nil), categories...),
		Sanctions:       append([]Term(nil), sanctions...),
		BanScopes:       append([]Term(nil), banScopes...),
		CredentialKinds: append([]Term(nil), credentialKinds...),
	}
}

func hasTerm(ts []Term, id string) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

// ValidDistrict reports whether id is one of the sixteen districts.
func ValidDistrict(id string) bool { return hasTerm(districts, id) }

// ValidStage reports whether id is a school stage.
func ValidStage(id string) bool { return hasTerm(stages, id) }

// ValidCategory reports whether n is one of the Ten Guidelines.
func ValidCategory(n int) bool { return n >= 1 && n <= len(categories) }

// ValidSanction reports whether id is a sanction type.
func ValidSanction(id string) bool { return hasTerm(sanctions, id) }

// ValidBanScope reports whether id is a ban scope.
func ValidBanScope(id string) bool { return hasTerm(banScopes, id) }

// ValidCredentialKind reports whether id is a kind of qualification.
func ValidCredentialKind(id string) bool { return hasTerm(credentialKinds, id) }

// CredentialKindIDs lists the kinds of qualification, for messages.
func CredentialKindIDs() []string {
	ids := make([]string, len(credentialKinds))
	for i, t := range credentialKinds {
		ids[i] = t.ID
	}
	return ids
}

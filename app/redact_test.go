package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"ethicsportal/search"
	"ethicsportal/store"
)

func redactor(t testing.TB) *App {
	t.Helper()
	f, err := search.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	return &App{folder: f}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"张伟华":    "张某某",
		"张伟":     "张某",
		" 李娜 ":   "李某",
		"张伟华明":   "张某某",
		"欧阳娜娜":   "欧阳某某",
		"欧阳娜":    "欧阳某",
		"歐陽娜娜":   "歐陽某某",
		"司马光":    "司马某",
		"诸葛亮":    "诸葛某",
		"欧阳":     "欧某", // two characters: a surname and a given name
		"买买提·艾力": "买某某",
		"":       "",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

// kinds runs the check over one body and returns the kinds found in order.
func kinds(a *App, body, holder, certNo string) ([]string, []Finding) {
	fs := a.findings(redactionInput{content: &store.CaseContent{Body: body}, holderName: holder, certificateNo: certNo})
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	return out, fs
}

func TestRedactionPatterns(t *testing.T) {
	a := redactor(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"id number", "身份证号11010519491231002X，系本人", []string{FindingIDNumber}},
		{"id number lower x", "身份证号11010519491231002x。", []string{FindingIDNumber}},
		{"id number with spaces", "证件号 110105 19491231 002X 已核实", []string{FindingIDNumber}},
		{"id number with hyphens", "证件号110105-1949-1231-002X。", []string{FindingIDNumber}},
		{"id number full width", "证件号１１０１０５１９４９１２３１００２Ｘ。", []string{FindingIDNumber}},
		{"old id number", "旧证号110105491231002。", []string{FindingIDNumber}},
		{"bad check digit", "号码110105194912310021。", nil},
		{"mobile", "联系电话13812345678。", []string{FindingPhone}},
		{"mobile grouped", "电话 138 1234 5678 或", []string{FindingPhone}},
		{"mobile hyphens", "电话138-1234-5678。", []string{FindingPhone}},
		{"mobile +86", "电话+86 138 1234 5678。", []string{FindingPhone}},
		{"mobile 0086", "电话008613812345678。", []string{FindingPhone}},
		{"two mobiles", "电话13812345678 13912345678。", []string{FindingPhone, FindingPhone}},
		{"landline", "电话010-62751234。", []string{FindingPhone}},
		{"landline brackets", "电话（010）62751234。", []string{FindingPhone}},
		{"landline grouped", "电话0571 8888 6666。", []string{FindingPhone}},
		{"email", "邮箱zhang.wei@example.com。", []string{FindingEmail}},
		{"email full width at", "邮箱zhangwei＠example.com。", []string{FindingEmail}},
		{"certificate shape", "证书编号20191100141000123。", []string{FindingCertificateNo}},
		{"bank card", "转入卡号4111 1111 1111 1111。", []string{FindingBankCard}},
		{"not a bank card", "编号4111 1111 1111 1112。", nil},
		{"plate", "驾驶京A12345号车辆", []string{FindingLicencePlate}},
		{"plate traditional", "駕駛滬B·6K789車輛", []string{FindingLicencePlate}},
		{"icp is no plate", "京ICP备12345678号", nil},
		{"birth date", "该生出生于2015年3月12日，", []string{FindingBirthDate}},
		{"birth date after", "2015年3月12日出生的学生", []string{FindingBirthDate}},
		{"wechat", "微信号：zhang_wei88，", []string{FindingAccount}},
		{"qq", "QQ 12345678 联系", []string{FindingAccount}},
		{"flat", "住在3号楼2单元301室。", []string{FindingAddress}},
		// What a decision normally holds.
		{"dates and amounts", "2023年5月12日，罚款5000元，京教〔2023〕12号，第12345678号文件，共3次", nil},
		{"a short number", "工号 1234 5678", nil},
	} {
		got, fs := kinds(a, tc.body, "", "")
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q found %v, want %v (%+v)", tc.name, tc.body, got, tc.want, fs)
		}
	}
}

func TestRedactionHolderName(t *testing.T) {
	a := redactor(t)
	for _, tc := range []struct {
		name, body string
		found      bool
	}{
		{"simplified", "经查，张伟华在担任班主任期间", true},
		{"traditional", "經查，張偉華在擔任班主任期間", true},
		{"spaced", "当事人张 伟 华承认", true},
		{"full width space", "当事人张\u3000伟华承认", true},
		{"middle dot", "经查，张·伟华 体罚学生", true},
		{"katakana middle dot", "经查，张・伟华 体罚学生", true},
		{"hyphen and full stop", "经查，張-偉.華 体罚学生", true},
		{"zero width", "经查，张\u200b伟华 体罚学生", true},
		{"a sentence apart", "调查组长张。其后伟华中学通报", false},
		{"masked", "经查，张某某在担任班主任期间", false},
		{"part", "张伟承认", false},
	} {
		got, fs := kinds(a, tc.body, "张伟华", "")
		if tc.found != slices.Equal(got, []string{FindingHolderName}) {
			t.Errorf("%s: %q found %v, want holder_name %v", tc.name, tc.body, got, tc.found)
			continue
		}
		if tc.found && (fs[0].Suggestion != "张某某" || fs[0].Field != "body") {
			t.Errorf("%s: %+v", tc.name, fs[0])
		}
	}
	// A Latin name, in any case; and the linked certificate number, in any spelling.
	if got, _ := kinds(a, "teacher WANG fang said", "Wang Fang", ""); !slices.Equal(got, []string{FindingHolderName}) {
		t.Errorf("latin name: %v", got)
	}
	if got, _ := kinds(a, "证书 2019-1100-1410-0012-3 已撤销", "", "20191100141000123"); !slices.Equal(got, []string{FindingCertificateNo}) {
		t.Errorf("linked certificate: %v", got)
	}
	if got, _ := kinds(a, "证书 AB-1234 已撤销", "", "AB1234"); !slices.Equal(got, []string{FindingCertificateNo}) {
		t.Errorf("linked certificate with letters: %v", got)
	}
}

func TestRedactionFieldsAndExcerpts(t *testing.T) {
	a := redactor(t)
	c := &store.CaseContent{
		Title: "张伟华体罚学生", Summary: "电话13812345678", Body: strings.Repeat("前文", 20) + "身份证号11010519491231002X" + strings.Repeat("后文", 20),
		SubjectName: "张伟", School: "某小学", Authority: "某区教委",
		Sanctions: []store.Sanction{{Type: "warning", Detail: "邮箱a@b.cn"}},
	}
	fs := a.findings(redactionInput{content: c, holderName: "张伟华"})
	var got []string
	for _, f := range fs {
		got = append(got, f.Field+":"+f.Kind)
	}
	want := []string{"title:holder_name", "summary:phone", "body:id_number", "subject_name:unmasked_name", "sanctions[0].detail:email"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	body := fs[2].Excerpt
	if body != "…前文前文前文身份证号11010519491231002X后文后文后文后文后文…" { // ten characters each side
		t.Errorf("excerpt %q", body)
	}
	if fs[3].Suggestion != "张某" {
		t.Errorf("unmasked name suggestion %q", fs[3].Suggestion)
	}
	// A masked subject name is fine.
	c.SubjectName = "张某"
	for _, f := range a.findings(redactionInput{content: c}) {
		if f.Field == "subject_name" {
			t.Errorf("masked subject name found: %+v", f)
		}
	}
}

func TestLuhnAndIDRules(t *testing.T) {
	for d, want := range map[string]bool{"4111111111111111": true, "4111111111111112": false, "79927398713": true} {
		if luhn(d) != want {
			t.Errorf("luhn(%s) != %v", d, want)
		}
	}
	if !isOldIDNumber("110105491231002") || isOldIDNumber("110105491331002") || isOldIDNumber("910105491231002") {
		t.Error("old ID number rule")
	}
}

func BenchmarkFindings(b *testing.B) {
	a := redactor(b)
	var sb strings.Builder
	for i := range 200 {
		fmt.Fprintf(&sb, "第%d段：经查，張某某於%d年在課堂上多次體罰學生，造成不良影響。\n\n", i, 2000+i%20)
	}
	c := &store.CaseContent{Title: "某小学教师体罚学生", Body: sb.String(), SubjectName: "张某某"}
	b.ResetTimer()
	for range b.N {
		a.findings(redactionInput{content: c, holderName: "张伟华", certificateNo: "20191100141000123"})
	}
}

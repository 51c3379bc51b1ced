package searchtest

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/longbridgeapp/opencc"

	"ethicsportal/search"
	"ethicsportal/store"
)

// Today is the day the suite searches on: the corpus has disclosure periods
// ending before it, on it and after it.
var Today = store.NewDate(2025, time.June, 1)

// Pieces the generated text is made of. Several share characters with
// others (学生 in 大学生 and 学生会, 罚 in 体罚 and 罚款) so that matching
// by substring and matching by token differ somewhere.
var (
	misconducts = []string{
		"体罚学生", "有偿补课", "收受家长礼品", "辱骂学生", "学术不端", "违规招生",
		"索要财物", "歧视学生", "酒后驾驶", "泄露考试试题", "组织学生参加有偿活动", "违规罚款",
	}
	surnames      = []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"}
	schoolKinds   = []string{"第%d中学", "实验小学", "第%d小学", "幼儿园", "职业技术学校", "特殊教育学校", "外国语学校"}
	circumstances = []string{
		"在课堂上多次", "在课后服务期间", "利用职务之便", "在学校组织的活动中", "在寒假期间",
		"在家长群中", "在期末考试前", "在学生会选举中",
	}
	consequences = []string{
		"造成恶劣社会影响", "损害了教师队伍形象", "致使学生身心受到伤害", "引起家长强烈不满",
		"违反了教师职业道德",
	}
)

// sanctionWords are what decisions say for each sanction type.
var sanctionWords = map[string]string{
	"warning": "警告", "demerit": "记过", "major_demerit": "记大过", "demotion": "降低岗位等级",
	"removal": "撤职", "dismissal": "开除", "public_criticism": "通报批评",
	"disqualified_from_honours": "取消评优评先资格", "removed_from_teaching": "调离教师岗位",
	"revoke_qualification": "撤销教师资格", "industry_ban": "禁止从事教育工作五年",
}

// Generate returns n synthetic published cases, the same for the same seed:
// every district, stage, category and sanction type, decision dates from
// 2019 to 2025 (some days shared by several cases), disclosure periods of
// every kind around Today, about one case in five in Traditional
// characters and one in seven with full-width letters or digits. It is the
// suite's corpus and the benchmarks' data.
func Generate(seed uint64, n int) []search.Document {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tax := store.DefaultTaxonomy()
	s2t := newS2T()
	docs := make([]search.Document, 0, n)
	for i := range n {
		district := tax.Districts[r.IntN(len(tax.Districts))].ID
		stage := tax.Stages[i%len(tax.Stages)].ID
		misconduct := misconducts[r.IntN(len(misconducts))]
		subject := surnames[r.IntN(len(surnames))] + "某某"
		school := district + strings.ReplaceAll(schoolKinds[r.IntN(len(schoolKinds))], "%d", fmt.Sprint(1+r.IntN(30)))
		authority := district + "教育委员会"
		if r.IntN(4) == 0 {
			authority = "北京市教育委员会"
		}
		decided := store.NewDate(2019, time.January, 1).AddDays(r.IntN(6*365 + 150))
		cats := pickInts(r, 1+r.IntN(3), 10)
		var sanctions []store.Sanction
		for _, k := range pickInts(r, 1+r.IntN(2), len(tax.Sanctions)) {
			typ := tax.Sanctions[k-1].ID
			sanctions = append(sanctions, store.Sanction{Type: typ, Detail: "给予" + sanctionWords[typ] + "处分"})
		}
		if i < len(tax.Sanctions) { // every type at least once
			typ := tax.Sanctions[i].ID
			sanctions = []store.Sanction{{Type: typ, Detail: "给予" + sanctionWords[typ] + "处分"}}
		}
		circumstance := circumstances[r.IntN(len(circumstances))]
		consequence := consequences[r.IntN(len(consequences))]
		year := decided.String()[:4]
		d := search.Document{
			ID:           caseID(seed, i),
			Title:        fmt.Sprintf("%s%s教师%s%s", district, stageName(stage), subject, misconduct),
			Summary:      fmt.Sprintf("经查，%s教师%s%s%s，%s。", school, subject, circumstance, misconduct, consequence),
			Body:         body(school, subject, circumstance, misconduct, consequence, year, sanctions),
			SubjectName:  subject,
			School:       school,
			Authority:    authority,
			District:     district,
			Stage:        stage,
			Categories:   cats,
			Sanctions:    sanctions,
			DecisionDate: decided,
			PublishedAt:  publishedAfter(decided, r),
		}
		switch r.IntN(6) {
		case 0: // ended before Today
			d.PublishUntil = Today.AddDays(-1 - r.IntN(400))
		case 1, 2:
			d.PublishUntil = Today.AddDays(r.IntN(700))
		}
		if i%5 == 3 {
			d.Title, d.Summary, d.Body = s2t(d.Title), s2t(d.Summary), s2t(d.Body)
			d.School, d.Authority = s2t(d.School), s2t(d.Authority)
		}
		if i%7 == 2 {
			d.School = toFullWidth(d.School)
			d.Summary = strings.Replace(d.Summary, "经查", "经查（编号Ａ"+year+"）", 1)
		}
		docs = append(docs, d)
	}
	return docs
}

func stageName(id string) string {
	for _, s := range store.DefaultTaxonomy().Stages {
		if s.ID == id {
			return s.ZH
		}
	}
	return id
}

func body(school, subject, circumstance, misconduct, consequence, year string, sanctions []store.Sanction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s年，有家长反映%s教师%s%s%s。", year, school, subject, circumstance, misconduct)
	fmt.Fprintf(&b, "学校接到反映后立即成立调查组，经调查核实，情况属实，%s。\n\n", consequence)
	b.WriteString("依据《新时代中小学教师职业行为十项准则》和《中小学教师违反职业道德行为处理办法》，")
	for i, s := range sanctions {
		if i > 0 {
			b.WriteString("，并")
		}
		b.WriteString(s.Detail)
	}
	b.WriteString("。\n\n当事人如对处理决定不服，可在收到决定之日起三十日内提出申诉。")
	return b.String()
}

// pickInts returns k distinct numbers of 1..n, ascending.
func pickInts(r *rand.Rand, k, n int) []int {
	var out []int
	for _, v := range r.Perm(n)[:k] {
		out = append(out, v+1)
	}
	for i := range out { // insertion sort: k is at most 3
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// caseID makes an id of the shape the application uses (16 lowercase base32
// characters) that sorts in no relation to the case's number.
func caseID(seed uint64, i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", seed, i))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:10]))
}

// publishedAfter is a moment from one to eleven days after the decision, with
// nanoseconds and in Beijing time, as a store would never give but an
// index must keep as an instant.
func publishedAfter(decided store.Date, r *rand.Rand) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, decided.String(), store.Beijing)
	if err != nil {
		panic(err) // a Date's String always parses
	}
	return t.AddDate(0, 0, 1).Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
}

// toFullWidth writes the ASCII letters and digits of s full-width.
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r <= '~' {
			return r + 0xFF01 - '!'
		}
		return r
	}, s)
}

// newS2T returns a Simplified to Traditional converter; the corpus uses it
// to write some cases in Traditional characters.
func newS2T() func(string) string {
	cc, err := opencc.New("s2t")
	if err != nil {
		panic(fmt.Sprintf("searchtest: loading OpenCC s2t: %v", err)) // embedded data: cannot fail
	}
	return func(s string) string {
		out, err := cc.Convert(s)
		if err != nil {
			panic(fmt.Sprintf("searchtest: s2t: %v", err))
		}
		return out
	}
}

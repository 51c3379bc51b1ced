// Command gencsv writes a synthetic, deterministic teacher-credential
// register as CSV, in the column layout `ethicsportal import credentials`
// reads, and optionally the (certificate_no, name) pairs a load test asks
// for.
//
//	go run ./bench/gencsv -n 1000000 -seed 1 -o creds.csv -pairs pairs.tsv
//
// The same -n and -seed always give the same bytes. Names are a common
// surname (a few compound ones) and one or two given characters; certificate
// numbers are 17 digits: year of issue (4), district code (6), kind digit
// (1) and a serial (6), unique in the file. With -id-numbers every row gets
// an 18-character resident ID number, unique in the file, whose region is
// the district's, whose birth date makes the holder 21 to 55 at issue, and
// whose check digit follows GB 11643-1999.
//
// The pairs file (-pairs) has one "certificate_no<TAB>name" line per check:
// most are rows of the register with their registered name (hits); a
// fraction (-miss) are misses, half an unused certificate number and half a
// registered number with another person's name. Its content depends only on
// -n, -seed, -pairs-n and -miss, not on -id-numbers.
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// district is a county-level administrative division: its GB/T 2260 code
// and the education bureau that issues certificates there.
type district struct {
	code   string
	issuer string
}

var districts = []district{
	{"110101", "北京市东城区教育委员会"}, {"110102", "北京市西城区教育委员会"}, {"110105", "北京市朝阳区教育委员会"},
	{"110108", "北京市海淀区教育委员会"}, {"120101", "天津市和平区教育局"}, {"130102", "石家庄市长安区教育局"},
	{"140105", "太原市小店区教育局"}, {"210102", "沈阳市和平区教育局"}, {"220102", "长春市南关区教育局"},
	{"230102", "哈尔滨市道里区教育局"}, {"310101", "上海市黄浦区教育局"}, {"310104", "上海市徐汇区教育局"},
	{"310115", "上海市浦东新区教育局"}, {"320102", "南京市玄武区教育局"}, {"320508", "苏州市姑苏区教育局"},
	{"330102", "杭州市上城区教育局"}, {"330106", "杭州市西湖区教育局"}, {"340102", "合肥市瑶海区教育局"},
	{"350102", "福州市鼓楼区教育局"}, {"360102", "南昌市东湖区教育局"}, {"370102", "济南市历下区教育局"},
	{"370202", "青岛市市南区教育局"}, {"410105", "郑州市金水区教育局"}, {"420106", "武汉市武昌区教育局"},
	{"430102", "长沙市芙蓉区教育局"}, {"440103", "广州市荔湾区教育局"}, {"440106", "广州市天河区教育局"},
	{"440304", "深圳市福田区教育局"}, {"450103", "南宁市青秀区教育局"}, {"460106", "海口市龙华区教育局"},
	{"500103", "重庆市渝中区教育委员会"}, {"510104", "成都市锦江区教育局"}, {"510107", "成都市武侯区教育局"},
	{"520102", "贵阳市南明区教育局"}, {"530102", "昆明市五华区教育体育局"}, {"610104", "西安市莲湖区教育局"},
	{"620102", "兰州市城关区教育局"}, {"630102", "西宁市城东区教育局"}, {"640104", "银川市兴庆区教育局"},
	{"650102", "乌鲁木齐市天山区教育局"},
}

// Surnames, most common first; picked with weights falling off with rank,
// so 王, 李, 张 dominate as they do in life. The last few are compound.
var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
	"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
	"余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
	"龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤",
	"欧阳", "司马", "上官", "诸葛",
}

// Characters common in given names.
var givenChars = []rune(
	"伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬建国文辉鹏飞斌宇浩凯健俊帆帅旭宁" +
		"晨阳欣怡佳琪雪梅婷颖倩晶丹慧琳瑶璐思雨萱涵子轩梓睿博文昊然一诺嘉豪志成海波永林春燕淑珍德兴福生" +
		"德华振东晓峰小红立新学军宏亮光耀锦程秋月晓燕冬梅树森家乐雅静美玲诗琪若曦紫薇")

// Kinds with rough weights: most teachers hold a primary or secondary
// qualification.
var kinds = []struct {
	id     string
	digit  byte // the kind digit of the certificate number
	weight int
}{
	{"kindergarten", '1', 12}, {"primary", '2', 30}, {"junior_secondary", '3', 25}, {"senior_secondary", '4', 20},
	{"vocational", '5', 5}, {"vocational_practice", '6', 3}, {"higher", '7', 5},
}

var subjects = map[string][]string{
	"kindergarten":        {""},
	"primary":             {"语文", "数学", "英语", "科学", "音乐", "体育", "美术", "道德与法治", "信息技术"},
	"junior_secondary":    {"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "音乐", "体育与健康", "美术", "信息技术"},
	"senior_secondary":    {"语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "思想政治", "音乐", "体育与健康", "美术", "信息技术", "通用技术", "心理健康教育"},
	"vocational":          {"机械加工技术", "电子技术应用", "计算机应用", "会计事务", "护理", "学前教育", "旅游服务与管理"},
	"vocational_practice": {"数控技术应用", "汽车运用与维修", "烹饪", "美发与形象设计", "电气运行与控制"},
	"higher":              {"汉语言文学", "数学与应用数学", "英语", "计算机科学与技术", "教育学", "物理学", "化学"},
}

// GB 11643-1999 check digit.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = "10X98765432"
)

func checkDigit(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheck[sum%11]
}

var (
	firstIssue = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	lastIssue  = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
)

// row is one credential.
type row struct {
	no, name, idNumber, kind, subject, issuer, issued, until string
}

type generator struct {
	rng         *rand.Rand
	idNumbers   bool
	serials     map[string]int // year+district+kind -> last serial used
	ids         map[string]struct{}
	surnameCum  []int
	kindCum     []int
	totalWeight int
	kindWeight  int
}

func newGenerator(seed uint64, idNumbers bool) *generator {
	g := &generator{
		rng:       rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		idNumbers: idNumbers,
		serials:   map[string]int{},
		ids:       map[string]struct{}{},
	}
	for i := range surnames {
		g.totalWeight += 1000 / (i + 5) // Zipf-like, flattened
		g.surnameCum = append(g.surnameCum, g.totalWeight)
	}
	for _, k := range kinds {
		g.kindWeight += k.weight
		g.kindCum = append(g.kindCum, g.kindWeight)
	}
	return g
}

func pickCum(rng *rand.Rand, cum []int, total int) int {
	x := rng.IntN(total)
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func (g *generator) name() string {
	s := surnames[pickCum(g.rng, g.surnameCum, g.totalWeight)]
	n := 2
	if g.rng.IntN(10) < 3 {
		n = 1
	}
	b := []rune(s)
	for range n {
		b = append(b, givenChars[g.rng.IntN(len(givenChars))])
	}
	return string(b)
}

func (g *generator) next() row {
	var r row
	// The random draws are made in the same order whether or not ID
	// numbers are wanted, so that -id-numbers changes nothing else.
	r.name = g.name()
	k := kinds[pickCum(g.rng, g.kindCum, g.kindWeight)]
	r.kind = k.id
	subs := subjects[k.id]
	r.subject = subs[g.rng.IntN(len(subs))]
	d := districts[g.rng.IntN(len(districts))]
	r.issuer = d.issuer
	span := int(lastIssue.Sub(firstIssue).Hours() / 24)
	issued := firstIssue.AddDate(0, 0, g.rng.IntN(span+1))
	r.issued = issued.Format("2006-01-02")
	// Registration runs five years from issue; about one in ten holders
	// let it lapse a year early on paper (registered_until before the
	// five years), so the register mixes current and lapsed entries.
	until := issued.AddDate(5, 0, -1)
	if g.rng.IntN(10) == 0 {
		until = issued.AddDate(4, 0, -1)
	}
	r.until = until.Format("2006-01-02")
	bucket := issued.Format("2006") + d.code + string(k.digit)
	g.serials[bucket]++
	if g.serials[bucket] > 999999 {
		panic("gencsv: more than 999999 certificates in one year, district and kind")
	}
	r.no = bucket + fmt.Sprintf("%06d", g.serials[bucket])

	age := 21 + g.rng.IntN(35)
	birth := issued.AddDate(-age, 0, -g.rng.IntN(365))
	seq := g.rng.IntN(1000)
	if g.idNumbers {
		for {
			first17 := d.code + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
			id := first17 + string(checkDigit(first17))
			if _, dup := g.ids[id]; !dup {
				g.ids[id] = struct{}{}
				r.idNumber = id
				break
			}
			seq = (seq + 1) % 1000
			if seq == 0 {
				birth = birth.AddDate(0, 0, 1)
			}
		}
	}
	return r
}

func main() {
	n := flag.Int("n", 1000, "number of credentials")
	out := flag.String("o", "-", "CSV output file, - for standard output")
	seed := flag.Uint64("seed", 1, "random seed; the same seed and -n give the same file")
	idNumbers := flag.Bool("id-numbers", false, "fill id_number with valid, unique 18-character resident ID numbers")
	pairsOut := flag.String("pairs", "", "also write certificate_no<TAB>name lines for a load test to this file")
	pairsN := flag.Int("pairs-n", 100000, "number of lines in the -pairs file")
	miss := flag.Float64("miss", 0.1, "fraction of -pairs lines that are misses (unknown number or wrong name)")
	flag.Parse()
	if *n < 1 || *pairsN < 1 || *miss < 0 || *miss > 1 {
		fmt.Fprintln(os.Stderr, "gencsv: -n and -pairs-n must be at least 1, -miss within 0..1")
		os.Exit(2)
	}
	if err := run(*n, *out, *seed, *idNumbers, *pairsOut, *pairsN, *miss); err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}

func create(path string) (io.Writer, func() error, error) {
	if path == "-" || path == "" {
		return os.Stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func run(n int, out string, seed uint64, idNumbers bool, pairsOut string, pairsN int, miss float64) error {
	w, closeOut, err := create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	if err := cw.Write([]string{"certificate_no", "holder_name", "id_number", "kind", "subject", "issuer", "issued_on", "registered_until"}); err != nil {
		return err
	}
	g := newGenerator(seed, idNumbers)
	wantPairs := pairsOut != ""
	var nos, names []string
	if wantPairs {
		nos, names = make([]string, 0, n), make([]string, 0, n)
	}
	for range n {
		r := g.next()
		if err := cw.Write([]string{r.no, r.name, r.idNumber, r.kind, r.subject, r.issuer, r.issued, r.until}); err != nil {
			return err
		}
		if wantPairs {
			nos, names = append(nos, r.no), append(names, r.name)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := closeOut(); err != nil {
		return err
	}
	if !wantPairs {
		return nil
	}
	return writePairs(g, pairsOut, seed, nos, names, pairsN, miss)
}

// writePairs samples the load test's checks from the register just
// written, on a random stream of its own.
func writePairs(g *generator, path string, seed uint64, nos, names []string, count int, miss float64) error {
	w, closeOut, err := create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	for range count {
		i := rng.IntN(len(nos))
		no, name := nos[i], names[i]
		if rng.Float64() < miss {
			if rng.IntN(2) == 0 {
				// An unused number: a bucket's serial past the last one
				// handed out (buckets hold far fewer than 999999).
				bucket := no[:11]
				s := min(g.serials[bucket]+1+rng.IntN(1000), 999999)
				if s > g.serials[bucket] {
					no = bucket + fmt.Sprintf("%06d", s)
				} else { // a full bucket: fall back to a wrong name
					name = g.nameFrom(rng)
				}
			} else {
				// A registered number asked with someone else's name.
				for other := names[rng.IntN(len(names))]; ; other = g.nameFrom(rng) {
					if other != name {
						name = other
						break
					}
				}
			}
		}
		if _, err := bw.WriteString(no + "\t" + name + "\n"); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return closeOut()
}

// nameFrom draws a name from rng rather than the register's stream.
func (g *generator) nameFrom(rng *rand.Rand) string {
	return surnames[rng.IntN(len(surnames))] + string(givenChars[rng.IntN(len(givenChars))]) +
		string(givenChars[rng.IntN(len(givenChars))])
}

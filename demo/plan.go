package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"ethicsportal/store"
)

// constraint is what a case must be; zero fields leave the choice free.
type constraint struct {
	district, stage string
	cat             int
	sanction        string   // a sanction type the case imposes
	need            []string // sanction types the case imposes, all of them
	without         []string // sanction types the case does not impose
	life            bool     // an industry ban is for life
	recent          bool     // decided lately: in public view at Now
}

// plan is every choice made for a case before it is written.
type plan struct {
	sc       *scenario
	level    int
	district string
	st       *stage
	cats     []int
	types    []string // sanction types, in the order the decision lists them
	banLife  bool
	private  bool
	school   string
	role     string
	post     string // the post a removal takes away
	subject  string // masked
	auth     int
	incident store.Date
	decision store.Date
	status   string
	amend    int // amendments, 0 to 2
	withdraw bool
}

// plan makes the choices for one case.
func (g *Generator) plan(r *rand.Rand, want constraint) plan {
	var p plan
	must := want.need
	if want.sanction != "" {
		must = append(slices.Clone(must), want.sanction)
	}
	if len(must) > 0 || len(want.without) > 0 {
		p.level, p.types = setWith(r, must, want.without)
	}
	p.sc = pickScenario(r, want, p.level)
	if p.level == 0 {
		p.level = pickLevel(r, p.sc.min, p.sc.max)
	}
	if p.types == nil {
		p.types = pickSet(r, p.level)
	}
	p.banLife = slices.Contains(p.types, "industry_ban") && (want.life || (want.need == nil && r.IntN(10) < 3))
	p.st = stageByID(want.stage)
	if p.st == nil || !strings.ContainsRune(p.sc.stages, rune(p.st.letter)) {
		p.st = pickStage(r, p.sc.stages)
	}
	p.district = want.district
	if p.district == "" {
		p.district = districtNames[weighted(r, districtWeight)]
	}
	p.cats = []int{p.sc.cat}
	if len(p.sc.also) > 0 && r.IntN(2) == 0 {
		if c := pick(r, p.sc.also); p.st.id != "kindergarten" || kgGuidelines[c].num != "" {
			p.cats = append(p.cats, c)
		}
	}
	slices.Sort(p.cats)
	p.private = (p.st.id == "kindergarten" && r.IntN(100) < 45) || (p.st.id == "vocational" && r.IntN(100) < 20)
	p.school = schoolName(r, p.st, p.district, p.private)
	p.role = pick(r, p.st.roles)
	if p.sc.post || slices.Contains(p.types, "removal") {
		p.role = pick(r, p.st.posts)
		p.post = p.role
	}
	p.subject = maskedName(r)
	p.auth = pickAuthority(r, p)
	p.incident, p.decision = g.dates(r, p.sc.since, want.recent)
	p.status = store.CasePublished
	if !want.recent && daysBetween(p.decision, g.today) < 40 && r.IntN(10) < 3 {
		p.status = store.CaseDraft
	}
	if x := r.IntN(100); x < 7 {
		p.amend = 1 + r.IntN(10)/8 // one in five amended cases twice
	}
	p.withdraw = r.IntN(100) < 3
	if g.public {
		p.status, p.withdraw = store.CasePublished, false
	}
	return p
}

// setWith picks a level and a set of sanctions that holds every type of
// must and none of without; when no listed set does, the gravest level
// with must alone.
func setWith(r *rand.Rand, must, without []string) (int, []string) {
	type cand struct {
		level int
		types []string
	}
	var cs []cand
	var ws []int
	for level := 1; level <= 4; level++ {
		for _, s := range sanctionSets[level] {
			if containsAll(s.types, must) && !slices.ContainsFunc(without, func(t string) bool { return slices.Contains(s.types, t) }) {
				cs = append(cs, cand{level, s.types})
				ws = append(ws, s.weight*levelWeight[level])
			}
		}
	}
	if len(cs) == 0 {
		out := slices.Clone(must)
		slices.SortFunc(out, func(a, b string) int {
			return slices.Index(sanctionOrder, a) - slices.Index(sanctionOrder, b)
		})
		return 4, slices.Compact(out)
	}
	c := cs[weighted(r, ws)]
	return c.level, slices.Clone(c.types)
}

func containsAll(set, xs []string) bool {
	for _, x := range xs {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// pickScenario picks a scenario fitting want and level (0: any), dropping
// the stage, and then the level, when nothing fits them all.
func pickScenario(r *rand.Rand, want constraint, level int) *scenario {
	letter := byte(0)
	if st := stageByID(want.stage); st != nil {
		letter = st.letter
	}
	for _, strict := range []struct{ stage, level bool }{{true, true}, {false, true}, {false, false}} {
		var cs []*scenario
		var ws []int
		for i := range allScenarios {
			sc := &allScenarios[i]
			switch {
			case want.cat != 0 && sc.cat != want.cat:
			case strict.stage && letter != 0 && !strings.ContainsRune(sc.stages, rune(letter)):
			case strict.level && level != 0 && (level < sc.min || level > sc.max):
			default:
				cs = append(cs, sc)
				ws = append(ws, sc.weight)
			}
		}
		if len(cs) > 0 {
			return cs[weighted(r, ws)]
		}
	}
	return &allScenarios[r.IntN(len(allScenarios))]
}

func pickLevel(r *rand.Rand, lo, hi int) int {
	return lo + weighted(r, levelWeight[lo:hi+1])
}

func pickSet(r *rand.Rand, level int) []string {
	ws := make([]int, len(sanctionSets[level]))
	for i, s := range sanctionSets[level] {
		ws[i] = s.weight
	}
	return slices.Clone(sanctionSets[level][weighted(r, ws)].types)
}

func pickStage(r *rand.Rand, letters string) *stage {
	var cs []*stage
	var ws []int
	for _, st := range stages {
		if strings.ContainsRune(letters, rune(st.letter)) {
			cs = append(cs, st)
			ws = append(ws, st.weight)
		}
	}
	return cs[weighted(r, ws)]
}

// weighted returns an index of ws with probability proportional to its
// weight.
func weighted(r *rand.Rand, ws []int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	x := r.IntN(total)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// maskedName is a subject's name as published: a surname and 某 or 某某.
func maskedName(r *rand.Rand) string {
	s := surnames[weightedRank(r, len(surnames))]
	if r.IntN(100) < 2 {
		s = pick(r, compoundSurnames)
	}
	if r.IntN(10) < 3 {
		return s + "某"
	}
	return s + "某某"
}

// weightedRank picks an index below n, the lower ones more often, as
// surnames are in life.
func weightedRank(r *rand.Rand, n int) int {
	return int(float64(n) * math.Pow(r.Float64(), 1.8))
}

func schoolName(r *rand.Rand, st *stage, district string, private bool) string {
	pat := pick(r, st.schools)
	if private && len(st.private) > 0 {
		pat = pick(r, st.private)
	}
	if strings.Contains(pat, "小学") && !strings.Contains(pat, "{N}") && rural[district] && r.IntN(3) == 0 {
		pat = "{D}{place}中心小学"
	}
	name := strings.NewReplacer("{D}", district, "{place}", pick(r, placeA)+pick(r, placeB), "{N}", cn(21+r.IntN(49))).Replace(pat)
	if r.IntN(10) < 3 {
		name = "北京市" + name
	}
	return name
}

func pickAuthority(r *rand.Rand, p plan) int {
	qualification := slices.Contains(p.types, "revoke_qualification") || slices.Contains(p.types, "industry_ban")
	// A discipline commission imposes one sanction of public-servant
	// discipline (政务处分) at a time; two in one decision are the
	// employer's.
	disciplinary := 0
	for _, t := range p.types {
		if slices.Contains([]string{"warning", "demerit", "major_demerit", "demotion", "removal", "dismissal"}, t) {
			disciplinary++
		}
	}
	x := r.IntN(100)
	switch {
	case disciplinary > 1 && !qualification:
		if p.level == 1 && x < 50 {
			return bySchool
		}
		return byBureau
	case qualification:
		if x < 85 {
			return byBureau
		}
		return byCity
	case p.level == 1:
		if x < 55 {
			return bySchool
		}
		return byBureau
	case p.private:
		if p.level == 2 && x < 30 {
			return bySchool
		}
		return byBureau
	case p.level == 2:
		if x < 20 {
			return bySchool
		}
		if x < 45 {
			return byDiscipline
		}
		return byBureau
	case p.level == 3:
		if x < 45 {
			return byDiscipline
		}
		return byBureau
	default:
		if x < 85 {
			return byBureau
		}
		return byCity
	}
}

// earliestIncident: nothing happens before the Ten Guidelines were issued.
var earliestIncident = store.NewDate(2018, time.November, 20)

// dates picks the incident and decision dates. Decisions grow more
// frequent towards Now, as the platform did; a recent case was decided in
// the last few months.
func (g *Generator) dates(r *rand.Rand, since int, recent bool) (incident, decision store.Date) {
	latest := g.today.AddDays(-2)
	if recent {
		decision = latest.AddDays(-20 - r.IntN(90))
	} else {
		earliest := firstDecision
		if s := store.NewDate(since, time.September, 1); since > 0 && s.After(earliest) {
			earliest = s
		}
		span := daysBetween(earliest, latest)
		decision = earliest.AddDays(int(math.Sqrt(r.Float64()) * float64(span)))
	}
	incident = decision.AddDays(-20 - r.IntN(220))
	floor := earliestIncident
	if s := store.NewDate(since, time.January, 1); since > 0 && s.After(floor) {
		floor = s
	}
	if incident.Before(floor) {
		incident = floor.AddDays(r.IntN(max(1, daysBetween(floor, decision)-14)))
	}
	return incident, decision
}

package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/store"
)

// About the portal and its methods: what it publishes and for how long,
// how to ask for a correction, and how its receipts and audit checkpoints
// can be checked without trusting it. The disclosure periods shown are the
// ones this portal is configured with, not a policy written down apart.

// aboutView is the about page's data.
type aboutView struct {
	Periods    []disclosurePeriod // in the taxonomy's order of sanctions
	Guidelines []string           // the Ten Guidelines' names, in order
	FourEyes   bool               // a second person approves every consequential change
}

type disclosurePeriod struct {
	Sanction string // its name in the page's language
	Months   int
	// BanTerm marks the industry ban, whose case stays public for the
	// ban's own term when a ban on record names the case.
	BanTerm bool
}

func (s *Server) aboutPage(c *fiber.Ctx) error {
	lang := pageLang(c)
	periods := s.app.Config().DisclosurePeriods
	tax := store.DefaultTaxonomy()
	out := aboutView{FourEyes: s.app.Config().FourEyes}
	for _, g := range tax.Categories {
		name := g.ZH
		if lang == langEN {
			name = g.EN
		}
		out.Guidelines = append(out.Guidelines, name)
	}
	for _, t := range tax.Sanctions {
		months, ok := periods[t.ID]
		if !ok {
			continue
		}
		out.Periods = append(out.Periods, disclosurePeriod{Sanction: termName([]store.Term{t}, t.ID, lang), Months: months, BanTerm: t.ID == "industry_ban"})
	}
	return s.render(c, fiber.StatusOK, "about", "about.title", out)
}

// aboutMethodView is the method page's data: the portal's address, for the
// commands it shows.
type aboutMethodView struct {
	BaseURL string
}

func (s *Server) aboutMethodPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "about_method", "about.method.title", aboutMethodView{BaseURL: strings.TrimRight(s.app.Config().BaseURL, "/")})
}

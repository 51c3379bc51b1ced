package handlers

import (
	"encoding/xml"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The Atom 1.0 feed of the newest published cases (RFC 4287).

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     atomText   `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Link      atomLink   `xml:"link"`
	Summary   atomText   `xml:"summary"`
	Author    atomPerson `xml:"author"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

// feedTitle and feedAuthor name the portal in the feed.
const (
	feedTitle  = "师德失范案例 · Ethics Portal"
	feedAuthor = "Ethics Portal"
)

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// feed answers GET /feed.atom from the store.
func (s *Server) feed(c *fiber.Ctx) error {
	f, err := s.app.CaseFeed(c.UserContext())
	if err != nil {
		return err
	}
	out := atomFeed{Lang: "zh-CN", ID: f.ID, Title: atomText{Type: "text", Text: feedTitle}, Updated: atomTime(f.Updated),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: f.SelfURL},
			{Rel: "alternate", Type: "text/html", Href: f.SiteURL},
		},
		Author: atomPerson{Name: feedAuthor}, Entries: make([]atomEntry, 0, len(f.Entries))}
	for _, e := range f.Entries {
		out.Entries = append(out.Entries, atomEntry{ID: e.ID, Title: atomText{Type: "text", Text: e.Title},
			Updated: atomTime(e.Updated), Published: atomTime(e.Published),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: e.URL},
			Summary: atomText{Type: "text", Text: e.Summary}, Author: atomPerson{Name: e.Author}})
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), body...))
}

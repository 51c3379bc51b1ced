package handlers_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// The feed as an independent reader sees it: only what RFC 4287 names.
type parsedFeed struct {
	XMLName xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string        `xml:"http://www.w3.org/2005/Atom id"`
	Title   string        `xml:"http://www.w3.org/2005/Atom title"`
	Updated string        `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []parsedLink  `xml:"http://www.w3.org/2005/Atom link"`
	Authors []string      `xml:"http://www.w3.org/2005/Atom author>name"`
	Entries []parsedEntry `xml:"http://www.w3.org/2005/Atom entry"`
}

type parsedLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

type parsedEntry struct {
	ID        string       `xml:"http://www.w3.org/2005/Atom id"`
	Title     string       `xml:"http://www.w3.org/2005/Atom title"`
	Updated   string       `xml:"http://www.w3.org/2005/Atom updated"`
	Published string       `xml:"http://www.w3.org/2005/Atom published"`
	Links     []parsedLink `xml:"http://www.w3.org/2005/Atom link"`
	Summary   string       `xml:"http://www.w3.org/2005/Atom summary"`
	Authors   []string     `xml:"http://www.w3.org/2005/Atom author>name"`
}

// readFeed fetches /feed.atom, checks it is well-formed XML in the Atom
// namespace and has what RFC 4287 requires of a feed and its entries.
func readFeed(t *testing.T, e *env) parsedFeed {
	t.Helper()
	r := e.do("GET", "/feed.atom", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	// Well-formed from start to end, token by token.
	dec := xml.NewDecoder(bytes.NewReader(r.body))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the feed is not well-formed XML: %v\n%s", err, r.body)
		}
	}
	var f parsedFeed
	if err := xml.Unmarshal(r.body, &f); err != nil {
		t.Fatalf("feed: %v\n%s", err, r.body)
	}
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if f.ID == "" || f.Title == "" || !rfc3339(f.Updated) || rels["self"] != "http://portal.test/feed.atom" || rels["alternate"] == "" || len(f.Authors) != 1 || f.Authors[0] == "" {
		t.Fatalf("the feed lacks a required element: %+v", f)
	}
	seen := map[string]bool{}
	for _, en := range f.Entries {
		if en.ID == "" || seen[en.ID] || en.Title == "" || !rfc3339(en.Updated) || !rfc3339(en.Published) || len(en.Links) != 1 ||
			en.Links[0].Rel != "alternate" || en.Links[0].Href == "" || en.Summary == "" || len(en.Authors) != 1 || en.Authors[0] == "" {
			t.Fatalf("an entry lacks a required element: %+v", en)
		}
		seen[en.ID] = true
	}
	return f
}

func rfc3339(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }

// feedIDs returns the ids of the feed's entries, in order.
func feedIDs(t *testing.T, e *env) []string {
	t.Helper()
	var ids []string
	for _, en := range readFeed(t, e).Entries {
		ids = append(ids, en.ID)
	}
	return ids
}

func TestFeed(t *testing.T) {
	e := newEnv(t, nil)
	if f := readFeed(t, e); len(f.Entries) != 0 {
		t.Fatalf("an empty store's feed: %+v", f)
	}
	tm := e.team()
	// Text that must be escaped: markup-like characters that are not tags.
	first := e.publish(tm.editor, tm.reviewer, map[string]any{"title": `"体罚" & 辱骂 5<6 学生`, "authority": "某区教委 & 纪委"}, "")
	e.later(time.Hour, &tm)
	second := e.publish(tm.editor, tm.reviewer, map[string]any{"title": "第二个案例"}, "")
	e.draftID(tm.editor, map[string]any{"title": "一份草稿"})
	withdrawn := e.publish(tm.editor, tm.reviewer, map[string]any{"title": "将被撤回的案例"}, "")
	e.approve(tm.reviewer, e.propose(tm.editor, map[string]any{"kind": "withdraw_case", "case_id": withdrawn, "reason": "撤回"}))
	e.later(time.Hour, &tm)
	e.approve(tm.reviewer, e.propose(tm.editor, map[string]any{"kind": "amend_case", "case_id": first, "changes": map[string]any{"summary": "更正后的摘要。"}, "note": "更正摘要", "reason": "更正"}))

	f := readFeed(t, e)
	if len(f.Entries) != 2 {
		t.Fatalf("entries %+v, want the two published cases", f.Entries)
	}
	newest, older := f.Entries[0], f.Entries[1]
	if newest.ID != "http://portal.test/cases/"+second || older.ID != "http://portal.test/cases/"+first {
		t.Fatalf("order or ids: %s, %s", newest.ID, older.ID)
	}
	if older.Title != `"体罚" & 辱骂 5<6 学生` || older.Authors[0] != "某区教委 & 纪委" || older.Summary != "更正后的摘要。" ||
		older.Links[0].Href != "http://portal.test/cases/"+first {
		t.Fatalf("escaped text does not round-trip: %+v", older)
	}
	if older.Published != "2026-06-01T04:00:00Z" || older.Updated != "2026-06-01T06:00:00Z" || f.Updated != "2026-06-01T06:00:00Z" {
		t.Fatalf("times: feed %s, entry published %s updated %s", f.Updated, older.Published, older.Updated)
	}
	body := string(e.do("GET", "/feed.atom", nil).body)
	for _, s := range []string{"一份草稿", "将被撤回的案例", "20191100141000123", "certificate_no"} {
		if strings.Contains(body, s) {
			t.Fatalf("the feed holds %q", s)
		}
	}
}

package bleve

import (
	"ethicsportal/demo"
	"ethicsportal/search"
	"ethicsportal/store"
)

// demoSeed is the seed bench/search.sh gives bench/gencases by default, so that the benchmark
// here and that one measure the same cases and queries.
const demoSeed = 1

// demoCases returns the first n cases of the portal's demo data set as bench/gencases writes
// them for the search benchmark (every case published and in public view), as documents.
func demoCases(n int) ([]search.Document, error) {
	g, err := demo.NewGenerator(demoSeed, demo.Options{Now: demo.DefaultNow, Public: true})
	if err != nil {
		return nil, err
	}
	docs := make([]search.Document, n)
	for i := range docs {
		c := g.Case(i)
		// What the portal indexes of a case (app's caseDocument).
		docs[i] = search.Document{
			ID: c.ID, Title: c.Title, Summary: c.Summary, Body: c.Body, SubjectName: c.SubjectName,
			School: c.School, Authority: c.Authority, District: c.District, Stage: c.Stage,
			Categories: c.Categories, Sanctions: c.Sanctions, DecisionDate: c.DecisionDate,
			PublishedAt: c.PublishedAt, PublishUntil: c.PublishUntil,
		}
	}
	return docs, nil
}

// demoQueries returns the search benchmark's 500 queries (bench/gencases -queries 500).
func demoQueries() []string { return demo.Queries(demoSeed, 500) }

// demoToday is the day the demo cases are written as of: all of them are in view then.
func demoToday() store.Date { return store.Today(demo.DefaultNow) }

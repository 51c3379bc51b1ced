package handlers

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ethicsportal/static"
)

// Every string a template or handler asks the catalogue for is in it, in
// both languages (loadCatalog refuses an entry missing one).
func TestEveryUIStringIsInTheCatalogue(t *testing.T) {
	st, err := newSite()
	if err != nil {
		t.Fatal(err)
	}
	inTemplates := regexp.MustCompile(`\bT "([^"]+)"`)
	err = fs.WalkDir(static.Web, "web/templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.Web, p)
		if err != nil {
			return err
		}
		for _, m := range inTemplates.FindAllStringSubmatch(string(b), -1) {
			if !st.catalog.has(m[1]) {
				t.Errorf("%s: %q is not in the catalogue", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Keys named in Go: page titles passed to render, and keys marked with uiKey.
	inGo := regexp.MustCompile(`(?:render\(c, [^,]+, "[^"]+", "([^"]+)"|uiKey\("([^"]+)"\))`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range inGo.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2]
			if !st.catalog.has(key) {
				t.Errorf("%s: %q is not in the catalogue", f, key)
			}
		}
	}
}

// Every page parses, and every asset the templates name exists (asset
// fails the render otherwise; the page tests render them all).
func TestSiteLoads(t *testing.T) {
	st, err := newSite()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"error", "home", "login", "console"} {
		if st.pages[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
}

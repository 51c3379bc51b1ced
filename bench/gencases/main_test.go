package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ethicsportal/demo"
	"ethicsportal/store"
)

func TestWritesTheGeneratorsCases(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "2500", "-seed", "9", "-public=false", "-now", "2026-06-30"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	g, err := demo.NewGenerator(9, demo.Options{Now: demo.DefaultNow.AddDate(0, -5, 0)})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var c store.Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := g.Case(i)
		// Times read back from JSON carry no monotonic reading and a fixed zone.
		if a, b := mustJSON(t, c), mustJSON(t, want); a != b {
			t.Fatalf("line %d differs from the generator's case %d:\n%s\n%s", i+1, i, a, b)
		}
		if c.ID != want.ID || c.Title != want.Title || !reflect.DeepEqual(c.Sanctions, want.Sanctions) || c.PublishUntil != want.PublishUntil {
			t.Fatalf("line %d: %+v", i+1, c)
		}
	}
	if i != 2500 {
		t.Fatalf("%d lines, want 2500", i)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPublicByDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cases.jsonl")
	var errOut bytes.Buffer
	if code := run([]string{"-n", "300", "-o", path}, nil, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var c store.Case
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		if !c.Visible(store.Today(demo.DefaultNow)) {
			t.Fatalf("case %s is not in public view: %s until %s", c.ID, c.Status, c.PublishUntil)
		}
	}
}

func TestQueries(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-queries", "500", "-seed", "3"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if !reflect.DeepEqual(got, demo.Queries(3, 500)) {
		t.Fatalf("the queries written are not demo.Queries: %d lines", len(got))
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "-1"}, {"-now", "2026-13-01"}, {"extra"}, {"-bogus"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

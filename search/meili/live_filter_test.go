package meili_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"ethicsportal/search/meili"
	"ethicsportal/search/meili/meilitest"
)

// TestFilterInjectionLive: on a real server, a filter built from hostile
// values matches exactly the documents holding those values, and nothing
// else: the values never become syntax.
func TestFilterInjectionLive(t *testing.T) {
	cfg := meilitest.Config(t)
	c := meilisearch.New(cfg.URL, meilisearch.WithAPIKey(cfg.Key))
	defer c.Close()
	ctx := t.Context()
	values := []string{"海淀区", `海淀区" OR status = "draft`, `a\b`, `a\`, `a"b`, `x' OR '1'='1`, `"`, `\"`, "draft"}
	type row struct {
		ID       string `json:"id"`
		District string `json:"district"`
		Status   string `json:"status"`
	}
	var rows []row
	for i, v := range values {
		rows = append(rows, row{ID: string(rune('a' + i)), District: v, Status: "published"})
	}
	rows = append(rows, row{ID: "z", District: "朝阳区", Status: "draft"})
	wait := func(info *meilisearch.TaskInfo, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		task, err := c.WaitForTask(ctx, info.TaskUID, 5*time.Millisecond)
		if err != nil || task.Status != meilisearch.TaskStatusSucceeded {
			t.Fatalf("task %+v, %v", task, err)
		}
	}
	pk := "id"
	wait(c.Index(cfg.Index).UpdateFilterableAttributes(ctx, &[]interface{}{"district", "status"}))
	wait(c.Index(cfg.Index).AddDocuments(ctx, rows, &meilisearch.DocumentOptions{PrimaryKey: &pk}))
	ids := func(expr string) []string {
		t.Helper()
		raw, err := c.Index(cfg.Index).SearchRaw(ctx, "", &meilisearch.SearchRequest{Filter: expr, Limit: 100})
		if err != nil {
			t.Fatalf("filter %s: %v", expr, err)
		}
		var resp struct{ Hits []row }
		if err := json.Unmarshal(*raw, &resp); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range resp.Hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	for i, v := range values {
		if got := ids(meili.FilterEq("district", v)); !slices.Equal(got, []string{string(rune('a' + i))}) {
			t.Errorf("district = %q matches %v, want only its own document", v, got)
		}
	}
	if got := ids(meili.FilterIn("district", values)); len(got) != len(values) || slices.Contains(got, "z") {
		t.Errorf("district IN all the values matches %v", got)
	}
}

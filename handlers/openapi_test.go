package handlers_test

import (
	"strings"
	"testing"
)

// The contract names GET /api/v1/openapi.json beside the YAML form.
func TestOpenAPIJSON(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/api/v1/openapi.json", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s %.100s", r.status, r.header.Get("Content-Type"), r.body)
	}
	paths, _ := r.json["paths"].(map[string]any)
	if r.str("openapi") == "" || paths["/api/v1/openapi.json"] == nil || paths["/api/v1/verifications"] == nil {
		t.Fatalf("openapi.json is not the document: %.200s", r.body)
	}
	if y := e.do("GET", "/api/v1/openapi.yaml", nil); y.status != 200 || !strings.Contains(string(y.body), "/api/v1/openapi.json:") {
		t.Fatalf("openapi.yaml: %d", y.status)
	}
}

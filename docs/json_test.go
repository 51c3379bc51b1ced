package docs

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The JSON form holds the same document as the YAML: decoded both ways
// (with YAML's keys as strings), they are equal.
func TestOpenAPIJSONIsTheYAML(t *testing.T) {
	raw, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON any
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(OpenAPI, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if want := jsonShape(t, fromYAML); !reflect.DeepEqual(fromJSON, want) {
		t.Fatal("the JSON form differs from the YAML document")
	}
	if !strings.HasPrefix(string(raw), `{"openapi":"3.1`) {
		t.Fatalf("keys out of document order: %.40s", raw)
	}
}

// jsonShape turns a YAML-decoded value into what encoding/json would decode
// from the same document: string keys, float64 numbers.
func jsonShape(t *testing.T, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonShape(t, e)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			ks, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.Trim(string(ks), `"`)] = jsonShape(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonShape(t, e)
		}
		return out
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

package docs

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// OpenAPIJSON returns the OpenAPI document as JSON, converted from the
// embedded YAML with its keys in document order. Each call converts anew;
// callers keep the result, since the document does not change while the
// binary runs.
func OpenAPIJSON() ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(OpenAPI, &root); err != nil {
		return nil, fmt.Errorf("docs: openapi.yaml: %w", err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, &root); err != nil {
		return nil, fmt.Errorf("docs: openapi.yaml to JSON: %w", err)
	}
	return b.Bytes(), nil
}

// writeJSON writes the YAML node n as JSON. Mapping keys become strings
// (YAML's 200 is JSON's "200"), and aliases are expanded.
func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: a document holds one value", n.Line)
		}
		return writeJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a mapping key that is not a scalar", k.Line)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			key, err := json.Marshal(k.Value)
			if err != nil {
				return err
			}
			b.Write(key)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b.Write(raw)
	default:
		return fmt.Errorf("line %d: an unexpected YAML node", n.Line)
	}
	return nil
}

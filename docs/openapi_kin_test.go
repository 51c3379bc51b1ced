package docs

import (
	"context"
	"errors"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIValidates loads the document with kin-openapi, as an
// integrator's tooling would, and validates it: OpenAPI 3.1 structure,
// resolvable references, and every example against its schema.
func TestOpenAPIValidates(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("kin-openapi cannot load docs/openapi.yaml: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q: kin-openapi does not read it as 3.1", doc.OpenAPI)
	}
	err = doc.Validate(context.Background(), openapi3.EnableMultiError(), openapi3.EnableExamplesValidation())
	var me openapi3.MultiError
	switch {
	case errors.As(err, &me):
		for _, e := range me {
			t.Error(e)
		}
	case err != nil:
		t.Error(err)
	}
}

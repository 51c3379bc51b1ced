// Package docs embeds the documents the portal serves about itself.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte

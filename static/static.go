// Package static embeds the files the portal ships inside its binary: the
// synthetic demo data set now, and templates, styles and scripts later.
package static

import "embed"

// Demo holds the synthetic data set that `serve --demo` loads on first
// start. Every name and number in it is made up.
//
//go:embed demo
var Demo embed.FS

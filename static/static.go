// Package static embeds the files the portal ships inside its binary: the
// synthetic demo data set, and the web pages' templates, styles, scripts
// and message catalogues.
package static

import "embed"

// Demo holds the synthetic data set that `serve --demo` loads on first
// start. Every name and number in it is made up.
//
//go:embed demo
var Demo embed.FS

// Web holds what the pages are made of: templates/ (html/template files,
// one per page plus the shared layout), assets/ (served under /static/) and
// i18n/ (the UI's strings in Simplified Chinese and English, one file per
// part of the site).
//
//go:embed web
var Web embed.FS

// Package search holds the full-text index interface of published cases and the text folding
// shared by indexing, querying and name matching.
package search

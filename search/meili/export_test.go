package meili

// FilterEq is the expression attr = value as the filter builder writes it.
func FilterEq(attr, value string) string {
	var f filter
	f.eq(attr, value)
	return f.String()
}

// FilterIn is the expression attr IN [values] as the filter builder writes it.
func FilterIn(attr string, values []string) string {
	var f filter
	f.in(attr, values)
	return f.String()
}

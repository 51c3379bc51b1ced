package handlers

// problemDetail is p's detail in lang. Only English details exist so far:
// a Chinese page shows no detail rather than an English one.
// TODO(problem i18n): a catalogue of the app's messages in Chinese.
func (s *Server) problemDetail(lang string, p Problem) string {
	if lang == langEN {
		return p.Detail
	}
	return ""
}

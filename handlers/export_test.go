package handlers

// MountVerifyBatch serves the batch handler at path with the JSON body
// limit and no client key, for the handler's tests until the School API's
// key middleware exists.
func MountVerifyBatch(s *Server, path string) {
	s.fiber.Post(path, noStore, limitBody(s.app.Config().BodyLimit), s.verifyBatch)
}

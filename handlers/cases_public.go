package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// publicCase answers GET /api/v1/cases/{id} from the store: the case when
// the public may see it, 410 with the notice when it was withdrawn, and one
// and the same 404 for an unknown id, a draft and an expired case.
func (s *Server) publicCase(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "case id")
	if err != nil {
		return err
	}
	ans, err := s.app.PublicCaseAnswer(c.UserContext(), id)
	if err != nil {
		return err
	}
	// Revalidated on every use: a withdrawal must show at once.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(ans.Status).Send(ans.Body)
}

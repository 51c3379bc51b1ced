package handlers

import "github.com/gofiber/fiber/v2"

// Public pages: home, search results and a case. Not built yet.

func (s *Server) homePage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "home", "home.title", nil)
}
func (s *Server) searchPage(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (s *Server) casePage(c *fiber.Ctx) error   { return fiber.ErrNotFound }

package handlers

import "github.com/gofiber/fiber/v2"

// About the portal and its methods. Not built yet.

func (s *Server) aboutPage(c *fiber.Ctx) error { return fiber.ErrNotFound }

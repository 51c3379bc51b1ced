package handlers

import "github.com/gofiber/fiber/v2"

// Verification and receipt pages. Not built yet.

func (s *Server) verifyPage(c *fiber.Ctx) error       { return fiber.ErrNotFound }
func (s *Server) verifyForm(c *fiber.Ctx) error       { return fiber.ErrNotFound }
func (s *Server) receiptCheckPage(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (s *Server) receiptCheckForm(c *fiber.Ctx) error { return fiber.ErrNotFound }

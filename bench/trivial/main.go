// Command trivial is the baseline of the verification load test: a Fiber v2
// server with the portal's framework and the same route, which reads the
// request body and answers a fixed small JSON document. What the portal
// achieves as a fraction of this is the cost of its own work (middleware,
// JSON decoding, folding, the store, signing, encoding), with the
// framework, the kernel's loopback and the load generator factored out.
//
//	go run ./bench/trivial -addr 127.0.0.1:8081
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/gofiber/fiber/v2"
)

// answer is about the size of the portal's miss answer without its receipt.
var answer = []byte(`{"match":false,"checked_at":"2026-12-01T00:00:00Z"}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address (loopback only)")
	flag.Parse()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.SendString(`{"status":"ok"}`)
	})
	app.Post("/api/v1/verifications", func(c *fiber.Ctx) error {
		if len(c.Body()) == 0 { // the body is read, and looked at
			return c.Status(fiber.StatusBadRequest).SendString(`{"error":"empty body"}`)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(answer)
	})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		_ = app.Shutdown()
	}()
	if err := app.Listen(*addr); err != nil {
		log.Fatal(err)
	}
}

package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/store"
)

// An error whose code the status table does not know is a bug on our side:
// 500 with a generic message, never 400, and logged with its cause.
func TestUnknownErrorCodeIs500(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil))}
	f := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	f.Get("/mystery", func(*fiber.Ctx) error {
		return store.FieldError("no_such_code", "secret", "internal detail that must not leak")
	})
	f.Get("/teapot", func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusNotImplemented, "not built") })
	for path, wantLog := range map[string]string{"/mystery": "internal detail that must not leak", "/teapot": "not built"} {
		logged.Reset()
		res, err := f.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		var p Problem
		json.Unmarshal(raw, &p)
		if res.StatusCode < 500 || p.Status != res.StatusCode || p.Code != store.EInternal || p.Field != "" {
			t.Fatalf("%s: %d %s, want a 5xx internal_error without a field", path, res.StatusCode, raw)
		}
		if path == "/mystery" && (res.StatusCode != 500 || strings.Contains(string(raw), "internal detail")) {
			t.Fatalf("%s: %d %s, want a generic 500", path, res.StatusCode, raw)
		}
		if !strings.Contains(logged.String(), wantLog) || !strings.Contains(logged.String(), p.RequestID) {
			t.Fatalf("%s: the log lacks the cause or the request id: %s", path, logged.String())
		}
	}
}

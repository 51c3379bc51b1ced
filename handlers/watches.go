package handlers

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// Watches (School API, scope watch): a client watches credentials and
// reads, and ends, only its own watches; another client's is 404 like an
// unknown one.

type watchRequest struct {
	CertificateNo string `json:"certificate_no"`
	Name          string `json:"name"`
	CallbackURL   string `json:"callback_url"`
}

// watchJSON is a watch as its client sees it.
type watchJSON struct {
	ID            string     `json:"id"`
	CertificateNo string     `json:"certificate_no"`
	CallbackURL   string     `json:"callback_url"`
	Status        string     `json:"status"` // active or paused
	CreatedAt     time.Time  `json:"created_at"`
	PausedAt      *time.Time `json:"paused_at,omitempty"`
	FailingSince  *time.Time `json:"failing_since,omitempty"` // the receiver's latest attempts failed since then
}

func toWatchJSON(w *store.Watch) watchJSON {
	out := watchJSON{ID: w.ID, CertificateNo: w.CertificateNo, CallbackURL: w.CallbackURL, Status: "active",
		CreatedAt: w.CreatedAt.UTC(), PausedAt: optTime(w.PausedAt), FailingSince: optTime(w.FailingSince)}
	if w.Paused {
		out.Status = "paused"
	}
	return out
}

// createWatch takes {"certificate_no", "name", "callback_url"}: 201 with
// the watch; 400 for a bad field (the callback URL is checked before the
// register is read, and nothing is stored); 422 unknown_reference,
// the same whatever missed, when number and name do not match the
// register; 409 when the client watches the credential already.
func (s *Server) createWatch(c *fiber.Ctx) error {
	var req watchRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	w, err := s.app.CreateWatch(c.UserContext(), clientFrom(c), app.WatchInput{CertificateNo: req.CertificateNo, Name: req.Name, CallbackURL: req.CallbackURL})
	if err != nil {
		return err
	}
	c.Location("/api/v1/watches/" + w.ID)
	return c.Status(fiber.StatusCreated).JSON(toWatchJSON(w))
}

type watchListJSON struct {
	Total   int         `json:"total"`
	Page    int         `json:"page"`
	PerPage int         `json:"per_page"`
	Watches []watchJSON `json:"watches"`
}

func (s *Server) listWatches(c *fiber.Ctx) error {
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	ws, total, err := s.app.Watches(c.UserContext(), clientFrom(c), page)
	if err != nil {
		return err
	}
	out := watchListJSON{Total: total, Page: page.Number, PerPage: page.PerPage, Watches: make([]watchJSON, 0, len(ws))}
	for i := range ws {
		out.Watches = append(out.Watches, toWatchJSON(&ws[i]))
	}
	return c.JSON(out)
}

func (s *Server) watch(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "watch id")
	if err != nil {
		return err
	}
	w, err := s.app.Watch(c.UserContext(), clientFrom(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toWatchJSON(w))
}

func (s *Server) deleteWatch(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "watch id")
	if err != nil {
		return err
	}
	if err := s.app.DeleteWatch(c.UserContext(), clientFrom(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deliveryJSON is one event sent, or being sent, to a watch's receiver.
type deliveryJSON struct {
	EventID        string          `json:"event_id"`
	Status         string          `json:"status"` // pending, delivered or failed
	Attempts       int             `json:"attempts"`
	CreatedAt      time.Time       `json:"created_at"`
	LastAttemptAt  *time.Time      `json:"last_attempt_at,omitempty"`
	LastStatusCode int             `json:"last_status_code,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	NextAttemptAt  *time.Time      `json:"next_attempt_at,omitempty"` // while pending
	DeliveredAt    *time.Time      `json:"delivered_at,omitempty"`
	Event          json.RawMessage `json:"event"` // the body sent
}

type deliveryListJSON struct {
	Total      int            `json:"total"`
	Page       int            `json:"page"`
	PerPage    int            `json:"per_page"`
	Deliveries []deliveryJSON `json:"deliveries"`
}

func (s *Server) watchDeliveries(c *fiber.Ctx) error {
	id, err := pathParam(c, "id", "watch id")
	if err != nil {
		return err
	}
	page, err := parsePage(c)
	if err != nil {
		return err
	}
	ds, total, err := s.app.WatchDeliveries(c.UserContext(), clientFrom(c), id, page)
	if err != nil {
		return err
	}
	out := deliveryListJSON{Total: total, Page: page.Number, PerPage: page.PerPage, Deliveries: make([]deliveryJSON, 0, len(ds))}
	for _, d := range ds {
		j := deliveryJSON{EventID: d.EventID, Status: d.Status, Attempts: d.Attempts, CreatedAt: d.CreatedAt.UTC(),
			LastAttemptAt: optTime(d.LastAttemptAt), LastStatusCode: d.LastStatusCode, LastError: d.LastError,
			DeliveredAt: optTime(d.DeliveredAt), Event: d.Payload}
		if d.Status == store.DeliveryPending {
			j.NextAttemptAt = optTime(d.NextAttemptAt)
		}
		out.Deliveries = append(out.Deliveries, j)
	}
	return c.JSON(out)
}

package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"ethicsportal/app"
	"ethicsportal/store"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Findings lists what the redaction check found, with the code
	// redaction_findings.
	Findings []app.Finding `json:"findings,omitempty"`
}

// Codes that only the HTTP layer produces.
const (
	codeMethodNotAllowed = "method_not_allowed"
	codeHeaderTooLarge   = "header_too_large"
	codeTimeout          = "request_timeout"
	codeBadRequest       = "bad_request"
)

// statusOf is the one place where error codes become HTTP statuses.
var statusOf = map[string]int{
	store.EInvalid:       fiber.StatusBadRequest,
	store.EMissing:       fiber.StatusBadRequest,
	store.EUnknownField:  fiber.StatusBadRequest,
	store.EInvalidJSON:   fiber.StatusBadRequest,
	store.EInvalidUTF8:   fiber.StatusBadRequest,
	codeBadRequest:       fiber.StatusBadRequest,
	store.EUnauthorized:  fiber.StatusUnauthorized,
	store.EForbidden:     fiber.StatusForbidden,
	store.EFourEyes:      fiber.StatusForbidden,
	store.ENotFound:      fiber.StatusNotFound,
	codeMethodNotAllowed: fiber.StatusMethodNotAllowed,
	codeTimeout:          fiber.StatusRequestTimeout,
	store.EUnknownRef:    fiber.StatusUnprocessableEntity,
	store.EConflict:      fiber.StatusConflict,
	store.ELastAdmin:     fiber.StatusConflict,
	store.EGone:          fiber.StatusGone,
	store.ETooLarge:      fiber.StatusRequestEntityTooLarge,
	store.EUnsupported:   fiber.StatusUnsupportedMediaType,
	codeHeaderTooLarge:   fiber.StatusRequestHeaderFieldsTooLarge,
	store.ERateLimited:   fiber.StatusTooManyRequests,
	store.EInternal:      fiber.StatusInternalServerError,
	store.EUnavailable:   fiber.StatusServiceUnavailable,
	// The register refuses these changes whatever the request's form.
	store.EIdentityChange: fiber.StatusConflict,
	store.EIDNameMismatch: fiber.StatusUnprocessableEntity,
	// Publishing personal data takes an approver's acknowledgement.
	store.ERedactionFindings: fiber.StatusUnprocessableEntity,
	// A batch verification is refused whole.
	store.ETooManyItems:  fiber.StatusUnprocessableEntity,
	store.EDuplicateItem: fiber.StatusUnprocessableEntity,
	store.EInvalidHeader: fiber.StatusBadRequest,
	store.EMalformedRow:  fiber.StatusBadRequest,
	store.EEmptyRow:      fiber.StatusBadRequest,
}

// codeOfStatus turns Fiber's own errors (no route, body over the server
// limit, header too large) into codes.
var codeOfStatus = map[int]string{
	fiber.StatusNotFound:                    store.ENotFound,
	fiber.StatusMethodNotAllowed:            codeMethodNotAllowed,
	fiber.StatusRequestEntityTooLarge:       store.ETooLarge,
	fiber.StatusRequestHeaderFieldsTooLarge: codeHeaderTooLarge,
	fiber.StatusRequestTimeout:              codeTimeout,
	fiber.StatusUnsupportedMediaType:        store.EUnsupported,
	fiber.StatusTooManyRequests:             store.ERateLimited,
}

// errorHandler answers every error with a problem response. Unexpected
// errors are logged with the request id and answered with a generic 500.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	p := Problem{RequestID: assignRequestID(c)}
	s.setSecurityHeaders(c)
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		p.Status = fe.Code
		p.Code = codeOfStatus[fe.Code]
		switch {
		case p.Code != "":
		case fe.Code >= 500:
			p.Code = store.EInternal
		default:
			p.Code = codeBadRequest
		}
		p.Detail = fiberDetail(fe)
	default:
		p.Code = store.ErrorCode(err)
		p.Status = statusOf[p.Code]
		p.Detail = store.ErrorMessage(err)
		if p.Status == 0 {
			// A code this table does not know is our mistake, not the
			// client's: a generic 500, logged below with the cause.
			p.Code, p.Status = store.EInternal, fiber.StatusInternalServerError
		}
		if p.Code == store.EInternal && errors.Is(err, context.DeadlineExceeded) {
			// The request's own deadline (withDeadline) ended the work.
			p.Code, p.Status = store.EUnavailable, fiber.StatusServiceUnavailable
			p.Detail = "the request did not finish in the time the server allows; try again"
		}
		var e *store.Error
		if errors.As(err, &e) && p.Status < 500 {
			p.Field = e.Field
		}
		var found *app.FindingsError
		if errors.As(err, &found) {
			p.Findings = found.Findings
		}
	}
	if p.Status == fiber.StatusServiceUnavailable {
		// A dependency is down: the part that failed logs its going and
		// coming once (the Redis breaker, the index's reopening, readyz),
		// and the access log counts the 503s; a line per request would
		// flood the log for the length of the outage.
		s.log.Debug("request unavailable", "request_id", p.RequestID, "route", routeOf(c), "err", err)
	} else if p.Status >= 500 {
		s.log.Error("request failed", "request_id", p.RequestID, "method", c.Method(), "route", routeOf(c), "err", err)
		if p.Code == store.EInternal {
			p.Detail = "something went wrong on our side; the request id identifies it in our logs"
		}
	}
	var lim *app.LimitedError
	if errors.As(err, &lim) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secondsCeil(lim.Result.RetryAfter)))
		setRateHeaders(c, lim.Result)
	}
	if p.Status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="ethicsportal"`)
	}
	p.Type = "urn:ethicsportal:problem:" + p.Code
	p.Title = titleOf(p.Status)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !wantsPage(c) || s.site == nil || s.errorPage(c, p) != nil {
		lang := problemLang(c)
		p.Title = problemTitle(lang, p.Status)
		p.Detail = s.errorDetail(lang, err, p)
		setProblemLang(c, lang)
		c.Status(p.Status)
		if err := c.JSON(p); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/problem+json")
	}
	if c.Locals(localObserved) == nil {
		// Refused by the server before any route or middleware ran (a
		// body over the limit, headers too large): still one access line.
		s.accessLog(c, methodLabel(c.Method()), "unmatched", 0)
	}
	return nil
}

func fiberDetail(fe *fiber.Error) string {
	switch fe.Code {
	case fiber.StatusNotFound:
		return "there is nothing at this address"
	case fiber.StatusMethodNotAllowed:
		return "this address does not accept that method"
	case fiber.StatusRequestEntityTooLarge:
		return "the request body is larger than this server accepts"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return "the request headers are larger than this server accepts"
	}
	return fe.Message
}

func titleOf(status int) string {
	if t := utils.StatusMessage(status); t != "" {
		return t
	}
	return "Error"
}

package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Headers of a delivery.
const (
	HeaderEventID   = "X-Portal-Event-Id"
	HeaderTimestamp = "X-Portal-Timestamp"
	HeaderSignature = "X-Portal-Signature"
)

// Sign returns the X-Portal-Signature of body sent at ts (Unix seconds):
// "sha256=" and the hex HMAC-SHA256, under secret, of "<ts>.<body>".
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is Sign(secret, ts, body), compared in
// constant time: what a receiver does (it should also refuse a timestamp
// far from its own clock, against replays).
func Verify(secret []byte, ts int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}

// The retry schedule: the first retry after FirstRetry, each later one
// after twice the wait before, up to MaxRetry, with jitter. A delivery is
// retried until RetryWindow has passed since it was recorded; the attempt
// that fails after that is its last.
const (
	FirstRetry  = 30 * time.Second
	MaxRetry    = time.Hour
	RetryWindow = 24 * time.Hour
)

// Backoff is the wait after the attempt-th failed attempt (from 1):
// FirstRetry doubling to MaxRetry, each spread by ±10% so that the
// deliveries of one event to many receivers, or of many events to one, do
// not come back in step.
func Backoff(attempt int) time.Duration {
	d := FirstRetry << min(max(attempt-1, 0), 16)
	d = min(d, MaxRetry)
	return d - d/10 + rand.N(d/5+1)
}

// Options configure a Sender. The zero value of a field means its default.
type Options struct {
	// AllowLoopback lets deliveries go to loopback addresses (trials and
	// tests; PORTAL_WEBHOOK_ALLOW_LOOPBACK).
	AllowLoopback bool
	// Timeout bounds a whole delivery: connecting, sending, and reading the
	// answer. Default 10s.
	Timeout time.Duration
	// UserAgent is sent with every delivery. Default "EthicsPortal-Webhook/1".
	UserAgent string
}

// maxResponse is how much of a receiver's answer is read (and dropped),
// so that a connection can be reused without a receiver being able to
// make a delivery read for ever.
const maxResponse = 64 << 10

// Sender delivers events. It is safe for concurrent use.
type Sender struct {
	client        *http.Client
	allowLoopback bool
	userAgent     string
}

// NewSender returns a Sender whose HTTP client checks, at each connection,
// the address it is about to connect to (CheckAddr), uses no proxy (a
// proxy would connect on our behalf to addresses we never see), follows
// no redirect and times out.
func NewSender(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "EthicsPortal-Webhook/1"
	}
	return &Sender{client: NewClient(o.AllowLoopback, o.Timeout), allowLoopback: o.AllowLoopback, userAgent: o.UserAgent}
}

// NewClient returns the HTTP client a Sender uses: every connection,
// whatever name it was dialled by, is refused before it is made unless
// CheckAddr allows its address; redirects are returned, not followed.
func NewClient(allowLoopback bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		// Control runs for each address the name resolved to, just before
		// connecting: the check cannot be raced by a second DNS answer.
		Control: func(network, address string, _ syscall.RawConn) error {
			if err := checkDialAddr(address, allowLoopback); err != nil {
				return fmt.Errorf("webhook: refused to connect to %w", err)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Delivery is one event to send.
type Delivery struct {
	URL     string
	EventID string
	Secret  []byte
	Body    []byte
	At      time.Time // the X-Portal-Timestamp
}

// Result is the outcome of one attempt.
type Result struct {
	StatusCode int   // the receiver's HTTP status; 0 when there was no answer
	Err        error // nil only when delivered (a 2xx)
	// Retry is false when no later attempt can succeed: the URL is no
	// longer acceptable, or the receiver answered 410 Gone (it asks for
	// no more events). Every other failure is worth another attempt.
	Retry bool
}

// Delivered reports whether the receiver took the event.
func (r Result) Delivered() bool { return r.Err == nil }

// Reason is Reason(r.Err): what the client may be told of a failed
// attempt, "" for a delivered one. r.Err itself is for the server log.
func (r Result) Reason() string { return Reason(r.Err) }

// ErrRedirect is a Result's error when the receiver answered with a
// redirect: it is not followed, and the delivery failed.
var ErrRedirect = errors.New("webhook: the receiver answered with a redirect, which is not followed")

// Deliver POSTs d.Body to d.URL, signed, and reports what happened. The
// URL is checked again first, under the Sender's loopback rule.
func (s *Sender) Deliver(ctx context.Context, d Delivery) Result {
	u, err := ValidateURL(d.URL, s.allowLoopback)
	if err != nil {
		return Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: request: %w", err)}
	}
	ts := d.At.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set(HeaderEventID, d.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, d.Body))
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, which may carry the receiver's own
		// token: what failed is enough for the log.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Result{Err: fmt.Errorf("webhook: POST: %w", err), Retry: true}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	r := Result{StatusCode: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Err, r.Retry = ErrRedirect, true
	case resp.StatusCode == http.StatusGone:
		r.Err = &statusError{code: resp.StatusCode}
	default:
		r.Err, r.Retry = &statusError{code: resp.StatusCode}, true
	}
	return r
}

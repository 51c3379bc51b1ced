package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
)

// Reasons of a failed attempt, as the client is shown them (a delivery's
// last_error). Each is a fixed class: the raw error of a failed
// connection names the addresses a name resolved to and the resolver
// asked, which would tell a client about the portal's network (what an
// internal name resolves to, where its resolver is). The raw error goes
// to the server log only.
const (
	ReasonUnresolved  = "the receiver's name could not be resolved"
	ReasonRefusedAddr = "refused: the receiver's address is private, loopback or otherwise not public"
	ReasonTimeout     = "timed out"
	ReasonConnRefused = "connection refused"
	ReasonConnReset   = "the receiver closed the connection"
	ReasonUnreachable = "the receiver's address could not be reached"
	ReasonTLS         = "TLS handshake failed"
	ReasonRedirect    = "receiver answered with a redirect, which is not followed"
	ReasonGone        = "receiver answered 410 Gone"
	ReasonCanceled    = "the attempt was interrupted (the portal was stopping); it will be retried"
	ReasonFailed      = "the delivery failed"
)

// ReasonStatus is the reason of an attempt the receiver answered with a
// status other than 2xx, 3xx or 410.
func ReasonStatus(code int) string { return "receiver answered " + strconv.Itoa(code) }

// Reason returns the class of a failed attempt's error that may be shown
// to the client: one of the Reason constants, ReasonStatus, or a URL
// check's own message (which never repeats the URL). It never carries an
// address, a host name or the resolver; "" for nil.
func Reason(err error) string {
	var (
		ue  *URLError
		ae  *AddrError
		dns *net.DNSError
		st  *statusError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ue):
		return ue.Error()
	case errors.As(err, &st):
		if st.code == 410 {
			return ReasonGone
		}
		return ReasonStatus(st.code)
	case errors.Is(err, ErrRedirect):
		return ReasonRedirect
	case errors.As(err, &ae):
		return ReasonRefusedAddr
	case errors.As(err, &dns):
		// A lookup that timed out is still a name not resolved: the
		// receiver's DNS, not its server, is what to look at.
		return ReasonUnresolved
	case isTLS(err):
		return ReasonTLS
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ReasonTimeout
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonConnReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return ReasonUnreachable
	}
	return ReasonFailed
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// isTLS reports a failed TLS handshake: a certificate that does not
// verify, an alert from the receiver, or an answer that is not TLS.
func isTLS(err error) bool {
	var (
		rh  tls.RecordHeaderError
		ve  *tls.CertificateVerificationError
		al  tls.AlertError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		ech *tls.ECHRejectionError
	)
	if errors.As(err, &rh) || errors.As(err, &ve) || errors.As(err, &al) || errors.As(err, &ua) ||
		errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &ech) {
		return true
	}
	// crypto/tls reports most handshake failures as plain errors whose
	// text starts "tls: "; net/http wraps a handshake timeout likewise.
	// An http:// server answering on an https:// URL is net/http's.
	msg := err.Error()
	return strings.Contains(msg, "tls: ") && !isTimeout(err) || strings.Contains(msg, "gave HTTP response to HTTPS client")
}

// statusError is a Result's error when the receiver answered a status
// that is neither a success nor a redirect.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return strings.TrimSpace("webhook: the receiver answered " + strconv.Itoa(e.code) + " " + http.StatusText(e.code))
}

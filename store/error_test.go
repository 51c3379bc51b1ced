package store

import (
	"errors"
	"fmt"
	"testing"
	"unsafe"
)

// Errorf and FieldError keep the format and arguments of the message, so
// that it can be given in another language, and the message is what
// fmt.Sprintf makes of them.
func TestErrorKeepsFormatAndArgs(t *testing.T) {
	e := FieldError(EInvalid, "district", "unknown district %q; districts are %s", "北京区", "东城区")
	if e.Message != `unknown district "北京区"; districts are 东城区` || e.Format != "unknown district %q; districts are %s" {
		t.Fatalf("%+v", e)
	}
	if len(e.Args) != 2 || e.Args[0] != "北京区" || e.Args[1] != "东城区" {
		t.Fatalf("args %#v", e.Args)
	}
	if e := Errorf(ENotFound, "no such case"); e.Format != "no such case" || e.Args != nil || e.Message != "no such case" {
		t.Fatalf("%+v", e)
	}
	inner := Errorf(EInvalid, "limit is from 1 to %d", 100)
	if got := ErrorMessage(fmt.Errorf("wrapped: %w", inner)); got != "limit is from 1 to 100" {
		t.Fatalf("message %q", got)
	}
	var got *Error
	if !errors.As(fmt.Errorf("wrapped: %w", inner), &got) || got.Args[0] != 100 {
		t.Fatalf("%+v", got)
	}
}

// The arguments are copies: a string that is a view of a buffer reused
// after the request, or the caller's slice changed later, leaves the error
// as it was made.
func TestErrorArgsAreCopies(t *testing.T) {
	buf := []byte("海淀区")
	view := unsafe.String(&buf[0], len(buf))
	args := []any{view, []byte("raw")}
	e := Errorf(EInvalid, "unknown district %q (%s)", args...)
	copy(buf, "朝阳区")
	args[1] = "changed"
	if e.Args[0] != "海淀区" || string(e.Args[1].([]byte)) != "raw" {
		t.Fatalf("args changed with the buffer: %#v", e.Args)
	}
	if e.Message != `unknown district "海淀区" (raw)` {
		t.Fatalf("message %q", e.Message)
	}
}

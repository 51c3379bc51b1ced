package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/store"
)

// decodeJSON reads the request body into dst. It wants Content-Type
// application/json (415 otherwise), valid UTF-8, exactly one JSON value and,
// when strict (every admin route), no field that dst does not name. The
// decoded strings are fresh copies, safe to keep past the handler.
func decodeJSON(c *fiber.Ctx, dst any, strict bool) error {
	if err := wantMediaType(c, "application/json"); err != nil {
		return err
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return store.Errorf(store.EInvalidJSON, "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return store.Errorf(store.EInvalidUTF8, "the request body is not valid UTF-8")
	}
	if loneSurrogate(body) {
		return store.Errorf(store.EInvalidJSON, "the request body holds a \\u escape of half a UTF-16 surrogate pair")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return store.Errorf(store.EInvalidJSON, "the request body holds more than one JSON value")
	}
	return nil
}

// loneSurrogate reports a \u escape of a UTF-16 surrogate that is not one
// half of a pair. encoding/json would quietly turn it into U+FFFD, storing
// a text other than the one sent. Backslashes occur only inside JSON
// strings, so the body is scanned without parsing it.
func loneSurrogate(body []byte) bool {
	pendingHigh := false // the previous escape was a high surrogate
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			if pendingHigh {
				return true
			}
			continue
		}
		if i+1 >= len(body) {
			return pendingHigh
		}
		i++
		if body[i] != 'u' || i+4 >= len(body) {
			if pendingHigh {
				return true
			}
			continue
		}
		v, err := strconv.ParseUint(string(body[i+1:i+5]), 16, 16)
		i += 4
		switch {
		case err != nil:
			pendingHigh = false // the decoder reports the bad escape
		case v >= 0xD800 && v <= 0xDBFF:
			if pendingHigh {
				return true
			}
			pendingHigh = true
		case v >= 0xDC00 && v <= 0xDFFF:
			if !pendingHigh {
				return true
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return true
			}
		}
	}
	return pendingHigh
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return store.Errorf(store.EInvalidJSON, "the request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return store.Errorf(store.EInvalidJSON, "the request body must be a JSON object")
		}
		return store.FieldError(store.EInvalid, typ.Field, "%s must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return store.Errorf(store.EInvalidJSON, "the request body ends in the middle of a JSON value")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return store.FieldError(store.EUnknownField, name, "the field %q is not part of this request", name)
	}
	return store.Errorf(store.EInvalidJSON, "the request body is not the JSON expected")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// wantMediaType answers 415 unless the request's Content-Type is want (any
// parameters, such as charset=utf-8, allowed).
func wantMediaType(c *fiber.Ctx, want string) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.EqualFold(mt, want) {
		return store.Errorf(store.EUnsupported, "send the body as %s", want)
	}
	return nil
}

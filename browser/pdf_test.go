package browser

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// pdfText is the text of a PDF that Chromium printed, page by page in
// drawing order: enough to check what a printout says, not a general PDF
// reader. Chromium (Skia) writes each page's text as hex glyph strings
// shown with Tj or TJ in a font of the page's resources, and gives every
// font a ToUnicode map from glyphs to characters; that is all it reads.
func pdfText(data []byte) (string, error) {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return "", fmt.Errorf("not a PDF")
	}
	objs := map[int][]byte{}    // object number -> its dictionary
	streams := map[int][]byte{} // object number -> its decoded stream
	for _, m := range pdfObject.FindAllSubmatchIndex(data, -1) {
		n, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		body := data[m[4]:m[5]]
		dict := body
		if i := bytes.Index(body, []byte("stream")); i >= 0 && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
			dict = body[:i]
			raw := bytes.TrimPrefix(body[i+len("stream"):], []byte("\r"))
			raw = bytes.TrimPrefix(raw, []byte("\n"))
			if m := pdfLength.FindSubmatch(dict); m != nil {
				if l, err := strconv.Atoi(string(m[1])); err == nil && l <= len(raw) {
					raw = raw[:l]
				}
			} else if j := bytes.LastIndex(raw, []byte("endstream")); j >= 0 {
				raw = raw[:j]
				raw = bytes.TrimSuffix(raw, []byte("\n"))
				raw = bytes.TrimSuffix(raw, []byte("\r"))
			}
			if bytes.Contains(dict, []byte("/FlateDecode")) {
				zr, err := zlib.NewReader(bytes.NewReader(raw))
				if err != nil {
					return "", fmt.Errorf("object %d: %w", n, err)
				}
				dec, err := io.ReadAll(zr)
				if err != nil {
					return "", fmt.Errorf("object %d: %w", n, err)
				}
				raw = dec
			}
			streams[n] = raw
		}
		objs[n] = dict
	}
	ref := func(dict []byte, key string) []int {
		var out []int
		re := regexp.MustCompile(`/` + key + `\s*(\[[^\]]*\]|\d+ 0 R)`)
		if m := re.FindSubmatch(dict); m != nil {
			for _, r := range pdfRef.FindAllSubmatch(m[1], -1) {
				n, _ := strconv.Atoi(string(r[1]))
				out = append(out, n)
			}
		}
		return out
	}
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums) // object order, which is Chromium's page order
	var pages []string
	for _, n := range nums {
		dict := objs[n]
		if !pdfPage.Match(dict) {
			continue
		}
		// The page's fonts: its /Resources, inline or by reference.
		res := dict
		if m := regexp.MustCompile(`/Resources\s+(\d+) 0 R`).FindSubmatch(dict); m != nil {
			rn, _ := strconv.Atoi(string(m[1]))
			res = objs[rn]
		}
		fonts := map[string]map[uint16][]rune{}
		if m := regexp.MustCompile(`/Font\s*<<([^>]*)>>`).FindSubmatch(res); m != nil {
			for _, f := range regexp.MustCompile(`/([^\s/]+)\s+(\d+) 0 R`).FindAllSubmatch(m[1], -1) {
				fn, _ := strconv.Atoi(string(f[2]))
				if tu := ref(objs[fn], "ToUnicode"); len(tu) == 1 {
					fonts[string(f[1])] = parseToUnicode(streams[tu[0]])
				}
			}
		}
		var text strings.Builder
		for _, c := range ref(dict, "Contents") {
			font := ""
			for _, tok := range pdfToken.FindAllSubmatch(streams[c], -1) {
				switch {
				case tok[1] != nil:
					font = string(tok[1])
				case tok[2] != nil:
					glyphs, err := hex.DecodeString(string(bytes.Join(bytes.Fields(tok[2]), nil)))
					if err != nil {
						continue
					}
					for i := 0; i+1 < len(glyphs); i += 2 {
						if r, ok := fonts[font][uint16(glyphs[i])<<8|uint16(glyphs[i+1])]; ok {
							text.WriteString(string(r))
						}
					}
				}
			}
		}
		pages = append(pages, text.String())
	}
	if len(pages) == 0 {
		return "", fmt.Errorf("no page found")
	}
	return strings.Join(pages, "\f"), nil
}

var (
	pdfObject = regexp.MustCompile(`(?s)(\d+) 0 obj(.*?)endobj`)
	pdfRef    = regexp.MustCompile(`(\d+) 0 R`)
	pdfLength = regexp.MustCompile(`/Length\s+(\d+)(?:\s*/|\s*>>)`) // a direct length, not a reference
	pdfPage   = regexp.MustCompile(`/Type\s*/Page[^s]`)
	// A font selection (/F4 16 Tf) or a hex string (<0012...>); hex
	// dictionaries (<<) never occur in a content stream's text.
	pdfToken = regexp.MustCompile(`/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>`)
	pdfHex   = regexp.MustCompile(`<([0-9A-Fa-f]+)>`)
)

// parseToUnicode reads a ToUnicode CMap's bfchar and bfrange entries.
func parseToUnicode(cmap []byte) map[uint16][]rune {
	out := map[uint16][]rune{}
	utf := func(h []byte) []rune {
		b, _ := hex.DecodeString(string(h))
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return utf16.Decode(u)
	}
	num := func(h []byte) uint16 { v, _ := strconv.ParseUint(string(h), 16, 16); return uint16(v) }
	for _, sec := range regexp.MustCompile(`(?s)beginbfchar(.*?)endbfchar`).FindAllSubmatch(cmap, -1) {
		hs := pdfHex.FindAllSubmatch(sec[1], -1)
		for i := 0; i+1 < len(hs); i += 2 {
			out[num(hs[i][1])] = utf(hs[i+1][1])
		}
	}
	for _, sec := range regexp.MustCompile(`(?s)beginbfrange(.*?)endbfrange`).FindAllSubmatch(cmap, -1) {
		hs := pdfHex.FindAllSubmatch(sec[1], -1)
		for i := 0; i+2 < len(hs); i += 3 {
			lo, hi, dst := num(hs[i][1]), num(hs[i+1][1]), utf(hs[i+2][1])
			if len(dst) == 0 {
				continue
			}
			for g := uint32(lo); g <= uint32(hi); g++ {
				r := append([]rune(nil), dst...)
				r[len(r)-1] += rune(g - uint32(lo))
				out[uint16(g)] = r
			}
		}
	}
	return out
}

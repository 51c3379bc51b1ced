package handlers

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// staticFile is one file under /static/, held in memory.
type staticFile struct {
	body        []byte
	contentType string
}

// loadStatic reads every asset once; there are few and they are small.
func loadStatic(web fs.FS) (map[string]staticFile, error) {
	out := map[string]staticFile{}
	err := fs.WalkDir(web, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web, p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "assets/")] = staticFile{body: b, contentType: ct}
		return nil
	})
	return out, err
}

// static serves /static/*. A request naming the file's current fingerprint
// (?v=, as the templates' asset URLs do) may be kept for a year; any other
// for an hour.
func (s *Server) static(c *fiber.Ctx) error {
	name := strings.TrimPrefix(c.Path(), "/static/")
	f, ok := s.staticFiles[name]
	if !ok {
		return fiber.ErrNotFound
	}
	if want := s.site.assets[name]; c.Query("v") != "" && strings.HasSuffix(want, "?v="+c.Query("v")) {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	return c.Send(f.body)
}

// favicon answers the address browsers ask for an icon at with the
// portal's SVG icon, so that no page view also costs a 404.
func (s *Server) favicon(c *fiber.Ctx) error {
	f, ok := s.staticFiles["favicon.svg"]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderContentType, f.contentType)
	return c.Send(f.body)
}

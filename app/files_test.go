package app_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"ethicsportal/app"
)

// A new SQLite store's data dir is the owner's alone, and so is the
// database in it: it holds the signing keys.
func TestNewStoreIsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	a, err := app.New(context.Background(), testConfig(t, dir), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "portal.db"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s has mode %o, want %o", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
}

package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Exists reports whether path holds a database file, without creating
// anything: commands other than serve work on an existing store only.
func Exists(path string) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	return fi.Mode().IsRegular() && fi.Size() > 0, nil
}

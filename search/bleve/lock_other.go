//go:build !unix

package bleve

import (
	"os"
	"path/filepath"
)

// lockDir opens the lock file of dir. Without flock, the index's own file lock (bolt's) is what
// keeps a second process out.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
}

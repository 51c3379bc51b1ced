//go:build !unix

package app

import "errors"

// errLocked is lockFile's error when another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockFile does nothing on systems without flock: there the embedded
// index's own locking is all there is.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }

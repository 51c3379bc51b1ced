//go:build !unix

package bleve

import (
	"testing"
	"time"
)

// cpuTime is not measured here; the benchmark reports 0.
func cpuTime(*testing.T) time.Duration { return 0 }

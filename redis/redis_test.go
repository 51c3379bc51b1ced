package redis

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPing(t *testing.T) {
	ctx := context.Background()
	if err := openTest(t, testPrefix(t)).Ping(ctx); err != nil {
		t.Errorf("ping the test Redis: %v", err)
	}
	dead, err := Open(ctx, "redis://:s3cret@"+closedPort(t)+"/0", "p:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	start := time.Now()
	err = dead.Ping(ctx)
	if err == nil {
		t.Fatal("ping a closed port: no error")
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("ping a closed port took %v", took)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("ping error repeats the password: %v", err)
	}
}

// Package meilitest gives tests an index of their own on the Meilisearch
// test server, deleted when the test ends.
package meilitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"ethicsportal/search/meili"
)

// Environment variables naming the test server and its key.
const (
	EnvURL = "PORTAL_TEST_MEILI_URL"
	EnvKey = "PORTAL_TEST_MEILI_KEY"
)

// Config returns a configuration for a fresh index name of its own on the
// server named by PORTAL_TEST_MEILI_URL (with PORTAL_TEST_MEILI_KEY). The
// index, and any index a rebuild of it left (<name>_build_...), is deleted
// when the test ends. Without the URL the test is skipped, unless CI is set,
// in which case it fails: CI must never silently skip.
func Config(tb testing.TB) meili.Config {
	tb.Helper()
	url, key := os.Getenv(EnvURL), os.Getenv(EnvKey)
	if url == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("meilitest: %s is not set, and CI is: Meilisearch tests must run in CI", EnvURL)
		}
		tb.Skipf("meilitest: %s is not set", EnvURL)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	name := "test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		if err := Drop(url, key, name); err != nil {
			tb.Errorf("meilitest: deleting index %s: %v", name, err)
		}
	})
	return meili.Config{URL: url, Key: key, Index: name}
}

// Drop deletes the index name and every index named name_build_..., and
// waits until they are gone. It uses a context of its own: the test's is
// already cancelled when cleanups run.
func Drop(url, key, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := meilisearch.New(url, meilisearch.WithAPIKey(key))
	defer c.Close()
	list, err := c.ListIndexes(ctx, &meilisearch.IndexesQuery{Limit: 1000})
	if err != nil {
		return err
	}
	for _, ix := range list.Results {
		if ix.UID != name && !strings.HasPrefix(ix.UID, name+"_build_") {
			continue
		}
		info, err := c.DeleteIndex(ctx, ix.UID)
		if err != nil {
			return err
		}
		if _, err := c.WaitForTask(ctx, info.TaskUID, 10*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

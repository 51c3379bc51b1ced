// Package pgtest gives tests a PostgreSQL schema of their own on the shared
// test server, so that test runs on one machine never see each other's
// tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the URL of the test server.
const EnvURL = "PORTAL_TEST_POSTGRES_URL"

// URL returns a connection URL for a fresh, empty schema of its own on the test server named by
// PORTAL_TEST_POSTGRES_URL, dropped (CASCADE) when the test ends. Without that variable the
// test is skipped, unless CI is set, in which case it fails: CI must never silently skip.
//
// The schema is selected by a search_path parameter in the returned URL, so
// anything that honours run-time parameters in the URL (pgx does) creates
// and finds its tables there. The drop is registered before the caller's own
// cleanups and so runs after them: close connections in t.Cleanup.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: %s is not set, and CI is: PostgreSQL tests must run in CI", EnvURL)
		}
		t.Skipf("pgtest: %s is not set", EnvURL)
	}
	schema := "t_" + randomHex(8)
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("pgtest: %s cannot be parsed", EnvURL) // the error would repeat any password
	}
	if err := exec(base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return u
}

// exec runs one statement on a connection of its own. It does not use the
// test's context, which is already cancelled when cleanups run.
func exec(connString, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withSearchPath sets search_path in a URL or in a key=value connection
// string, replacing any search_path already there.
func withSearchPath(connString, schema string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In a key=value string a later key overrides an earlier one, and the
	// schema name needs no quoting: it is "t_" and hex digits.
	return connString + " search_path=" + schema, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

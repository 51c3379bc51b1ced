package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	l := NewLoader(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return l.Load()
}

func TestDefaults(t *testing.T) {
	c := Default()
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.MeiliIndex != "cases" || c.RedisPrefix != "portal:" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.RateVerify != (Rate{30, time.Minute}) || c.RateSearch != (Rate{120, time.Minute}) || c.RateLogin != (Rate{10, time.Minute}) {
		t.Fatalf("rates: %v %v %v", c.RateVerify, c.RateSearch, c.RateLogin)
	}
	if c.RateClient != (Rate{3000, time.Minute}) {
		t.Fatalf("client rate: %v, want 3000/m", c.RateClient)
	}
	if !c.FourEyes || !c.RequireTOTP || c.BodyLimit != 1<<20 || c.CSVBodyLimit != 8<<20 || c.TokenTTL != 15*time.Minute {
		t.Fatalf("defaults: %+v", c)
	}
	if c.BaseURL != "http://127.0.0.1:8080" || len(c.TrustedProxy) != 0 {
		t.Fatalf("derived: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := load(t, map[string]string{"PORTAL_ADDR": "0.0.0.0:9000", "PORTAL_RATE_VERIFY": "5/s"}, "--addr", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.RateVerify != (Rate{5, time.Second}) {
		t.Fatalf("%+v", c)
	}
}

func TestDemoTurnsTOTPOffUnlessAsked(t *testing.T) {
	c, _ := load(t, nil, "--demo")
	if !c.Demo || c.RequireTOTP {
		t.Fatalf("demo: %+v", c)
	}
	c, _ = load(t, map[string]string{"PORTAL_REQUIRE_TOTP": "true"}, "--demo")
	if !c.RequireTOTP {
		t.Fatal("an explicit PORTAL_REQUIRE_TOTP=true must win over --demo")
	}
}

func TestBadValuesNameTheirVariable(t *testing.T) {
	_, err := load(t, map[string]string{
		"PORTAL_RATE_VERIFY":     "lots",
		"PORTAL_FOUR_EYES":       "maybe",
		"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, not-a-cidr",
		"PORTAL_DATABASE_URL":    "mysql://x",
		"PORTAL_ADDR":            "nowhere",
	}, "--rate-login", "0/m")
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"PORTAL_RATE_VERIFY", "PORTAL_FOUR_EYES", "PORTAL_TRUSTED_PROXIES", "PORTAL_DATABASE_URL", "PORTAL_ADDR", "--rate-login"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestTrustedProxiesAndSizes(t *testing.T) {
	c, err := load(t, map[string]string{"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,::1", "PORTAL_BODY_LIMIT": "64KiB"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxy) != 3 || c.TrustedProxy[1].String() != "192.168.1.7/32" || c.BodyLimit != 64<<10 {
		t.Fatalf("%v %d", c.TrustedProxy, c.BodyLimit)
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c, err := load(t, map[string]string{"PORTAL_MEILI_KEY": "s3cret-key", "PORTAL_DATABASE_URL": "postgres://u:pw123@db/x"})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	if strings.Contains(r.MeiliKey+r.DatabaseURL, "s3cret") || strings.Contains(r.DatabaseURL, "pw123") {
		t.Fatalf("not redacted: %+v", r)
	}
}

// TestBaseURLGiven tells a configured public URL from the one derived from
// the listen address: only the first may become a new store's issuer.
func TestBaseURLGiven(t *testing.T) {
	if c := Default(); c.BaseURLGiven {
		t.Fatalf("the derived %q counts as given", c.BaseURL)
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{map[string]string{"PORTAL_BASE_URL": "https://portal.example.cn/"}, nil},
		{nil, []string{"--base-url", "https://portal.example.cn"}},
	} {
		got, err := load(t, c.env, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		if !got.BaseURLGiven || got.BaseURL != "https://portal.example.cn" {
			t.Fatalf("%v %v: %q given=%v", c.env, c.args, got.BaseURL, got.BaseURLGiven)
		}
	}
}

func TestListenAddress(t *testing.T) {
	for _, good := range []string{"127.0.0.1:8080", ":8080", "[::1]:8080", "localhost:80", "0.0.0.0:65535", "portal.internal:1"} {
		c, err := load(t, map[string]string{"PORTAL_ADDR": good})
		if err != nil || c.Addr != good || c.BaseURL != "http://"+good {
			t.Errorf("PORTAL_ADDR=%s: %+v %v", good, c, err)
		}
	}
	for _, bad := range []string{"127.0.0.1:99999", ":8080x", ":0", ":65536", "127.0.0.1:+80", "nowhere", "bad_host:80", "[::1]:8080x", "-x:80"} {
		_, err := load(t, map[string]string{"PORTAL_ADDR": bad})
		if err == nil {
			t.Errorf("PORTAL_ADDR=%s accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "PORTAL_ADDR") || strings.Contains(err.Error(), "PORTAL_BASE_URL") {
			t.Errorf("PORTAL_ADDR=%s: error names the wrong variable: %v", bad, err)
		}
		if _, err := load(t, nil, "--addr", bad); err == nil || !strings.Contains(err.Error(), "--addr") {
			t.Errorf("--addr %s: %v", bad, err)
		}
	}
	if _, err := load(t, map[string]string{"PORTAL_BASE_URL": "http://portal.example:99999"}); err == nil || !strings.Contains(err.Error(), "PORTAL_BASE_URL") {
		t.Errorf("a base URL with port 99999: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	if c := Default(); c.RequestTimeout != 20*time.Second {
		t.Fatalf("default request timeout %v", c.RequestTimeout)
	}
	c, err := load(t, map[string]string{"PORTAL_REQUEST_TIMEOUT": "45s"})
	if err != nil || c.RequestTimeout != 45*time.Second {
		t.Fatalf("45s: %v %v", c.RequestTimeout, err)
	}
	for _, bad := range []string{"0s", "500ms", "11m", "soon"} {
		if _, err := load(t, map[string]string{"PORTAL_REQUEST_TIMEOUT": bad}); err == nil || !strings.Contains(err.Error(), "PORTAL_REQUEST_TIMEOUT") {
			t.Errorf("PORTAL_REQUEST_TIMEOUT=%s: %v", bad, err)
		}
	}
}

func TestDisclosurePeriods(t *testing.T) {
	c := Default()
	if len(c.DisclosurePeriods) != len(DefaultDisclosurePeriods) || c.DisclosurePeriods["warning"] != 6 ||
		c.DisclosurePeriods["dismissal"] != 36 || c.DisclosurePeriods["industry_ban"] != 60 {
		t.Fatalf("default periods: %v", c.DisclosurePeriods)
	}
	c, err := load(t, map[string]string{"PORTAL_DISCLOSURE_PERIODS": " warning=3, demotion = 30 "})
	if err != nil {
		t.Fatal(err)
	}
	if c.DisclosurePeriods["warning"] != 3 || c.DisclosurePeriods["demotion"] != 30 || c.DisclosurePeriods["demerit"] != 12 {
		t.Fatalf("overridden periods: %v", c.DisclosurePeriods)
	}
	if DefaultDisclosurePeriods["warning"] != 6 {
		t.Fatal("loading changed the defaults")
	}
	for _, bad := range []string{"warning", "warning=0", "warning=1201", "warning=x", "scolding=6", "warning=6,warning=7"} {
		_, err := load(t, map[string]string{"PORTAL_DISCLOSURE_PERIODS": bad})
		if err == nil || !strings.Contains(err.Error(), "PORTAL_DISCLOSURE_PERIODS") {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
}

// Package config holds the portal's configuration: defaults, loading from
// the environment with command-line flags overriding, and validation. It is
// the only package that reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything an instance needs to start. The zero value is not
// usable; get one from Load or Default.
type Config struct {
	Addr         string // listen address
	BaseURL      string // public URL of the portal; the issuer of tokens and receipts when a store is created with it
	BaseURLGiven bool   // BaseURL was configured, not derived from Addr
	DataDir      string // SQLite file, embedded index
	DatabaseURL  string // postgres://... selects PostgreSQL; empty is SQLite in DataDir
	RedisURL     string // redis:// or rediss://: rate limits shared by every instance
	RedisPrefix  string
	MeiliURL     string
	MeiliKey     string // secret: never logged
	MeiliIndex   string
	IDPepper     string // secret: HMAC key for ID numbers; empty keeps a generated one in the store
	TrustedProxy []netip.Prefix

	RateVerify Rate
	RateSearch Rate
	RateLogin  Rate
	RateClient Rate // checks per school API key (a batch of n counts n)

	FourEyes    bool
	RequireTOTP bool
	Demo        bool

	BodyLimit    int           // bytes of a JSON request body
	CSVBodyLimit int           // bytes of a CSV upload
	TokenTTL     time.Duration // lifetime of an admin token
	// RequestTimeout bounds the work done for one HTTP request: its
	// context, and every store call made with it, ends after it.
	RequestTimeout time.Duration
	LogLevel       string // debug, info, warn, error
	LogFormat      string // text or json
	AccessLog      bool   // one log line per HTTP request

	// DisclosurePeriods is how many months a published case stays in
	// public view, by sanction type, counted from its decision date; a
	// case takes the longest among its sanctions. industry_ban's entry is
	// the fallback for a ban that no ban record names the case of: a
	// linked ban's own term wins (see app). Every type of
	// DefaultDisclosurePeriods has an entry.
	DisclosurePeriods map[string]int

	// WebhookAllowLoopback lets watches call back over http:// to a
	// loopback address, and deliveries connect to one (trials, tests).
	WebhookAllowLoopback bool
}

// DefaultDisclosurePeriods are the months of public view per sanction type
// when PORTAL_DISCLOSURE_PERIODS does not name the type: six for the light
// sanctions, a year for a demerit or lost honours, two years for losing a
// post, three for dismissal and five for losing the qualification or a ban.
var DefaultDisclosurePeriods = map[string]int{
	"warning": 6, "public_criticism": 6, "demerit": 12, "major_demerit": 18,
	"disqualified_from_honours": 12, "demotion": 24, "removal": 24, "removed_from_teaching": 24,
	"dismissal": 36, "revoke_qualification": 60, "industry_ban": 60,
}

// maxDisclosureMonths bounds a configured period: a hundred years.
const maxDisclosureMonths = 1200

// Rate is a number of events per period, written N/s, N/m or N/h.
type Rate struct {
	N      int
	Period time.Duration
}

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Period]
	return fmt.Sprintf("%d/%s", r.N, unit)
}

// ParseRate parses N/s, N/m or N/h with N at least 1.
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("want N/s, N/m or N/h, got %q", s)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 || count > 1_000_000 {
		return Rate{}, fmt.Errorf("want a count from 1 to 1000000 before the slash, got %q", s)
	}
	period := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if period == 0 {
		return Rate{}, fmt.Errorf("want s, m or h after the slash, got %q", s)
	}
	return Rate{N: count, Period: period}, nil
}

// setting binds one variable to its flag, its default and its parser.
type setting struct {
	env, flag, def, help string
	set                  func(c *Config, v string) error
}

func settings() []setting {
	str := func(p func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *p(c) = v; return nil }
	}
	rate := func(p func(*Config) *Rate) func(*Config, string) error {
		return func(c *Config, v string) error {
			r, err := ParseRate(v)
			*p(c) = r
			return err
		}
	}
	boolean := func(p func(*Config) *bool) func(*Config, string) error {
		return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			*p(c) = b
			return nil
		}
	}
	size := func(p func(*Config) *int) func(*Config, string) error {
		return func(c *Config, v string) error {
			n, err := parseSize(v)
			*p(c) = n
			return err
		}
	}
	return []setting{
		{"PORTAL_ADDR", "addr", "127.0.0.1:8080", "listen address", func(c *Config, v string) error {
			if err := checkHostPort(v); err != nil {
				return err
			}
			c.Addr = v
			return nil
		}},
		{"PORTAL_BASE_URL", "base-url", "", "public URL of the portal (default http://ADDR)", str(func(c *Config) *string { return &c.BaseURL })},
		{"PORTAL_DATA_DIR", "data-dir", "./data", "SQLite file, embedded index", str(func(c *Config) *string { return &c.DataDir })},
		{"PORTAL_DATABASE_URL", "database-url", "", "postgres://... selects PostgreSQL", str(func(c *Config) *string { return &c.DatabaseURL })},
		{"PORTAL_REDIS_URL", "redis-url", "", "redis://, rediss://, ?master_name= (Sentinel) or ?cluster=true / &addr= (Cluster): limits, caches and token checks shared by every instance", str(func(c *Config) *string { return &c.RedisURL })},
		{"PORTAL_REDIS_PREFIX", "redis-prefix", "portal:", "prefix of every Redis key", str(func(c *Config) *string { return &c.RedisPrefix })},
		{"PORTAL_MEILI_URL", "meili-url", "", "Meilisearch server; empty: the embedded index in the data dir", str(func(c *Config) *string { return &c.MeiliURL })},
		{"PORTAL_MEILI_KEY", "meili-key", "", "Meilisearch key", str(func(c *Config) *string { return &c.MeiliKey })},
		{"PORTAL_MEILI_INDEX", "meili-index", "cases", "Meilisearch index name", str(func(c *Config) *string { return &c.MeiliIndex })},
		{"PORTAL_ID_PEPPER", "id-pepper", "", "HMAC key for ID numbers (default: generated, kept in the store)", str(func(c *Config) *string { return &c.IDPepper })},
		{"PORTAL_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed", func(c *Config, v string) error {
			p, err := parsePrefixes(v)
			c.TrustedProxy = p
			return err
		}},
		{"PORTAL_RATE_VERIFY", "rate-verify", "30/m", "verification requests per client IP", rate(func(c *Config) *Rate { return &c.RateVerify })},
		{"PORTAL_RATE_SEARCH", "rate-search", "120/m", "search and page requests per client IP", rate(func(c *Config) *Rate { return &c.RateSearch })},
		{"PORTAL_RATE_LOGIN", "rate-login", "10/m", "login attempts per IP and per username", rate(func(c *Config) *Rate { return &c.RateLogin })},
		{"PORTAL_RATE_CLIENT", "rate-client", "3000/m", "School API checks per API key (a batch of n items counts n)", rate(func(c *Config) *Rate { return &c.RateClient })},
		{"PORTAL_FOUR_EYES", "four-eyes", "true", "approvals must come from a second person", boolean(func(c *Config) *bool { return &c.FourEyes })},
		{"PORTAL_REQUIRE_TOTP", "require-totp", "", "administrators sign in with a TOTP code (default true, false under --demo)", boolean(func(c *Config) *bool { return &c.RequireTOTP })},
		{"PORTAL_BODY_LIMIT", "body-limit", "1MiB", "largest JSON request body", size(func(c *Config) *int { return &c.BodyLimit })},
		{"PORTAL_CSV_BODY_LIMIT", "csv-body-limit", "8MiB", "largest CSV upload", size(func(c *Config) *int { return &c.CSVBodyLimit })},
		{"PORTAL_TOKEN_TTL", "token-ttl", "15m", "lifetime of an admin token", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute || d > 12*time.Hour {
				return fmt.Errorf("want a duration from 1m to 12h, got %q", v)
			}
			c.TokenTTL = d
			return nil
		}},
		{"PORTAL_REQUEST_TIMEOUT", "request-timeout", "20s", "longest time the work of one HTTP request may take", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return fmt.Errorf("want a duration from 1s to 10m, got %q", v)
			}
			c.RequestTimeout = d
			return nil
		}},
		{"PORTAL_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("want debug, info, warn or error, got %q", v)
		}},
		{"PORTAL_ACCESS_LOG", "access-log", "true", "log one line per HTTP request (request id, method, route, status, duration)", boolean(func(c *Config) *bool { return &c.AccessLog })},
		{"PORTAL_DISCLOSURE_PERIODS", "disclosure-periods", "", "months a published case stays public per sanction type, e.g. warning=6,demerit=12 (types not named keep their defaults; see docs)", func(c *Config, v string) error {
			p, err := ParseDisclosurePeriods(v)
			c.DisclosurePeriods = p
			return err
		}},
		{"PORTAL_WEBHOOK_ALLOW_LOOPBACK", "webhook-allow-loopback", "false", "allow http:// webhook callbacks to loopback addresses (trials, tests)", boolean(func(c *Config) *bool { return &c.WebhookAllowLoopback })},
		{"PORTAL_LOG_FORMAT", "log-format", "text", "text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("want text or json, got %q", v)
			}
			c.LogFormat = v
			return nil
		}},
	}
}

// Loader registers the configuration flags on a FlagSet and, after the
// caller has parsed it, resolves the final Config.
type Loader struct {
	flags  map[string]*string // flag name -> value given on the command line
	demo   *bool
	lookup func(string) (string, bool)
	fs     *flag.FlagSet
}

// NewLoader registers every configuration flag, and --demo, on fs. lookup
// reads a variable; nil means the process environment.
func NewLoader(fs *flag.FlagSet, lookup func(string) (string, bool)) *Loader {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	l := &Loader{flags: map[string]*string{}, lookup: lookup, fs: fs}
	for _, s := range settings() {
		l.flags[s.flag] = fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def))
	}
	l.demo = fs.Bool("demo", false, "load the bundled synthetic data set on first start")
	return l
}

// Load resolves the Config: a flag given on the command line wins over the
// environment, which wins over the default. Every bad value is reported, each
// naming its variable and what it expected.
func (l *Loader) Load() (Config, error) {
	var c Config
	given := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c.Demo = *l.demo
	var errs []error
	for _, s := range settings() {
		v, src := s.def, ""
		if env, ok := l.lookup(s.env); ok && env != "" { // set but empty counts as unset
			v, src = env, s.env
		}
		if given[s.flag] {
			v, src = *l.flags[s.flag], "--"+s.flag
		}
		if v == "" && s.def == "" {
			continue // optional and unset; derived below where needed
		}
		if err := s.set(&c, v); err != nil {
			if src == "" {
				src = s.env
			}
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
		}
	}
	if env, _ := l.lookup("PORTAL_REQUIRE_TOTP"); env == "" && !given["require-totp"] {
		c.RequireTOTP = !c.Demo
	}
	errs = append(errs, c.finish()...)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// Default returns the configuration with no variables and no flags set.
func Default() Config {
	c, err := NewLoader(flag.NewFlagSet("default", flag.ContinueOnError), func(string) (string, bool) { return "", false }).Load()
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return c
}

// finish derives dependent values and checks the ones that depend on others.
func (c *Config) finish() []error {
	var errs []error
	if c.DisclosurePeriods == nil { // PORTAL_DISCLOSURE_PERIODS unset (or bad, reported already)
		c.DisclosurePeriods, _ = ParseDisclosurePeriods("")
	}
	c.BaseURLGiven = c.BaseURL != ""
	// An invalid address was reported when it was read, and left Addr
	// empty: a base URL derived from it is not blamed on PORTAL_BASE_URL.
	if c.BaseURL == "" && c.Addr != "" {
		c.BaseURL = "http://" + c.Addr
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Port() != "" && checkPort(u.Port()) != nil {
			errs = append(errs, fmt.Errorf("PORTAL_BASE_URL: want an http:// or https:// URL, got %q", c.BaseURL))
		}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("PORTAL_DATABASE_URL: want a postgres:// URL (leave it empty for SQLite in the data dir)"))
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, errors.New("PORTAL_REDIS_URL: want a redis:// or rediss:// URL"))
	}
	if c.MeiliURL != "" {
		if u, err := url.Parse(c.MeiliURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("PORTAL_MEILI_URL: want an http:// or https:// URL"))
		}
	}
	if c.MeiliIndex == "" || strings.ContainsFunc(c.MeiliIndex, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		errs = append(errs, fmt.Errorf("PORTAL_MEILI_INDEX: want letters, digits, - or _, got %q", c.MeiliIndex))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("PORTAL_DATA_DIR: must not be empty"))
	}
	if c.IDPepper != "" && len(c.IDPepper) < 32 {
		errs = append(errs, errors.New("PORTAL_ID_PEPPER: want at least 32 characters"))
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, errors.New("PORTAL_BODY_LIMIT: want at least 1KiB"))
	}
	if c.CSVBodyLimit < c.BodyLimit {
		errs = append(errs, errors.New("PORTAL_CSV_BODY_LIMIT: want at least PORTAL_BODY_LIMIT"))
	}
	return errs
}

// checkHostPort accepts a listen address: host:port where host is empty
// (every interface), an IP address ([...] for IPv6) or a host name, and port
// a number from 1 to 65535.
func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("want host:port such as 127.0.0.1:8080, got %q", v)
	}
	if err := checkPort(port); err != nil {
		return fmt.Errorf("%w, in %q", err, v)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !validHostName(host) {
		return fmt.Errorf("want an IP address or a host name before the port, got %q", v)
	}
	return nil
}

// checkPort accepts a decimal port from 1 to 65535.
func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
		return fmt.Errorf("want a port from 1 to 65535, got %q", p)
	}
	return nil
}

// validHostName accepts DNS names: dot-separated labels of letters, digits
// and inner hyphens, at most 253 characters.
func validHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}

func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") { // a bare address is a one-address prefix
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("want CIDRs such as 10.0.0.0/8, got %q", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("want CIDRs such as 10.0.0.0/8, got %q", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseDisclosurePeriods reads "type=months,..." over the defaults: every
// type of DefaultDisclosurePeriods is in the result, with the months v gives
// it or its default. A type v names must be one of those, once, with 1 to
// 1200 months.
func ParseDisclosurePeriods(v string) (map[string]int, error) {
	out := make(map[string]int, len(DefaultDisclosurePeriods))
	for k, n := range DefaultDisclosurePeriods {
		out[k] = n
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, months, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("want type=months pairs such as warning=6,demerit=12, got %q", part)
		}
		if _, known := DefaultDisclosurePeriods[name]; !known {
			return nil, fmt.Errorf("unknown sanction type %q", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(months))
		if err != nil || n < 1 || n > maxDisclosureMonths {
			return nil, fmt.Errorf("%s: want a number of months from 1 to %d, got %q", name, maxDisclosureMonths, months)
		}
		out[name] = n
	}
	return out, nil
}

func parseSize(v string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			n, err := strconv.Atoi(strings.TrimSpace(num))
			if err != nil || n < 0 || n > (1<<31)/u.mult {
				break
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("want a size such as 1MiB or 65536, got %q", v)
}

// Redacted returns a copy fit to log: secrets replaced and passwords in
// URLs masked.
func (c Config) Redacted() Config {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	maskURL := func(s string) string {
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return s
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	c.MeiliKey = mask(c.MeiliKey)
	c.IDPepper = mask(c.IDPepper)
	c.DatabaseURL = maskURL(c.DatabaseURL)
	c.RedisURL = maskURL(c.RedisURL)
	return c
}

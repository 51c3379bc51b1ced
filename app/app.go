// Package app holds the use cases of Ethics Portal: signing in, the
// credential register, verification and receipts. New wires the chosen
// backends together; it alone decides between SQLite and PostgreSQL, the
// embedded index and Meilisearch, in-process limits and Redis.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"ethicsportal/auth"
	"ethicsportal/config"
	"ethicsportal/keys"
	"ethicsportal/outbox"
	"ethicsportal/ratelimit"
	"ethicsportal/redis"
	"ethicsportal/search"
	"ethicsportal/store"
	"ethicsportal/store/postgres"
	"ethicsportal/store/sqlite"
)

// App is the application. Its methods are safe for concurrent use.
type App struct {
	cfg    config.Config
	store  store.Store
	log    *slog.Logger
	now    func() time.Time
	folder *search.Folder

	issuer      string // iss of tokens and receipts, fixed when the store was created
	tokens      *auth.Tokens
	receiptKeys *keys.Ring
	idPepper    []byte
	passwords   *auth.Hasher
	signIn      *auth.SignInPolicy
	dummyHash   func() string // verified against when a username is unknown, so a miss costs what a hit costs
	actionKinds map[string]kindSpec

	limits     Limits
	redis      *redis.Client   // nil without PORTAL_REDIS_URL
	sessions   *redis.Sessions // the deny list and users' states in Redis; nil without it
	redisParts redisParts      // for RedisStats

	checkpointKeys *keys.Ring
	auditOrigin    string // the audit log's checkpoint origin, derived from the issuer

	existingOnly bool // refuse to create a store (every command but serve)

	consumers    []outbox.Consumer
	outboxTiming outbox.Timing
	worker       *outbox.Worker
	hooks        webhooks // watches' webhook deliveries (webhooks.go)

	index       *liveIndex   // the search index (see index_open.go)
	givenIndex  search.Index // WithIndex
	indexMode   int          // indexServe, indexNone or indexForReindex
	searchCache SearchCache
	caseCache   ByteCache // public case answers, shared through Redis; nil without it
	// searchCacheGiven: a test chose the cache; Redis does not replace it.
	searchCacheGiven bool
	searchFlight     singleflight.Group // one index query per key at a time
	searchTimeout    time.Duration
}

// Limits are the rate limiters the HTTP layer and the use cases consult.
type Limits struct {
	Verify ratelimit.Limiter // per client IP
	Search ratelimit.Limiter // per client IP
	Login  ratelimit.Limiter // per client IP, and per username or per device cookie (see auth.SignInPolicy)
	Client ratelimit.Limiter // per school client (API key), per check: a batch of n costs n (AllowN)
}

// Option adjusts an App at construction, for tests.
type Option func(*App)

// WithClock makes the App read the time from now instead of the wall clock.
func WithClock(now func() time.Time) Option { return func(a *App) { a.now = now } }

// WithPasswordParams makes the App hash new passwords with p instead of
// auth.DefaultParams: tests lower the cost. Existing hashes are always
// checked with the parameters recorded in them.
func WithPasswordParams(p auth.Params) Option {
	return func(a *App) { a.passwords = auth.NewHasher(p) }
}

// ExistingStoreOnly makes New refuse, with ErrNoStore and creating
// nothing, a data dir or database that holds no store yet.
func ExistingStoreOnly() Option { return func(a *App) { a.existingOnly = true } }

// ErrNoStore is New's error when ExistingStoreOnly is set and there is no
// store where the configuration points.
var ErrNoStore = errors.New("no store")

// WithStore makes the App use s instead of opening the store the
// configuration names. The App closes it.
func WithStore(s store.Store) Option { return func(a *App) { a.store = s } }

// New opens the backends named by cfg and returns a ready App. Call Close
// when done.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, log: log, now: time.Now, passwords: auth.NewHasher(auth.DefaultParams()), searchTimeout: SearchTimeout}
	for _, o := range opts {
		o(a)
	}
	if a.searchCache == nil {
		a.searchCache = newMemoryCache(searchCacheTTL, searchCacheEntries, searchCacheBytes, time.Now)
	}
	folder, err := search.NewFolder()
	if err != nil {
		return nil, fmt.Errorf("app: text folding: %w", err)
	}
	a.folder = folder
	if a.store == nil {
		if a.existingOnly {
			if err := storeExists(ctx, cfg); err != nil {
				return nil, err
			}
		}
		if a.store, err = openStore(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if err := a.init(ctx); err != nil {
		a.store.Close()
		return nil, err
	}
	retryIndex, err := a.setUpIndex(ctx)
	if err != nil {
		a.store.Close()
		return nil, err
	}
	if err := a.setUpLimits(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.setUpWebhooks()
	a.worker = a.newWorker()
	if retryIndex {
		a.index.keepOpening(a, indexRetry)
	}
	deviceKey, err := auth.LoadSecret(ctx, a.store, auth.DeviceKeySecret, 32)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.signIn = auth.NewSignInPolicy(a.limits.Login, deviceKey, a.now)
	return a, nil
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("app: open PostgreSQL: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("app: data dir: %w", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "portal.db"))
	if err != nil {
		return nil, fmt.Errorf("app: open SQLite: %w", err)
	}
	return s, nil
}

// storeExists returns nil when cfg points at an existing store, and an
// error wrapping ErrNoStore that says where it looked otherwise.
func storeExists(ctx context.Context, cfg config.Config) error {
	if cfg.DatabaseURL != "" {
		ok, err := postgres.Exists(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		if !ok {
			return fmt.Errorf("%w: the PostgreSQL database named by PORTAL_DATABASE_URL holds no Ethics Portal store; 'ethicsportal serve' creates one", ErrNoStore)
		}
		return nil
	}
	path := filepath.Join(cfg.DataDir, "portal.db")
	ok, err := sqlite.Exists(path)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w in data dir %s (no portal.db there); check PORTAL_DATA_DIR or --data-dir, or run 'ethicsportal serve' to create one", ErrNoStore, cfg.DataDir)
	}
	return nil
}

// init loads or creates what every instance on one store must share: the
// ID-number pepper, the issuer and the signing keys. It fails, wrapping
// ErrPepperMismatch, when PORTAL_ID_PEPPER does not fit the store.
func (a *App) init(ctx context.Context) error {
	// First, so that a start with the wrong PORTAL_ID_PEPPER changes
	// nothing. A store without receipt keys yet is being created now: keys
	// are made on every start, so any older store has them.
	existing, err := a.store.SigningKeys(ctx, store.KeyPurposeReceipt)
	if err != nil {
		return fmt.Errorf("app: receipt keys: %w", err)
	}
	if a.idPepper, err = a.loadPepper(ctx, len(existing) == 0); err != nil {
		return err
	}
	// Before the keys: whether the store has keys yet tells a store made
	// before the issuer was kept from a new one.
	propose := func(context.Context) (string, error) { return a.proposeIssuer(len(existing) > 0) }
	if a.issuer, err = keys.Issuer(ctx, a.store, propose); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	if a.cfg.BaseURLGiven && a.issuer != a.cfg.BaseURL {
		a.log.Info("tokens and receipts keep the issuer the store was created with", "issuer", a.issuer, "base_url", a.cfg.BaseURL)
	}
	tokenKeys, err := keys.Load(ctx, a.store, store.KeyPurposeToken, a.now)
	if err != nil {
		return err
	}
	a.tokens = auth.NewTokens(tokenKeys, a.issuer, a.cfg.TokenTTL, a.now)
	if a.receiptKeys, err = keys.Load(ctx, a.store, store.KeyPurposeReceipt, a.now); err != nil {
		return err
	}
	if a.checkpointKeys, err = keys.Load(ctx, a.store, store.KeyPurposeCheckpoint, a.now); err != nil {
		return err
	}
	a.auditOrigin = keys.Origin(a.issuer)
	// Made on first use: every command and test starts an App, few sign in.
	a.dummyHash = sync.OnceValue(func() string {
		h, _ := a.passwords.Hash("not a password anyone has: timing equaliser")
		return h
	})
	a.actionKinds = a.kinds()
	return nil
}

// Config returns the configuration the App runs with.
func (a *App) Config() config.Config { return a.cfg }

// Limits returns the rate limiters.
func (a *App) Limits() Limits { return a.limits }

// Store returns the system of record, for commands and tests.
func (a *App) Store() store.Store { return a.store }

// Ready reports each dependency that does not answer, by name. An empty map
// means ready.
func (a *App) Ready(ctx context.Context) map[string]error {
	failed := map[string]error{}
	if err := a.store.Ping(ctx); err != nil {
		failed["store"] = err
	}
	if a.indexMode != indexNone {
		if err := a.index.Ping(ctx); err != nil {
			failed["index"] = err
		}
	}
	if a.redis != nil {
		rctx, cancel := context.WithTimeout(ctx, redisPingTimeout)
		defer cancel()
		if err := a.redis.Ping(rctx); err != nil {
			failed["redis"] = err
		}
	}
	return failed
}

// Close releases the backends.
func (a *App) Close() error {
	var err error
	if a.index != nil {
		err = a.index.Close()
	}
	if a.redis != nil {
		err = errors.Join(err, a.redis.Close())
	}
	return errors.Join(err, a.store.Close())
}

// today is the current date in Beijing.
func (a *App) today() store.Date { return store.Today(a.now()) }

// errNotFound reports whether err is a store miss.
func errNotFound(err error) bool { return store.IsCode(err, store.ENotFound) }

// internal wraps an unexpected error so that callers see EInternal while the
// log keeps the cause.
func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *store.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("app: %s: %w", op, err)
}

package redis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned by Sessions when Redis cannot answer (it
// failed, timed out, or its breaker is open): the caller asks the store.
var ErrUnavailable = errors.New("redis: unavailable")

// Sessions keeps, for every instance, what the portal checks on each admin
// request: token ids on the logout deny list, and each user's state (an
// encoded record the caller defines: roles, disabled, sessions ended).
// The store stays the truth; Sessions only spares it two reads per request.
//
// Safety rests on two rules. The deny list only grows: an entry lives until
// its token would have expired anyway. A user's state is never written from
// a change: a change invalidates it (InvalidateUser), and only a reader
// fills it again, from the store, and only if no invalidation happened
// since the reader looked (FillUser compares an epoch), so a slow reader
// can never put back a state older than a change.
//
// Redis's copy can miss changes: Redis restarted without persistence, or
// was unreachable when a change was made. So Sessions answers only once its
// copy is known whole: a marker key, written by a full copy from the store
// (Resync), must be present, and this instance's breaker must not have
// opened since the copy it last made or saw. Otherwise Check answers
// ErrUnavailable, the caller asks the store, and a copy starts in the
// background. It is safe for concurrent use.
type Sessions struct {
	c       *Client
	breaker *Breaker
	ttl     time.Duration
	source  Source

	syncedOpens atomic.Uint64 // breaker.Opens() when the last copy started
	syncing     atomic.Bool
	syncs       atomic.Uint64 // copies completed, for tests and metrics
}

// Source reads what Redis's copy must hold from the store: the deny list's
// live entries (token id to how long its entry must last; 0 for ever) and
// every username.
type Source func(ctx context.Context) (denied map[string]time.Duration, users []string, err error)

// NewSessions returns Sessions on c whose user states live at most ttl (a
// backstop: invalidation is what keeps them right), copied whole from
// source when Redis's copy cannot be trusted.
func NewSessions(c *Client, breaker *Breaker, ttl time.Duration, source Source) *Sessions {
	return &Sessions{c: c, breaker: breaker, ttl: ttl, source: source}
}

// resyncTimeout bounds one full copy.
const resyncTimeout = 30 * time.Second

// Resync copies the deny list and invalidates every user's state from the
// store, then writes the marker that lets Check answer. Check starts it
// when needed; it is exported for tests and for an operator's tooling.
func (s *Sessions) Resync(ctx context.Context) error {
	opens := s.breaker.Opens()
	denied, users, err := s.source(ctx)
	if err != nil {
		return fmt.Errorf("redis: resync sessions: %w", err)
	}
	for jti, life := range denied {
		if err := s.Deny(ctx, jti, life); err != nil {
			return fmt.Errorf("redis: resync sessions: %w", err)
		}
	}
	for _, u := range users {
		if err := s.InvalidateUser(ctx, u); err != nil {
			return fmt.Errorf("redis: resync sessions: %w", err)
		}
	}
	if err := s.c.rdb.Set(ctx, s.markerKey(), "1", 0).Err(); err != nil {
		s.record(ctx, err)
		return fmt.Errorf("redis: resync sessions: %w", err)
	}
	s.syncedOpens.Store(opens)
	s.syncs.Add(1)
	return nil
}

// Syncs returns how many full copies this instance has made.
func (s *Sessions) Syncs() uint64 { return s.syncs.Load() }

// StartResync runs Resync in the background unless one is running; an
// instance calls it at start so that its copy is ready before the first
// admin request.
func (s *Sessions) StartResync() {
	if !s.syncing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.syncing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), resyncTimeout)
		defer cancel()
		_ = s.Resync(ctx) // a failure leaves the marker unset or the opens count behind: the next Check tries again
	}()
}

// UserCheck is what one Check found.
type UserCheck struct {
	Denied bool   // the token id is on the deny list
	State  []byte // the user's cached state; nil when not cached
	Epoch  string // the user's invalidation epoch, for FillUser
}

// Check reads, in one round trip, whether token id jti is denied and the
// cached state of user. ErrUnavailable when Redis cannot answer.
func (s *Sessions) Check(ctx context.Context, jti, user string) (UserCheck, error) {
	if !s.breaker.acquire() {
		return UserCheck{}, ErrUnavailable
	}
	var denied, marker *goredis.IntCmd
	var state, epoch *goredis.StringCmd
	_, err := s.c.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		marker = p.Exists(ctx, s.markerKey())
		denied = p.Exists(ctx, s.denyKey(jti))
		state = p.Get(ctx, s.stateKey(user))
		epoch = p.Get(ctx, s.epochKey(user))
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		s.record(ctx, err)
		return UserCheck{}, fmt.Errorf("%w: check: %w", ErrUnavailable, err)
	}
	s.breaker.success()
	if marker.Val() == 0 || s.breaker.Opens() != s.syncedOpens.Load() {
		s.StartResync()
		return UserCheck{}, fmt.Errorf("%w: the copy of the deny list is being rebuilt", ErrUnavailable)
	}
	out := UserCheck{Denied: denied.Val() > 0, Epoch: epoch.Val()}
	if b, err := state.Bytes(); err == nil {
		out.State = b
	}
	return out, nil
}

// fillScript sets the state only if the epoch is still the one the reader
// saw (no invalidation since) and no state is there.
var fillScript = goredis.NewScript(`
local e = redis.call('GET', KEYS[2]) or ''
if e ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 1 end
return 0`)

// FillUser caches state, read from the store after a Check that returned
// epoch, unless the user was invalidated since. It reports whether it
// stored it. ErrUnavailable when Redis cannot answer.
func (s *Sessions) FillUser(ctx context.Context, user, epoch string, state []byte) (bool, error) {
	if !s.breaker.acquire() {
		return false, ErrUnavailable
	}
	n, err := fillScript.Run(ctx, s.c.rdb, []string{s.stateKey(user), s.epochKey(user)},
		epoch, state, s.ttl.Milliseconds()).Int()
	if err != nil {
		s.record(ctx, err)
		return false, fmt.Errorf("%w: fill: %w", ErrUnavailable, err)
	}
	s.breaker.success()
	return n == 1, nil
}

// invalidateScript moves the epoch on and drops the state, atomically.
var invalidateScript = goredis.NewScript(`
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`)

// InvalidateUser drops the user's cached state and moves their epoch on,
// so that a reader that looked before cannot fill an older state. Called
// after every committed change to a user. It calls Redis even while the
// breaker is open (a change is rare and must reach Redis if it can); an
// error means it did not, and the caller must retry it later.
func (s *Sessions) InvalidateUser(ctx context.Context, user string) error {
	// The epoch outlives any state filled under it (its TTL is longer), so
	// an expired epoch cannot look unchanged to a reader that saw it.
	err := invalidateScript.Run(ctx, s.c.rdb, []string{s.stateKey(user), s.epochKey(user)},
		(s.ttl + time.Hour).Milliseconds()).Err()
	if err != nil {
		s.record(ctx, err)
		return fmt.Errorf("redis: invalidate user: %w", err)
	}
	s.breaker.success()
	return nil
}

// Deny puts token id jti on the deny list for life (0: for ever), which
// the caller sets to outlast the token. Like InvalidateUser it calls Redis
// even while the breaker is open, and an error means the caller must retry
// it later.
func (s *Sessions) Deny(ctx context.Context, jti string, life time.Duration) error {
	if life < 0 {
		return nil // the token has expired: nothing to refuse
	}
	if err := s.c.rdb.Set(ctx, s.denyKey(jti), "1", life).Err(); err != nil {
		s.record(ctx, err)
		return fmt.Errorf("redis: deny token: %w", err)
	}
	s.breaker.success()
	return nil
}

// record tells the breaker about a failed call, unless the caller gave up.
func (s *Sessions) record(ctx context.Context, err error) {
	if ctx.Err() != nil {
		s.breaker.abandon()
		return
	}
	s.breaker.failure(err)
}

// Keys: a user's state and epoch share a hash tag, so that on a Cluster
// the scripts that touch both run on one node.
func (s *Sessions) denyKey(jti string) string   { return s.c.prefix + "deny:" + jti }
func (s *Sessions) markerKey() string           { return s.c.prefix + "sessions:copied" }
func (s *Sessions) stateKey(user string) string { return s.c.prefix + "{u:" + user + "}:state" }
func (s *Sessions) epochKey(user string) string { return s.c.prefix + "{u:" + user + "}:epoch" }

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ethicsportal/store"
)

// TopicSessionChanged is the outbox topic of a logout or a change to a
// user. With Redis, the sessions consumer carries it to Redis's copy of the
// deny list and the users' states; the request that made the change already
// tried that at once, and the message repeats it for the case it failed.
const TopicSessionChanged = "session.changed"

// sessionChange is the payload of TopicSessionChanged: a denied token id
// with its expiry, or a user whose state changed.
type sessionChange struct {
	DenyTokenID string    `json:"deny_token_id,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	User        string    `json:"user,omitempty"`
}

// sessionTTL bounds how long a user's state stays in Redis without being
// read again from the store; invalidation on change is what keeps it right.
const sessionTTL = 5 * time.Minute

// userState is what Authenticate needs of a user, as kept in Redis.
type userState struct {
	Roles           []string  `json:"roles"`
	Disabled        bool      `json:"disabled"`
	TokensNotBefore time.Time `json:"tokens_not_before,omitzero"`
}

// checkShared answers Authenticate from Redis: the deny list and the user's
// state in one round trip, the state read from the store and cached on a
// miss. ok is false when Redis cannot answer; the caller then asks the
// store.
func (a *App) checkShared(ctx context.Context, jti, username string) (st *userState, denied, ok bool, err error) {
	chk, err := a.sessions.Check(ctx, jti, username)
	if err != nil {
		return nil, false, false, nil
	}
	if chk.Denied {
		return nil, true, true, nil
	}
	if chk.State != nil {
		st = new(userState)
		if json.Unmarshal(chk.State, st) == nil {
			return st, false, true, nil
		}
		// Written by another version: read the store, and leave the entry
		// to its TTL.
	}
	u, err := a.store.UserByName(ctx, username)
	if err != nil {
		return nil, false, true, err
	}
	st = &userState{Roles: u.Roles, Disabled: u.Disabled, TokensNotBefore: u.TokensNotBefore}
	if raw, err := json.Marshal(st); err == nil {
		// Refused when the user changed since Check: then the next request
		// fills the newer state.
		_, _ = a.sessions.FillUser(ctx, username, chk.Epoch, raw)
	}
	return st, false, true, nil
}

// sessionSource reads from the store what Redis's copy must hold: the live
// deny-list entries and every username (see redis.Sessions).
func (a *App) sessionSource(ctx context.Context) (map[string]time.Duration, []string, error) {
	now := a.now()
	entries, err := a.store.DeniedTokens(ctx, now)
	if err != nil {
		return nil, nil, fmt.Errorf("app: session source: %w", err)
	}
	denied := make(map[string]time.Duration, len(entries))
	for jti, exp := range entries {
		denied[jti] = denyLife(now, exp)
	}
	users, err := a.store.Users(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("app: session source: %w", err)
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Username
	}
	return denied, names, nil
}

// denyLife is how long a deny-list entry for a token expiring at exp must
// last in Redis: until then, plus a minute for clocks a little apart; 0
// (for ever) for the zero time, negative once it is no longer needed.
func denyLife(now, exp time.Time) time.Duration {
	if exp.IsZero() {
		return 0
	}
	life := exp.Sub(now) + time.Minute
	if life == 0 {
		life = -1
	}
	return life
}

// SessionCopies returns how many times this instance has copied the deny
// list and users to Redis (0 without Redis): Redis answers token checks
// only after the first.
func (a *App) SessionCopies() uint64 {
	if a.sessions == nil {
		return 0
	}
	return a.sessions.Syncs()
}

// sessionsConsumer carries TopicSessionChanged to Redis.
type sessionsConsumer struct{ a *App }

func (sessionsConsumer) Name() string { return "redis-sessions" }

// Consume implements outbox.Consumer. Other topics are ignored.
func (c sessionsConsumer) Consume(ctx context.Context, m store.OutboxMessage) error {
	if m.Topic != TopicSessionChanged {
		return nil
	}
	var ch sessionChange
	if err := json.Unmarshal(m.Payload, &ch); err != nil {
		c.a.log.Error("outbox: unreadable session change; skipped", "id", m.ID, "err", err)
		return nil // retrying cannot make it readable
	}
	return c.a.pushSessionChange(ctx, ch)
}

// pushSessionChange applies one change to Redis's copy.
func (a *App) pushSessionChange(ctx context.Context, ch sessionChange) error {
	var err error
	if ch.DenyTokenID != "" {
		err = a.sessions.Deny(ctx, ch.DenyTokenID, denyLife(a.now(), ch.ExpiresAt))
	}
	if ch.User != "" {
		err = errors.Join(err, a.sessions.InvalidateUser(ctx, ch.User))
	}
	if err != nil {
		return fmt.Errorf("app: session change: %w", err)
	}
	return nil
}

// enqueueSessionChange records ch inside tx for the sessions consumer of
// every instance that uses Redis. It is written even by a process without
// Redis (an operator's `user disable` run with only the database URL): the
// servers that use Redis must still hear of the change. Where no instance
// uses Redis, no consumer takes the topic and the message is simply done.
func (a *App) enqueueSessionChange(ctx context.Context, tx store.Tx, ch sessionChange) error {
	key := "session:" + ch.User + ch.DenyTokenID
	return a.enqueue(ctx, tx, TopicSessionChanged, key, ch)
}

// afterSessionChange, once the change is committed, applies it to Redis at
// once, so that every instance sees it on its next request; if Redis does
// not take it, the outbox message delivers it later.
func (a *App) afterSessionChange(ctx context.Context, ch sessionChange) {
	if a.sessions == nil {
		return
	}
	if err := a.pushSessionChange(ctx, ch); err != nil {
		a.log.Warn("redis: a session change did not reach Redis; the outbox will deliver it", "err", err)
		a.wakeWorker()
	}
}

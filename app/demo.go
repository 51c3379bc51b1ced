package app

import (
	"context"
	"errors"
	"fmt"

	"ethicsportal/static"
	"ethicsportal/store"
)

// DemoPassword is the password of every demo account. The demo data set is
// for trying the portal out on one machine, never for a deployment.
const DemoPassword = "demo-password-2026"

// DemoUsers are the accounts LoadDemo creates, one per role.
var DemoUsers = []NewUser{
	{Username: "demo-editor", Roles: []string{store.RoleEditor}},
	{Username: "demo-registrar", Roles: []string{store.RoleRegistrar}},
	{Username: "demo-reviewer", Roles: []string{store.RoleReviewer}},
	{Username: "demo-auditor", Roles: []string{store.RoleAuditor}},
	{Username: "demo-admin", Roles: []string{store.RoleAdmin}},
}

// Markers kept as store secrets. demoStoreMarker is set before anything of
// the demo is loaded, so a store is known as a demo store even when loading
// was cut short; demoMarker is set when the whole data set is in.
const (
	demoStoreMarker = "demo_store"
	demoMarker      = "demo_loaded"
)

// ErrRealStore is LoadDemo's error on a store that holds anything but the
// demo, or was served without --demo: demo records and demo accounts must
// never mix with real ones.
var ErrRealStore = errors.New("the store is not a demo store (it holds accounts or records): --demo loads its synthetic data and accounts with a published password only into an empty store; point PORTAL_DATA_DIR or PORTAL_DATABASE_URL at an empty one")

// ErrDemoStore is ClaimReal's error on a demo store.
var ErrDemoStore = errors.New("the store is a demo store (made by serve --demo; its accounts share a published password): serve it with --demo, or point PORTAL_DATA_DIR or PORTAL_DATABASE_URL at a real store")

// LoadDemo marks an empty store as a demo store and loads the bundled
// synthetic data set into it, unless it was loaded before, and reports
// whether it loaded it: the credentials of static/demo, one account per
// role, and DemoCases synthetic misconduct cases with the revoked,
// suspended, banned and lapsed holders they are about (see
// loadDemoCases). Demo accounts get DemoPassword and no second
// factor. A load cut short is completed by the next. On a store that is not a demo store and holds anything (an
// account, or any audited change: every record is one) it loads nothing
// and returns an error wrapping ErrRealStore. A store that was served
// without --demo but holds nothing may still become a demo store: there is
// nothing real in it to mix with.
func (a *App) LoadDemo(ctx context.Context) (bool, error) {
	isDemo, err := a.hasSecret(ctx, demoStoreMarker)
	if err != nil {
		return false, err
	}
	if !isDemo {
		empty, err := a.storeEmpty(ctx)
		if err != nil {
			return false, err
		}
		if !empty {
			return false, fmt.Errorf("app: %w", ErrRealStore)
		}
		err = a.store.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, demoStoreMarker, []byte("1")) })
		if err != nil {
			return false, internal("demo marker", err)
		}
	}
	if loaded, err := a.hasSecret(ctx, demoMarker); err != nil || loaded {
		return false, err
	}
	cases := a.makeDemoCases()
	f, err := static.Demo.Open("demo/credentials.csv")
	if err != nil {
		return false, fmt.Errorf("app: demo data: %w", err)
	}
	defer f.Close()
	rep, err := a.ImportCredentials(ctx, ActorCLI, f, ImportOptions{Encoding: "utf-8"})
	if err != nil {
		return false, fmt.Errorf("app: demo credentials: %w", err)
	}
	if rep.RejectedCount > 0 {
		return false, fmt.Errorf("app: demo credentials: %d rows rejected, first: %+v", rep.RejectedCount, rep.Rejected[0])
	}
	for _, u := range DemoUsers {
		u.Password = DemoPassword
		if _, err := a.addUser(ctx, ActorCLI, u, false); err != nil && !store.IsCode(err, store.EConflict) {
			return false, fmt.Errorf("app: demo user %s: %w", u.Username, err)
		}
	}
	set, err := cases()
	if err != nil {
		return false, err
	}
	set.resume = isDemo // marked before this load: an earlier one was cut short
	if err := a.loadDemoCases(ctx, set); err != nil {
		return false, err
	}
	err = a.store.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, demoMarker, []byte("1")) })
	return err == nil, internal("demo marker", err)
}

// ClaimReal is for serving without --demo. On a demo store it returns an
// error wrapping ErrDemoStore. On a store into which an earlier
// version loaded the demo beside real data (the data set's marker without
// the demo store's), it disables every demo account that still takes
// DemoPassword, audited as actor, and returns their names: a published
// password must not open a real store.
func (a *App) ClaimReal(ctx context.Context, actor string) ([]string, error) {
	isDemo, err := a.hasSecret(ctx, demoStoreMarker)
	if err != nil {
		return nil, err
	}
	if isDemo {
		return nil, fmt.Errorf("app: %w", ErrDemoStore)
	}
	mixed, err := a.hasSecret(ctx, demoMarker)
	if err != nil || !mixed {
		return nil, err
	}
	var retired []string
	yes := true
	for _, d := range DemoUsers {
		u, err := a.store.UserByName(ctx, d.Username)
		if errNotFound(err) {
			continue
		}
		if err != nil {
			return nil, internal("demo account", err)
		}
		if u.Disabled || !a.passwords.Check(u.PasswordHash, DemoPassword) {
			continue
		}
		if _, err := a.UpdateUser(ctx, actor, d.Username, UserPatch{Disabled: &yes}); err != nil {
			return nil, fmt.Errorf("app: disable demo account %s: %w", d.Username, err)
		}
		retired = append(retired, d.Username)
	}
	return retired, nil
}

// storeEmpty reports whether the store holds no users and no audit events:
// every change the portal makes to its content is audited, so a store
// without events holds nothing but its keys.
func (a *App) storeEmpty(ctx context.Context) (bool, error) {
	us, err := a.store.Users(ctx)
	if err != nil {
		return false, internal("users", err)
	}
	if len(us) > 0 {
		return false, nil
	}
	_, err = a.store.LastAuditEvent(ctx)
	if errNotFound(err) {
		return true, nil
	}
	return false, internal("audit head", err)
}

// hasSecret reports whether the store holds the named secret.
func (a *App) hasSecret(ctx context.Context, name string) (bool, error) {
	v, err := a.optionalSecret(ctx, name)
	return v != nil, err
}

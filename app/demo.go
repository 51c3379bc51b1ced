package app

import (
	"context"
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

const demoMarker = "demo_loaded"

// LoadDemo loads the bundled synthetic data set unless it was loaded into
// this store before, and reports whether it did. Demo accounts get
// DemoPassword and no second factor.
func (a *App) LoadDemo(ctx context.Context) (bool, error) {
	if _, err := a.store.Secret(ctx, demoMarker); err == nil {
		return false, nil
	} else if !errNotFound(err) {
		return false, internal("demo marker", err)
	}
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
	err = a.store.Update(ctx, func(tx store.Tx) error { return tx.PutSecretIfAbsent(ctx, demoMarker, []byte("1")) })
	return err == nil, internal("demo marker", err)
}

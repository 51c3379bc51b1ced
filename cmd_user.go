package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"ethicsportal/app"
)

func (e env) userAdd(ctx context.Context, args []string) int {
	fs := newFlagSet("user add", e.stderr)
	roles := fs.String("role", "", "comma-separated roles: editor, registrar, reviewer, auditor, admin")
	cfg, rest, err := parse(fs, args)
	if err != nil {
		return e.configError(err)
	}
	if len(rest) != 1 {
		return e.usageError("user add takes exactly one USERNAME")
	}
	if *roles == "" {
		return e.usageError("user add needs --role ROLE[,ROLE]")
	}
	password, err := e.readPassword()
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return exitFailed
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	u, err := a.AddUser(ctx, app.ActorCLI, app.NewUser{Username: rest[0], Password: password, Roles: strings.Split(*roles, ",")})
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: cannot add user: %s\n", errorText(err))
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "added user %s with roles %s\n", u.Username, strings.Join(u.Roles, ","))
	if u.TOTPURI != "" {
		fmt.Fprintln(e.stdout, "Sign-in needs a TOTP code. Add this enrolment URI to an authenticator app (it is shown only now):")
		fmt.Fprintln(e.stdout, u.TOTPURI)
	}
	return exitOK
}

// readPassword reads one line from standard input; on a terminal it asks
// twice without echo.
func (e env) readPassword() (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(e.stderr, "Password (at least %d characters): ", app.MinPasswordLength)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", fmt.Errorf("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

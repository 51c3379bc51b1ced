package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"ethicsportal/app"
)

// cliActor names the operator at the command line in the audit log: the
// operating-system account running the command, so that two operators'
// changes can be told apart.
func cliActor() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		return app.ActorCLI
	}
	return app.ActorCLI + ":" + name
}

// user dispatches the user subcommands.
func (e env) user(ctx context.Context, args []string) int {
	const subs = "add, list, roles, disable, enable, passwd, reset-totp"
	if len(args) == 0 {
		return e.usageError("user needs a subcommand: " + subs)
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return e.userAdd(ctx, rest)
	case "list":
		return e.userList(ctx, rest)
	case "roles":
		return e.userChange(ctx, "user roles", rest, 2, func(positional []string) (app.UserPatch, string) {
			return app.UserPatch{Roles: strings.Split(positional[1], ",")}, "roles of %s are now %s"
		})
	case "disable":
		return e.userChange(ctx, "user disable", rest, 1, func([]string) (app.UserPatch, string) {
			yes := true
			return app.UserPatch{Disabled: &yes}, "disabled %s (roles %s): sign-in and tokens are refused"
		})
	case "enable":
		return e.userChange(ctx, "user enable", rest, 1, func([]string) (app.UserPatch, string) {
			no := false
			return app.UserPatch{Disabled: &no}, "enabled %s (roles %s)"
		})
	case "passwd":
		return e.userPasswd(ctx, rest)
	case "reset-totp":
		return e.userChange(ctx, "user reset-totp", rest, 1, func([]string) (app.UserPatch, string) {
			return app.UserPatch{ResetTOTP: true}, "reset the second factor of %s (roles %s)"
		})
	default:
		return e.usageError(fmt.Sprintf("unknown user subcommand %q; the subcommands are %s", sub, subs))
	}
}

func (e env) userAdd(ctx context.Context, args []string) int {
	fs := newFlagSet("user add", e.stderr)
	roles := fs.String("role", "", "comma-separated roles: editor, registrar, reviewer, auditor, admin")
	cfg, rest, code, ok := e.parseArgs(fs, args, 1, "user add takes exactly one USERNAME")
	if !ok {
		return code
	}
	if *roles == "" {
		return e.usageError("user add needs --role ROLE[,ROLE]")
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	password, err := e.readPassword()
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return exitFailed
	}
	u, err := a.AddUser(ctx, cliActor(), app.NewUser{Username: rest[0], Password: password, Roles: strings.Split(*roles, ",")})
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: cannot add user: %s\n", errorText(err))
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "added user %s with roles %s\n", u.Username, strings.Join(u.Roles, ","))
	e.printEnrolment(u.TOTPURI)
	return exitOK
}

func (e env) printEnrolment(uri string) {
	if uri == "" {
		return
	}
	fmt.Fprintln(e.stdout, "Sign-in needs a TOTP code. Add this enrolment URI to an authenticator app (it is shown only now):")
	fmt.Fprintln(e.stdout, uri)
}

func (e env) userList(ctx context.Context, args []string) int {
	fs := newFlagSet("user list", e.stderr)
	cfg, _, code, ok := e.parseArgs(fs, args, 0, "user list takes no arguments")
	if !ok {
		return code
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	us, err := a.Users(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: cannot list users: %s\n", errorText(err))
		return exitFailed
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tROLES\tSTATE\tTOTP")
	for _, u := range us {
		state, totp := "enabled", "no"
		if u.Disabled {
			state = "disabled"
		}
		if u.TOTP {
			totp = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Username, strings.Join(u.Roles, ","), state, totp)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func (e env) userPasswd(ctx context.Context, args []string) int {
	fs := newFlagSet("user passwd", e.stderr)
	cfg, rest, code, ok := e.parseArgs(fs, args, 1, "user passwd takes exactly one USERNAME")
	if !ok {
		return code
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	password, err := e.readPassword()
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return exitFailed
	}
	if _, err := a.UpdateUser(ctx, cliActor(), rest[0], app.UserPatch{Password: &password}); err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: cannot set the password: %s\n", errorText(err))
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "set a new password for %s\n", strings.ToLower(strings.TrimSpace(rest[0])))
	return exitOK
}

// userChange runs a user subcommand that takes want positional arguments
// (the username first) and applies the patch patchOf makes; done is the
// message printed, with the username and the roles after the change.
func (e env) userChange(ctx context.Context, name string, args []string, want int, patchOf func([]string) (app.UserPatch, string)) int {
	fs := newFlagSet(name, e.stderr)
	usage := name + " takes exactly one USERNAME"
	if want == 2 {
		usage = name + " takes USERNAME ROLE[,ROLE]"
	}
	cfg, rest, code, ok := e.parseArgs(fs, args, want, usage)
	if !ok {
		return code
	}
	a, ok := e.openApp(ctx, cfg)
	if !ok {
		return exitFailed
	}
	defer a.Close()
	patch, done := patchOf(rest)
	u, err := a.UpdateUser(ctx, cliActor(), rest[0], patch)
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %s: %s\n", name, errorText(err))
		return exitFailed
	}
	fmt.Fprintf(e.stdout, done+"\n", u.Username, strings.Join(u.Roles, ","))
	e.printEnrolment(u.TOTPURI)
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

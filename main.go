// Command ethicsportal is the Ethics Portal server and its operator
// commands. Every command reads the same configuration (environment,
// overridden by flags) and works through app, so a command run beside a
// live server on the same store sees and changes the same data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"ethicsportal/app"
	"ethicsportal/config"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitRejected = 3 // import finished but rejected some rows
)

const usage = `Ethics Portal (师德师风公示与教师资格查询平台)

Usage:
  ethicsportal [serve] [--demo] [flags]           serve HTTP (the default); creates the store if there is none.
                                                  --demo: load the synthetic demo data into an empty store
  ethicsportal user add USERNAME --role ROLE[,ROLE] [flags]
                                                  add an administrator; password on standard input
  ethicsportal user list [flags]                  list the administrators, their roles and state
  ethicsportal user roles USERNAME ROLE[,ROLE] [flags]
                                                  replace a user's roles
  ethicsportal user disable USERNAME [flags]      refuse the user's sign-in and tokens at once
  ethicsportal user enable USERNAME [flags]       let a disabled user sign in again
  ethicsportal user passwd USERNAME [flags]       set a new password, read from standard input
  ethicsportal user reset-totp USERNAME [flags]   replace the TOTP secret and print the new enrolment URI
                                                  (removes the second factor when TOTP is not required)
  ethicsportal import credentials FILE.csv [--encoding auto|utf-8|gb18030] [flags]
                                                  import the credential register from CSV
  ethicsportal reindex [flags]                    rebuild the search index from the store, with progress
                                                  (embedded index: stop the server first)
  ethicsportal audit verify [--checkpoint FILE] [flags]
                                                  recompute the audit hash chain; exit 0 only if intact
                                                  and still holding the checkpoint kept in FILE
  ethicsportal help                               this text (also -h, --help)

Roles: editor, registrar, reviewer, auditor, admin.
Every command but serve works on an existing store only: pointed at a data
dir or database without one it exits 1 and creates nothing.
The last enabled admin cannot be disabled or lose that role.
Every command takes the configuration flags listed by 'ethicsportal --help';
each also reads its PORTAL_* environment variable (flags win).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env gives commands their standard streams, for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmd := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		cmd = "help"
	} else if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return e.serve(ctx, args)
	case "user":
		return e.user(ctx, args)
	case "import":
		if len(args) == 0 || args[0] != "credentials" {
			return e.usageError("import: the only subcommand is 'import credentials FILE.csv'")
		}
		return e.importCredentials(ctx, args[1:])
	case "reindex":
		return e.reindex(ctx, args)
	case "audit":
		if len(args) == 0 || args[0] != "verify" {
			return e.usageError("audit: the only subcommand is 'audit verify'")
		}
		return e.auditVerify(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		fmt.Fprintln(stdout, "\nConfiguration flags (each also read from its PORTAL_* variable):")
		fs := newFlagSet("ethicsportal", stdout)
		config.NewLoader(fs, nil)
		fs.PrintDefaults()
		return exitOK
	}
	return e.usageError(fmt.Sprintf("unknown command %q", cmd))
}

func (e env) usageError(msg string) int {
	fmt.Fprintf(e.stderr, "ethicsportal: %s\n\n%s", msg, usage)
	return exitUsage
}

// parse parses a command's flags, which may come before or after its
// positional arguments ("user add NAME --role admin"), and loads the
// configuration. It returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	loader := config.NewLoader(fs, nil)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return config.Config{}, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := loader.Load()
	return cfg, positional, err
}

// parseArgs parses a command's flags and configuration, as parse does, and
// checks that it was given want positional arguments; usage is the message
// when it was not. When ok is false the command is over: the problem has
// been printed and code is the exit status to return.
func (e env) parseArgs(fs *flag.FlagSet, args []string, want int, usage string) (cfg config.Config, rest []string, code int, ok bool) {
	cfg, rest, err := parse(fs, args)
	if err != nil {
		return cfg, nil, e.configError(err), false
	}
	if len(rest) != want {
		return cfg, nil, e.usageError(usage), false
	}
	return cfg, rest, exitOK, true
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// configError prints a configuration or flag error; flag's own help
// request is not an error.
func (e env) configError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
	return exitUsage
}

// openApp opens the application on an existing store for an operator
// command, printing why it could not; the caller closes it. A data dir or
// database without a store is refused and nothing is created there. The
// search index stays closed: these commands never search, and the embedded
// index belongs to the running server.
func (e env) openApp(ctx context.Context, cfg config.Config) (*app.App, bool) {
	a, err := app.New(ctx, cfg, newLogger(cfg, e.stderr), app.ExistingStoreOnly(), app.WithoutIndex())
	if err != nil {
		fmt.Fprintf(e.stderr, "ethicsportal: %v\n", err)
		return nil, false
	}
	return a, true
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

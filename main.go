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
  ethicsportal [serve] [--demo] [flags]           serve HTTP (the default)
  ethicsportal user add USERNAME --role ROLE[,ROLE] [flags]
                                                  add an administrator; password on standard input
  ethicsportal import credentials FILE.csv [--encoding auto|utf-8|gb18030] [flags]
                                                  import the credential register from CSV
  ethicsportal audit verify [--checkpoint FILE] [flags]
                                                  recompute the audit hash chain; exit 0 only if intact
                                                  and still holding the checkpoint kept in FILE

Roles: editor, registrar, reviewer, auditor, admin.
Every command takes the configuration flags below; each also reads its
PORTAL_* environment variable (flags win). Run 'ethicsportal serve -h' to list them.
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
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return e.serve(ctx, args)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			return e.usageError("user: the only subcommand is 'user add USERNAME --role ROLE'")
		}
		return e.userAdd(ctx, args[1:])
	case "import":
		if len(args) == 0 || args[0] != "credentials" {
			return e.usageError("import: the only subcommand is 'import credentials FILE.csv'")
		}
		return e.importCredentials(ctx, args[1:])
	case "audit":
		if len(args) == 0 || args[0] != "verify" {
			return e.usageError("audit: the only subcommand is 'audit verify'")
		}
		return e.auditVerify(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
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

// openApp opens the application for an operator command, printing why it
// could not; the caller closes it.
func (e env) openApp(ctx context.Context, cfg config.Config) (*app.App, bool) {
	a, err := app.New(ctx, cfg, newLogger(cfg, e.stderr))
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

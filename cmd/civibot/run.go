package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// cli is what a command may use of the process: its streams and environment.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand. run gets the arguments after the command name.
type command struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// errUsage marks an error caused by wrong arguments (exit code 2).
var errUsage = errors.New("usage")

func commands() map[string]command {
	// Each command lives in its own file (serve.go, ingest.go, …); add one
	// line here when adding a command.
	return map[string]command{
		"serve":         {"serve the web chat (and the other channels) with the city's knowledge", runServe},
		"ingest":        {"import a city's service pages into a knowledge base", runIngest},
		"ask":           {"ask the bot one question and show its decision", runAsk},
		"eval":          {"measure retrieval and handoff quality on a case file", runEval},
		"user":          {"manage caseworker accounts for the console (add, list, disable, enable, passwd)", runUser},
		"aliases":       {"what caseworkers taught: list, export and import the aliases of pages", runAliases},
		"conversations": {"delete stored conversations (purge old ones, or one on request)", runConversations},
		"config":        {"check the configuration (effective values, secrets masked) or print the example", runConfig},
		"healthcheck":   {"ask a running civibot whether it is ready (for container health checks)", runHealthcheck},
	}
}

// run executes one civibot command and returns the process exit code.
func run(ctx context.Context, args []string, c *cli) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(c.stdout, cmds)
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" || args[0] == "version" {
		printVersion(c.stdout)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "civibot: unknown command %q\n\n", args[0])
		usage(c.stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, c, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		// An error of the package the command is named after starts with
		// that name already ("config: ..."): say it once.
		msg := strings.TrimPrefix(err.Error(), args[0]+": ")
		fmt.Fprintf(c.stderr, "civibot %s: %s\n", args[0], msg)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("civibot — a citizen-service assistant for cities\n\nUsage: civibot <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-14s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun 'civibot <command> -h' for a command's flags, 'civibot --version' for the build.\n")
	io.WriteString(w, b.String())
}

// newFlagSet returns a flag set whose errors and help go to c.stderr.
func newFlagSet(c *cli, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("civibot "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: civibot %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

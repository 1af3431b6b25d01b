package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

// stateFlags are the flags of commands that work on civibot's stored state
// (accounts, conversations): the same config as `civibot serve`, with the
// two settings that say where state lives as flags.
type stateFlags struct {
	config, redisURL, dataDir *string
}

func addStateFlags(fs *flag.FlagSet, c *cli) *stateFlags {
	return &stateFlags{
		config:   fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML); also CIVIBOT_CONFIG"),
		redisURL: fs.String("redis-url", "", "Redis holding civibot's state, e.g. redis://localhost:6379/0 (default: redis.url from config or CIVIBOT_REDIS_URL)"),
		dataDir:  fs.String("data-dir", "", "data directory of a civibot without Redis (default: security.data_dir from config, ./data)"),
	}
}

func (s *stateFlags) load(c *cli) (config.Config, error) {
	cfg, err := config.Load(*s.config, c.getenv)
	if err != nil {
		return cfg, err
	}
	if *s.redisURL != "" {
		cfg.Redis.URL, cfg.Redis.Addrs = *s.redisURL, nil
	}
	if *s.dataDir != "" {
		cfg.Security.DataDir = *s.dataDir
	}
	if err := cfg.Handoff.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func usesRedis(cfg config.Config) bool { return cfg.Redis.URL != "" || len(cfg.Redis.Addrs) > 0 }

// redisState connects to the configured Redis and returns its client and
// key prefix. The caller closes the client.
func redisState(cfg config.Config) (redis.UniversalClient, string, error) {
	rdb, err := conversation.NewRedisClient(cfg.Redis)
	if err != nil {
		return nil, "", err
	}
	return rdb, cfg.Redis.KeyPrefix(), nil
}

// openAccounts opens the accounts `civibot serve` uses: in Redis when it is
// configured, else in the accounts file in the data directory. where says
// which, for the operator.
func openAccounts(cfg config.Config) (a *accounts.Store, where string, closeFn func(), err error) {
	if usesRedis(cfg) {
		rdb, prefix, err := redisState(cfg)
		if err != nil {
			return nil, "", nil, err
		}
		a, err := accounts.NewRedis(cfg.Handoff.Accounts, rdb, prefix, accounts.Options{})
		if err != nil {
			rdb.Close()
			return nil, "", nil, err
		}
		return a, "Redis", func() { rdb.Close() }, nil
	}
	path := filepath.Join(cfg.Security.DataDir, accounts.FileName)
	a, err = accounts.NewMemory(cfg.Handoff.Accounts, path, accounts.Options{})
	if err != nil {
		return nil, "", nil, err
	}
	return a, path, func() {}, nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("user add erika --admin") and returns the
// positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

const userSynopsis = `add NAME [--admin] [--name "Display Name"] [--password-stdin]
       civibot user list
       civibot user disable NAME
       civibot user enable NAME
       civibot user passwd NAME [--password-stdin]

Caseworker accounts for the console. Without Redis they are kept in
accounts.json in the data directory, which a running civibot serve reads;
with Redis (--redis-url or redis.url) in Redis.`

// runUser administers caseworker accounts.
func runUser(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "user", userSynopsis)
	state := addStateFlags(fs, c)
	admin := fs.Bool("admin", false, "add: give the admin role (may edit canned replies)")
	display := fs.String("name", "", "add: display name shown to citizens and colleagues")
	fromStdin := fs.Bool("password-stdin", false, "add, passwd: read the password from the first line of stdin, without prompting")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: say what to do: add, list, disable, enable or passwd", errUsage)
	}
	verb, rest := pos[0], pos[1:]
	want := 1
	if verb == "list" {
		want = 0
	}
	switch verb {
	case "add", "list", "disable", "enable", "passwd":
	default:
		return fmt.Errorf("%w: unknown action %q (add, list, disable, enable, passwd)", errUsage, verb)
	}
	if len(rest) != want {
		if want == 0 {
			return fmt.Errorf("%w: user list takes no arguments", errUsage)
		}
		return fmt.Errorf("%w: user %s needs one NAME", errUsage, verb)
	}
	cfg, err := state.load(c)
	if err != nil {
		return err
	}
	accts, where, closeFn, err := openAccounts(cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	in := bufio.NewReader(c.stdin)

	switch verb {
	case "list":
		return listUsers(ctx, c, accts)
	case "add":
		name, err := accounts.NormalizeName(rest[0])
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if _, err := accts.User(ctx, name); err == nil {
			return fmt.Errorf("user %s already exists (change the password with: civibot user passwd %s)", name, name)
		}
		pass, err := readPassword(c, in, *fromStdin)
		if err != nil {
			return err
		}
		role := accounts.RoleCaseworker
		if *admin {
			role = accounts.RoleAdmin
		}
		u, err := accts.AddUser(ctx, name, *display, role, pass)
		if err != nil {
			return explain(err, name)
		}
		fmt.Fprintf(c.stdout, "added %s %s (stored in %s)\n", u.Role, u.Name, where)
	case "disable", "enable":
		if err := accts.SetDisabled(ctx, rest[0], verb == "disable"); err != nil {
			return explain(err, rest[0])
		}
		if verb == "disable" {
			fmt.Fprintf(c.stdout, "disabled %s: they cannot log in, and their console sessions have ended\n", strings.ToLower(rest[0]))
		} else {
			fmt.Fprintf(c.stdout, "enabled %s\n", strings.ToLower(rest[0]))
		}
	case "passwd":
		if _, err := accts.User(ctx, rest[0]); err != nil {
			return explain(err, rest[0])
		}
		pass, err := readPassword(c, in, *fromStdin)
		if err != nil {
			return err
		}
		if err := accts.SetPassword(ctx, rest[0], pass); err != nil {
			return explain(err, rest[0])
		}
		fmt.Fprintf(c.stdout, "changed the password of %s; their console sessions have ended\n", strings.ToLower(rest[0]))
	}
	return nil
}

// explain turns account errors into messages for the operator.
func explain(err error, name string) error {
	switch {
	case errors.Is(err, accounts.ErrUserNotFound):
		return fmt.Errorf("no user %q (see: civibot user list)", name)
	case errors.Is(err, accounts.ErrUserExists):
		return fmt.Errorf("user %s already exists", name)
	case errors.Is(err, handoff.ErrUnavailable):
		return fmt.Errorf("%v (is Redis running and redis.url right?)", err)
	}
	return err
}

func listUsers(ctx context.Context, c *cli, accts *accounts.Store) error {
	us, err := accts.Users(ctx)
	if err != nil {
		return explain(err, "")
	}
	if len(us) == 0 {
		fmt.Fprintln(c.stdout, "no users yet; add one with: civibot user add NAME")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tDISPLAY NAME\tCREATED")
	for _, u := range us {
		status := "enabled"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.DisplayName, u.Created.Format("2006-01-02"))
	}
	return tw.Flush()
}

// readPassword reads a new password: the first line of stdin with
// --password-stdin, else twice after a prompt (without echo on a terminal).
func readPassword(c *cli, in *bufio.Reader, fromStdin bool) (string, error) {
	if fromStdin {
		pass, err := readLine(in)
		if err != nil {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		return pass, nil
	}
	restore := noEcho(c.stdin)
	defer restore()
	fmt.Fprint(c.stderr, "Password: ")
	pass, err := readLine(in)
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(c.stderr, "Repeat the password: ")
	again, err := readLine(in)
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if pass != again {
		return "", errors.New("the passwords differ; nothing was changed")
	}
	return pass, nil
}

func readLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// noEcho turns off echo while a password is typed on a terminal and
// returns the function that turns it back on. It does nothing when stdin
// is not a terminal (a pipe, a test).
func noEcho(stdin io.Reader) func() {
	f, ok := stdin.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	stty := func(arg string) error {
		cmd := exec.Command("stty", arg)
		cmd.Stdin = f
		return cmd.Run()
	}
	if stty("-echo") != nil {
		return func() {}
	}
	return func() { _ = stty("echo") }
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/configs"
	"github.com/civibot/civibot/knowledge"
)

const configSynopsis = `check [--config FILE] [--set path=value]...
       civibot config example

check   validates the configuration as civibot serve would build it
        (defaults, the YAML file, CIVIBOT_* environment, --set) and prints
        the effective configuration with secrets masked, and notes on what
        a production setup usually changes. Exit code 1 and a list of the
        problems, each saying how to fix it, when it is not valid.
example prints configs/civibot.example.yaml: every option, at its
        default, with a comment.`

// runConfig checks or shows the configuration.
func runConfig(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "config", configSynopsis)
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML); also CIVIBOT_CONFIG")
	var sets stringList
	fs.Var(&sets, "set", "override one option, e.g. --set redis.url=redis://localhost:6379/0 (repeatable)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "check" && pos[0] != "example") {
		fs.Usage()
		return fmt.Errorf("%w: say check or example", errUsage)
	}
	if pos[0] == "example" {
		_, err := io.WriteString(c.stdout, configs.Example())
		return err
	}
	source := "defaults and CIVIBOT_* environment"
	if *cfgPath != "" {
		source = *cfgPath
	}
	cfg, err := config.Load(*cfgPath, c.getenv)
	if err != nil {
		return err
	}
	// A --set naming no option is a problem of the configuration like
	// any other (exit code 1, as the help says), listed with the rest.
	var problems []string
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			problems = append(problems, err.Error())
		}
	}
	cfg.Dialog.CityName = cfg.City.Name
	if err := cfg.Validate(); err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	if len(problems) > 0 {
		fmt.Fprintf(c.stderr, "%s: %d problem(s):\n", source, len(problems))
		for _, p := range problems {
			fmt.Fprintf(c.stderr, "  - %s\n", p)
		}
		return errors.New("the configuration is not valid")
	}
	out, err := cfg.Masked()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "# %s: valid. The effective configuration (secrets shown as ***):\n", source)
	for _, n := range configNotes(cfg) {
		fmt.Fprintf(c.stdout, "# note: %s\n", n)
	}
	_, err = io.WriteString(c.stdout, out)
	return err
}

// configNotes are things a valid configuration may still want changed for
// production.
func configNotes(cfg config.Config) []string {
	var notes []string
	if !usesRedis(cfg) {
		notes = append(notes, "redis.url is not set: state lives in memory, for one instance only (set it to run several)")
	}
	if cfg.Server.PublicURL == "" {
		notes = append(notes, "server.public_url is not set: fine on one machine; in production set the https URL citizens reach civibot at")
	}
	if cfg.Knowledge.Dir == "" {
		notes = append(notes, "knowledge.dir is not set: the bundled sample city "+`"Musterstadt"`+" answers (write your pages with civibot ingest)")
	} else if _, err := knowledge.CurrentGeneration(cfg.Knowledge.Dir); err != nil {
		notes = append(notes, fmt.Sprintf("knowledge.dir: %v", err))
	}
	if n := metricsNote(cfg); n != "" {
		notes = append(notes, n)
	}
	if !cfg.Server.TrustProxy && cfg.Server.PublicURL != "" && !loopback(cfg.Server.Addr) {
		notes = append(notes, "server.trust_proxy is false: behind a reverse proxy set it, or every citizen counts as the proxy's address in the rate limits")
	}
	if d := cfg.Knowledge.DictionaryPath(); d != "" {
		if _, err := os.Stat(d); err != nil {
			notes = append(notes, fmt.Sprintf("knowledge.dictionary %s is missing: English questions will not find German pages (install Debian's trans-de-en package, or set it to \"off\")", d))
		}
	} else {
		notes = append(notes, "knowledge.dictionary is off: questions are not translated, so English questions find only English pages")
	}
	if cfg.City.PrivacyURL == "" {
		notes = append(notes, "city.privacy_url is not set: the chat widget links no privacy notice; set the URL of the city's privacy page")
		if cfg.Email.Enabled {
			notes = append(notes, "email.enabled without city.privacy_url: every e-mail answer carries a privacy notice; set the URL of the city's privacy page")
		}
	}
	if cfg.Twilio.WhatsApp.Enabled && cfg.Twilio.WhatsApp.TemplateSID == "" {
		notes = append(notes, "twilio.whatsapp.template_sid is not set: a caseworker reply more than 24 hours after the citizen's last WhatsApp message cannot be sent until the citizen writes again")
	}
	return notes
}

// loopback says whether addr listens on this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

const healthcheckSynopsis = `[--url URL] [--timeout 3s]

Asks a running civibot whether it is ready (GET /readyz on server.addr from
the config) and exits 0 when it is, 1 when not. For container health
checks: the image has no shell or curl.`

// runHealthcheck probes a running civibot.
func runHealthcheck(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "healthcheck", healthcheckSynopsis)
	state := addStateFlags(fs, c)
	url := fs.String("url", "", "the URL to probe (default: http://<server.addr>/readyz, unspecified hosts as 127.0.0.1)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *url == "" {
		cfg, err := state.load(c)
		if err != nil {
			return err
		}
		u, err := probeURL(cfg.Server.Addr)
		if err != nil {
			return err
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not reachable: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(c.stdout, "ready: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// probeURL is the /readyz URL of a civibot listening on addr.
func probeURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("server.addr %q is not host:port", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

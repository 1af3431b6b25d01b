// Package config is civibot's one configuration model, layered:
// defaults ← YAML file (--config, CIVIBOT_CONFIG) ← CIVIBOT_* environment ←
// flags. Every option has an environment variable named after its YAML path
// (server.addr → CIVIBOT_SERVER_ADDR); a string option may instead be read
// from a file named by the variable with _FILE appended
// (CIVIBOT_TELEGRAM_TOKEN_FILE), which is how secrets should arrive.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/channels/email"
	"github.com/civibot/civibot/channels/telegram"
	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/channels/webchat"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/metrics"
	"github.com/civibot/civibot/web"
	"github.com/civibot/civibot/web/console"
)

// Config is everything civibot can be told.
type Config struct {
	// City is how the city presents itself in the widget and the bot's texts.
	City web.Branding `yaml:"city"`
	// Server is the HTTP server.
	Server    web.Config               `yaml:"server"`
	Webchat   webchat.Config           `yaml:"webchat"`
	Telegram  telegram.Config          `yaml:"telegram"`
	Twilio    twilio.Config            `yaml:"twilio"`
	Email     email.Config             `yaml:"email"`
	Redis     conversation.RedisConfig `yaml:"redis"`
	Handoff   handoff.Config           `yaml:"handoff"`
	Console   console.Config           `yaml:"console"`
	Knowledge Knowledge                `yaml:"knowledge"`
	Dialog    dialog.Config            `yaml:"dialog"`
	LLM       dialog.LLMConfig         `yaml:"llm"`
	Security  Security                 `yaml:"security"`
	Log       Log                      `yaml:"log"`
	// Conversations: how long transcripts are kept.
	Conversations Conversations `yaml:"conversations"`
	// Analytics: the city's dashboard in the console.
	Analytics analytics.Config `yaml:"analytics"`
	// Metrics: Prometheus metrics at /metrics.
	Metrics metrics.Config `yaml:"metrics"`
}

// Conversations is how long conversations are kept.
type Conversations struct {
	// Retention: a conversation (transcript, callback details, queue
	// entries) is deleted this long after its last message (default 720h,
	// 30 days). `civibot conversations purge` uses it as --older-than.
	Retention time.Duration `yaml:"retention"`
	// BotRetention: a conversation that never reached a person (no
	// handoff, no ticket) is deleted this long after its last message
	// (default 48h, at most Retention), so that chats with the bot alone do
	// not pile up for Retention.
	BotRetention time.Duration `yaml:"bot_retention"`
}

// StoreOptions are the conversation store's options: the Redis ones, and
// both retentions.
func (c Config) StoreOptions() conversation.Options {
	o := c.Redis.StoreOptions(c.Conversations.Retention)
	o.BotRetention = c.Conversations.BotRetention
	return o
}

// Knowledge is where the city's pages come from.
type Knowledge struct {
	// Dir is a knowledge base written by `civibot ingest`. Empty: the bundled
	// sample city.
	Dir      string                   `yaml:"dir"`
	Embedder knowledge.EmbedderConfig `yaml:"embedder"`
	// Lexicon lists extra synonym files for this city.
	Lexicon []string `yaml:"lexicon"`
	// Dictionary is the German–English dictionary (Debian's trans-de-en,
	// TU Chemnitz) from which ingest builds the translation table that lets
	// an English question find German pages and the other way round
	// (default /usr/share/trans/de-en; "off" translates nothing).
	Dictionary string `yaml:"dictionary"`
	// Boilerplate lists whole-line patterns (case-insensitive regular
	// expressions) for text this city's CMS puts on every page; ingest drops
	// matching lines and sections besides its defaults ("none": no
	// defaults). --boilerplate adds to them.
	Boilerplate []string `yaml:"boilerplate"`
	// ReloadInterval: how often serve checks Dir for a new ingest and
	// switches to it without a restart (default 1m; 0s: only on SIGHUP).
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// SampleUntilIngest: while Dir holds no knowledge base yet, serve the
	// bundled sample city instead of failing, and switch to the city's
	// pages when the first ingest has written them (a fresh docker compose
	// setup starts before its first ingest run).
	SampleUntilIngest bool `yaml:"sample_until_ingest"`
}

// DictionaryPath is the dictionary file to read, "" when translation is off.
func (k Knowledge) DictionaryPath() string {
	switch strings.ToLower(strings.TrimSpace(k.Dictionary)) {
	case "", "off", "none", "false":
		return ""
	}
	return k.Dictionary
}

// Security holds keys. Give them through *_FILE variables in production.
type Security struct {
	// IDKey keys the ids derived from chat ids and phone numbers. Empty: a
	// key is generated and kept in DataDir.
	IDKey string `yaml:"id_key"`
	// DataDir keeps generated keys (default ./data).
	DataDir string `yaml:"data_dir"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // auto (text on a terminal, else JSON), json, text
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		City:      web.DefaultBranding(),
		Server:    web.DefaultConfig(),
		Webchat:   webchat.DefaultConfig(),
		Telegram:  telegram.DefaultConfig(),
		Twilio:    twilio.DefaultConfig(),
		Email:     email.DefaultConfig(),
		Handoff:   handoff.DefaultConfig(),
		Console:   console.DefaultConfig(),
		Knowledge: Knowledge{Embedder: knowledge.EmbedderConfig{Kind: "local"}, ReloadInterval: time.Minute, Dictionary: knowledge.DefaultDictionary},
		Dialog: dialog.Config{
			DefaultLanguage:  "de",
			AnswerThreshold:  dialog.DefaultAnswerThreshold,
			HandoffThreshold: dialog.DefaultHandoffThreshold,
			ClarifyMargin:    dialog.DefaultClarifyMargin,
			SearchLimit:      dialog.DefaultSearchLimit,
		},
		Security:      Security{DataDir: "data"},
		Log:           Log{Level: "info", Format: "auto"},
		Conversations: Conversations{Retention: conversation.DefaultRetention, BotRetention: conversation.DefaultBotRetention},
		Analytics:     analytics.DefaultConfig(),
		Metrics:       metrics.DefaultConfig(),
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if
// path is not empty), then CIVIBOT_* variables from getenv.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: read %s: %w", path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
			return cfg, fmt.Errorf("config: %s: %w", path, yamlError(err))
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "CIVIBOT", getenv); err != nil {
		return cfg, err
	}
	cfg.Dialog.CityName = cfg.City.Name
	return cfg, nil
}

// Validate checks the whole configuration; the message says how to fix it.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, c.City.Validate(), c.Server.Validate(), c.Webchat.Validate(), c.Handoff.Validate(), c.Console.Validate())
	errs = append(errs, c.Telegram.ValidateFor(c.Server.PublicURL), c.Twilio.Validate(), c.Email.Validate())
	if c.Twilio.Enabled && c.Twilio.PublicURL == "" && c.Server.PublicURL == "" {
		errs = append(errs, errors.New("server.public_url (or twilio.public_url) is required when twilio.enabled is true: the https URL Twilio reaches civibot at, against which webhook signatures are checked"))
	}
	if hb, pt := c.Console.HeartbeatInterval, c.Handoff.PresenceTimeout; hb > 0 && pt > 0 && hb*2 > pt {
		errs = append(errs, fmt.Errorf("console.heartbeat_interval (%v) must be at most half of handoff.presence_timeout (%v), or caseworkers flicker offline", hb, pt))
	}
	if c.Redis.URL != "" || len(c.Redis.Addrs) > 0 {
		errs = append(errs, c.Redis.Validate())
	}
	switch c.Knowledge.Embedder.Kind {
	case "", "local":
	case "ollama", "openai":
		if c.Knowledge.Embedder.URL == "" {
			errs = append(errs, fmt.Errorf("knowledge.embedder.url is required for kind %q", c.Knowledge.Embedder.Kind))
		}
	default:
		errs = append(errs, fmt.Errorf("knowledge.embedder.kind must be local, ollama or openai (got %q)", c.Knowledge.Embedder.Kind))
	}
	if err := c.Dialog.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.LLM.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Conversations.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("conversations.retention must be at least 1h (default 720h), got %v", c.Conversations.Retention))
	}
	if c.Conversations.BotRetention < time.Hour {
		errs = append(errs, fmt.Errorf("conversations.bot_retention must be at least 1h (default 48h; a longer one than conversations.retention counts as that), got %v", c.Conversations.BotRetention))
	}
	if c.Knowledge.ReloadInterval < 0 || c.Knowledge.ReloadInterval > 0 && c.Knowledge.ReloadInterval < time.Second {
		errs = append(errs, fmt.Errorf("knowledge.reload_interval must be 0s (reload on SIGHUP only) or at least 1s, got %v", c.Knowledge.ReloadInterval))
	}
	for _, p := range c.Knowledge.Boilerplate {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, fmt.Errorf("knowledge.boilerplate: %q is not a regular expression: %v", p, err))
		}
	}
	errs = append(errs, c.Analytics.Validate(), c.Metrics.Validate())
	if c.Metrics.Addr != "" && c.Metrics.Addr == c.Server.Addr {
		errs = append(errs, fmt.Errorf("metrics.addr %s is server.addr: give /metrics an address of its own, or leave metrics.addr empty", c.Metrics.Addr))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level must be debug, info, warn or error (got %q)", c.Log.Level))
	}
	switch c.Log.Format {
	case "auto", "json", "text":
	default:
		errs = append(errs, fmt.Errorf("log.format must be auto, json or text (got %q)", c.Log.Format))
	}
	return errors.Join(errs...)
}

// applyEnv overlays CIVIBOT_* variables on v, walking the YAML paths.
func applyEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			if err := applyEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		}
		val, ok, err := envValue(name, getenv)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := setValue(fv, val); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
	}
	return nil
}

// envValue reads NAME, or the file named by NAME_FILE.
func envValue(name string, getenv func(string) string) (string, bool, error) {
	if file := getenv(name + "_FILE"); file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("config: %s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(raw), "\r\n"), true, nil
	}
	if val := getenv(name); val != "" {
		return val, true, nil
	}
	return "", false, nil
}

// setValue parses s into a field of one of the kinds the config uses.
func setValue(fv reflect.Value, s string) error {
	if fv.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration like 30s or 5m: %w", err)
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false: %w", err)
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number: %w", err)
		}
		fv.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number: %w", err)
		}
		fv.SetFloat(f)
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported list type %s", fv.Type())
		}
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		fv.Set(reflect.ValueOf(items))
	case reflect.Map:
		if fv.Type().Key().Kind() != reflect.String || fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported map type %s", fv.Type())
		}
		m := map[string]string{}
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("want key=value pairs separated by commas, got %q", kv)
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		fv.Set(reflect.ValueOf(m))
	default:
		return fmt.Errorf("unsupported type %s", fv.Type())
	}
	return nil
}

// Set applies one "path=value" override (a flag), e.g. "redis.url=redis://…".
func (c *Config) Set(assignment string) error {
	path, val, ok := strings.Cut(assignment, "=")
	if !ok {
		return fmt.Errorf("config: --set wants path=value, got %q", assignment)
	}
	fv, err := field(reflect.ValueOf(c).Elem(), strings.Split(path, "."))
	if err != nil {
		return fmt.Errorf("config: --set %s: %w", path, err)
	}
	if err := setValue(fv, val); err != nil {
		return fmt.Errorf("config: --set %s: %w", path, err)
	}
	return nil
}

func field(v reflect.Value, path []string) (reflect.Value, error) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != path[0] {
			continue
		}
		if len(path) == 1 {
			return v.Field(i), nil
		}
		if v.Field(i).Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("%s is not a section", path[0])
		}
		return field(v.Field(i), path[1:])
	}
	return reflect.Value{}, fmt.Errorf("unknown option %q", path[0])
}

// secretNames are option names whose values are masked when printed.
var secretNames = []string{"token", "secret", "password", "api_key", "auth_token", "id_key", "session_key", "key"}

// Masked returns the configuration as YAML with secrets replaced by "***"
// (and passwords in URLs by "xxxxx").
func (c Config) Masked() (string, error) {
	var node yaml.Node
	if err := node.Encode(c); err != nil {
		return "", fmt.Errorf("config: encode: %w", err)
	}
	mask(&node)
	out, err := yaml.Marshal(&node)
	if err != nil {
		return "", fmt.Errorf("config: encode: %w", err)
	}
	return string(out), nil
}

func mask(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Value != "" && isSecret(k.Value) {
				v.Value = "***"
				v.Tag = "!!str"
				v.Style = 0
			}
			if v.Kind == yaml.ScalarNode && (k.Value == "url" || strings.HasSuffix(k.Value, "_url")) {
				// A password in a URL (redis://:secret@host) is a secret too.
				if u, err := url.Parse(v.Value); err == nil && u.User != nil {
					if _, ok := u.User.Password(); ok {
						v.Value = u.Redacted()
					}
				}
			}
			mask(v)
		}
		return
	}
	for _, c := range n.Content {
		mask(c)
	}
}

func isSecret(name string) bool {
	for _, s := range secretNames {
		if name == s || strings.HasSuffix(name, "_"+s) {
			return true
		}
	}
	return false
}

// removedOptions are options an older civibot had, with what to use
// instead: a file written for it gets that advice rather than "not an
// option".
var removedOptions = map[string]string{
	"dialog.city_name": "the city's name is city.name",
}

// yamlError speaks of a YAML decoding error in the file's own words: the
// decoder names the Go types behind the sections ("field adr not found in
// type web.Config"), which mean nothing to the person editing the file;
// they become the section's path ("field adr is not an option of
// server").
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	sections := map[string]string{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		if _, seen := sections[t.String()]; !seen {
			sections[t.String()] = path
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			walk(f.Type, p)
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	lines := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if head, rest, ok := strings.Cut(e, "field "); ok {
			if field, typ, ok := strings.Cut(rest, " not found in type "); ok {
				where := sections[typ]
				if where == "" {
					where = "the file's top level"
				}
				e = head + "field " + field + " is not an option of " + where + " (see civibot config example)"
				if instead, ok := removedOptions[where+"."+field]; ok {
					e = head + where + "." + field + " is no longer an option: " + instead
				}
			}
		}
		if head, typ, ok := strings.Cut(e, " into "); ok {
			if where, known := sections[typ]; known {
				if where == "" {
					e = head + ": the file's top level must be a mapping of sections"
				} else {
					e = head + ": " + where + " is a section (a mapping of options)"
				}
			} else {
				e = head + " into a " + typ + " value"
			}
		}
		lines = append(lines, e)
	}
	return fmt.Errorf("yaml: %s", strings.Join(lines, "; "))
}

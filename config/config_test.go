package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadLayers(t *testing.T) {
	yamlFile := writeFile(t, "c.yaml", `
city:
  name: Beispielstadt
server:
  addr: ":9000"
  read_timeout: 5s
  allowed_origins: [https://www.beispielstadt.example]
dialog:
  answer_threshold: 0.6
`)
	secret := writeFile(t, "key", "s3cret-from-file\n")
	metricsToken := writeFile(t, "metrics-token", "0123456789abcdef0123456789abcdef\n")
	tests := []struct {
		name  string
		path  string
		env   map[string]string
		sets  []string
		check func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.City.Name != "Musterstadt" || c.Server.Addr != "127.0.0.1:8080" || c.Knowledge.Embedder.Kind != "local" {
				t.Errorf("defaults = %+v", c)
			}
			if c.Dialog.CityName != "Musterstadt" {
				t.Errorf("dialog city name not derived from city.name: %q", c.Dialog.CityName)
			}
		}},
		{name: "yaml over defaults", path: yamlFile, check: func(t *testing.T, c Config) {
			if c.City.Name != "Beispielstadt" || c.Server.Addr != ":9000" || c.Server.ReadTimeout != 5*time.Second {
				t.Errorf("yaml not applied: %+v", c.Server)
			}
			if c.Server.WriteTimeout != 30*time.Second {
				t.Errorf("default lost under yaml: write_timeout = %v", c.Server.WriteTimeout)
			}
			if c.Dialog.AnswerThreshold != 0.6 || len(c.Server.AllowedOrigins) != 1 {
				t.Errorf("yaml not applied: %+v", c.Dialog)
			}
		}},
		{name: "env over yaml", path: yamlFile, env: map[string]string{
			"CIVIBOT_SERVER_ADDR":               ":7000",
			"CIVIBOT_SERVER_ALLOWED_ORIGINS":    "https://a.example, https://b.example",
			"CIVIBOT_DIALOG_WHERE":              "city=muenchen",
			"CIVIBOT_SERVER_SHUTDOWN_TIMEOUT":   "3s",
			"CIVIBOT_SECURITY_ID_KEY_FILE":      secret,
			"CIVIBOT_KNOWLEDGE_EMBEDDER_MODEL":  "nomic-embed-text",
			"CIVIBOT_CONVERSATIONS_RETENTION":   "168h",
			"CIVIBOT_ANALYTICS_ENABLED":         "false",
			"CIVIBOT_ANALYTICS_TIME_ZONE":       "Europe/Vienna",
			"CIVIBOT_METRICS_TOKEN_FILE":        metricsToken,
			"CIVIBOT_KNOWLEDGE_RELOAD_INTERVAL": "0s",
		}, check: func(t *testing.T, c Config) {
			if c.Conversations.Retention != 168*time.Hour || c.Analytics.Enabled || c.Analytics.TimeZone != "Europe/Vienna" ||
				c.Metrics.Token != "0123456789abcdef0123456789abcdef" || c.Knowledge.ReloadInterval != 0 {
				t.Errorf("operations options from env: %+v %+v %+v %v", c.Conversations, c.Analytics, c.Metrics, c.Knowledge.ReloadInterval)
			}
			if c.Analytics.QuestionRetention != 720*time.Hour || !c.Metrics.Enabled {
				t.Errorf("defaults lost: %+v %+v", c.Analytics, c.Metrics)
			}
			if c.Server.Addr != ":7000" || c.City.Name != "Beispielstadt" {
				t.Errorf("env layering wrong: addr %q city %q", c.Server.Addr, c.City.Name)
			}
			if strings.Join(c.Server.AllowedOrigins, "|") != "https://a.example|https://b.example" {
				t.Errorf("list from env = %q", c.Server.AllowedOrigins)
			}
			if c.Dialog.Where["city"] != "muenchen" || c.Server.ShutdownTimeout != 3*time.Second {
				t.Errorf("map/duration from env wrong: %v %v", c.Dialog.Where, c.Server.ShutdownTimeout)
			}
			if c.Security.IDKey != "s3cret-from-file" {
				t.Errorf("_FILE secret = %q", c.Security.IDKey)
			}
			if c.Knowledge.Embedder.Model != "nomic-embed-text" {
				t.Errorf("nested env = %q", c.Knowledge.Embedder.Model)
			}
		}},
		{name: "flags over env", env: map[string]string{"CIVIBOT_SERVER_ADDR": ":7000"}, sets: []string{"server.addr=:6000", "log.level=debug"},
			check: func(t *testing.T, c Config) {
				if c.Server.Addr != ":6000" || c.Log.Level != "debug" {
					t.Errorf("flags not applied: %q %q", c.Server.Addr, c.Log.Level)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path, envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.sets {
				if err := c.Set(s); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		wantErr string
	}{
		{name: "unknown yaml option", yaml: "server:\n  adress: x\n", wantErr: "line 2: field adress is not an option of server (see civibot config example)"},
		{name: "unknown nested option", yaml: "handoff:\n  accounts:\n    slow: 1\n", wantErr: "field slow is not an option of handoff.accounts"},
		{name: "unknown section", yaml: "sever: {}\n", wantErr: "field sever is not an option of the file's top level"},
		{name: "the old dialog.city_name", yaml: "dialog:\n  city_name: Bochum\n", wantErr: "line 2: dialog.city_name is no longer an option: the city's name is city.name"},
		{name: "value for a section", yaml: "server: 5\n", wantErr: "server is a section (a mapping of options)"},
		{name: "list for a string", yaml: "server:\n  addr: [1]\n", wantErr: "cannot unmarshal !!seq into a string value"},
		{name: "bad duration in env", env: map[string]string{"CIVIBOT_SERVER_READ_TIMEOUT": "soon"}, wantErr: "CIVIBOT_SERVER_READ_TIMEOUT: want a duration"},
		{name: "missing secret file", env: map[string]string{"CIVIBOT_SECURITY_ID_KEY_FILE": "/nonexistent/key"}, wantErr: "CIVIBOT_SECURITY_ID_KEY_FILE"},
		{name: "bad number", env: map[string]string{"CIVIBOT_DIALOG_ANSWER_THRESHOLD": "high"}, wantErr: "want a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "c.yaml", tt.yaml)
			}
			_, err := Load(path, envMap(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	c, err := Load(writeFile(t, "empty.yaml", ""), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != Default().Server.Addr {
		t.Errorf("addr = %q", c.Server.Addr)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{"ok", func(c *Config) {}, ""},
		{"no city", func(c *Config) { c.City.Name = "" }, "city.name is required"},
		{"bad public url", func(c *Config) { c.Server.PublicURL = "chat.city.example" }, "server.public_url must start with https://"},
		{"embedder without url", func(c *Config) { c.Knowledge.Embedder.Kind = "ollama" }, "knowledge.embedder.url is required"},
		{"unknown embedder", func(c *Config) { c.Knowledge.Embedder.Kind = "magic" }, "must be local, ollama or openai"},
		{"thresholds swapped", func(c *Config) { c.Dialog.AnswerThreshold = 0.2; c.Dialog.HandoffThreshold = 0.4 }, "must not be above"},
		{"llm without model", func(c *Config) { c.LLM.URL = "https://api.example/v1" }, "dialog.llm.model is required"},
		{"bad log level", func(c *Config) { c.Log.Level = "loud" }, "log.level must be"},
		{"short retention", func(c *Config) { c.Conversations.Retention = time.Minute }, "conversations.retention must be at least 1h"},
		{"tiny reload interval", func(c *Config) { c.Knowledge.ReloadInterval = time.Millisecond }, "knowledge.reload_interval must be 0s"},
		{"no reload polling", func(c *Config) { c.Knowledge.ReloadInterval = 0 }, ""},
		{"analytics zone", func(c *Config) { c.Analytics.TimeZone = "Europe/Atlantis" }, `analytics.time_zone "Europe/Atlantis" is not an IANA time zone`},
		{"questions kept longer than counts", func(c *Config) { c.Analytics.QuestionRetention = 9999 * time.Hour }, "analytics.question_retention (9999h0m0s) must not exceed"},
		{"low confidence above 1", func(c *Config) { c.Analytics.LowConfidence = 1.5 }, "analytics.low_confidence must be between 0 and 1"},
		{"short metrics token", func(c *Config) { c.Metrics.Token = "secret" }, "metrics.token must have at least 16 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Dialog.CityName = c.City.Name
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMaskedHidesSecrets(t *testing.T) {
	c := Default()
	c.Security.IDKey = "very-secret-key"
	c.LLM.APIKey = "sk-live-123"
	c.Knowledge.Embedder.APIKey = "emb-key"
	c.Metrics.Token = "metrics-token-0123456789"
	c.Redis.URL = "redis://:redis-url-password@redis.example:6379/0"
	out, err := c.Masked()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "url: redis://:xxxxx@redis.example:6379/0") {
		t.Errorf("redis.url not shown with its password masked:\n%s", out)
	}
	for _, secret := range []string{"very-secret-key", "sk-live-123", "emb-key", "metrics-token-0123456789", "redis-url-password"} {
		if strings.Contains(out, secret) {
			t.Errorf("masked output contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "id_key: '***'") && !strings.Contains(out, `id_key: "***"`) {
		t.Errorf("id_key not shown masked:\n%s", out)
	}
	if !strings.Contains(out, "addr: 127.0.0.1:8080") {
		t.Errorf("non-secret value missing:\n%s", out)
	}
}

func TestSetUnknownOption(t *testing.T) {
	c := Default()
	if err := c.Set("server.nope=1"); err == nil || !strings.Contains(err.Error(), `unknown option "nope"`) {
		t.Fatalf("err = %v", err)
	}
	if err := c.Set("server"); err == nil {
		t.Fatal("want an error for a missing =")
	}
}

func TestTwilioSection(t *testing.T) {
	token := writeFile(t, "token", "f00dfeedf00dfeedf00dfeedf00dfeed\n")
	c, err := Load("", envMap(map[string]string{
		"CIVIBOT_TWILIO_ENABLED":         "true",
		"CIVIBOT_TWILIO_ACCOUNT_SID":     "AC0123456789abcdef0123456789abcdef",
		"CIVIBOT_TWILIO_AUTH_TOKEN_FILE": token,
		"CIVIBOT_TWILIO_FROM":            "+4930555000",
		"CIVIBOT_TWILIO_VOICES_DE":       "Polly.Daniel-Neural",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Twilio.AuthToken != "f00dfeedf00dfeedf00dfeedf00dfeed" || c.Twilio.Voices.DE != "Polly.Daniel-Neural" || c.Twilio.MaxSMSSegments != 3 {
		t.Fatalf("twilio = %+v", c.Twilio)
	}
	c.Dialog.CityName = c.City.Name
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "server.public_url (or twilio.public_url) is required when twilio.enabled is true") {
		t.Fatalf("err = %v", err)
	}
	c.Server.PublicURL = "https://chat.musterstadt.example"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Twilio.AuthToken = ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "twilio.auth_token is required when twilio.account_sid is set") {
		t.Fatalf("err = %v", err)
	}
	c.Twilio.AuthToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
	out, err := c.Masked()
	if err != nil || strings.Contains(out, c.Twilio.AuthToken) {
		t.Fatalf("auth token not masked (%v):\n%s", err, out)
	}
}

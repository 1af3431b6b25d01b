package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/configs"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "civibot.yaml")
	if err := os.WriteFile(file, []byte(`
city:
  name: Beispielstadt
server:
  addr: ":8080"
  public_url: https://chat.beispielstadt.example
redis:
  url: redis://:redis-password-123@redis:6379/0
telegram:
  enabled: true
  mode: webhook
`), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := func(name, value string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"CIVIBOT_CONFIG":                       file,
		"CIVIBOT_TELEGRAM_TOKEN_FILE":          secret("tg", "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
		"CIVIBOT_TELEGRAM_WEBHOOK_SECRET_FILE": secret("tgs", "webhook-secret-0123456789"),
		"CIVIBOT_METRICS_TOKEN_FILE":           secret("mt", "metrics-token-0123456789abcdef"),
		"CIVIBOT_SECURITY_ID_KEY":              "id-key-from-the-environment",
		"CIVIBOT_CONVERSATIONS_RETENTION":      "168h",
	}
	code, out, errOut := runCmd(t, env, "", "config", "check", "--set", "analytics.low_confidence=0.7")
	if code != 0 {
		t.Fatalf("config check: exit %d, %q", code, errOut)
	}
	for _, want := range []string{
		"# " + file + ": valid.",
		"name: Beispielstadt",
		"addr: :8080",
		"retention: 168h0m0s",
		"low_confidence: 0.7",
		"# note: server.trust_proxy is false",
		"# note: knowledge.dir is not set",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "webhook-secret-0123456789", "metrics-token-0123456789abcdef",
		"id-key-from-the-environment", "redis-password-123"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q printed:\n%s", secret, out)
		}
	}
	if strings.Count(out, "'***'") < 4 {
		t.Errorf("masked secrets not shown as '***':\n%s", out)
	}
	if strings.Contains(out, "note: redis.url") || strings.Contains(out, "note: metrics.token") {
		t.Errorf("notes about what is set:\n%s", out)
	}

	// Problems: exit 1, every problem listed with its fix, nothing on stdout.
	code, out, errOut = runCmd(t, map[string]string{"CIVIBOT_CONFIG": file}, "", "config", "check",
		"--set", "telegram.enabled=false", "--set", "log.level=loud", "--set", "analytics.time_zone=Mars/Olympus", "--set", "conversations.retention=5m")
	if code != 1 || out != "" {
		t.Fatalf("invalid config: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{file + ": 3 problem(s):", "  - log.level must be debug, info, warn or error", "analytics.time_zone \"Mars/Olympus\"",
		"conversations.retention must be at least 1h", "civibot config: the configuration is not valid"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"config"}, 2, "say check or example"},
		{[]string{"config", "lint"}, 2, "say check or example"},
		{[]string{"config", "check", "--set", "nope=1"}, 1, `1 problem(s):
  - config: --set nope: unknown option "nope"`},
		{[]string{"config", "check", "--set", "server.addr=bogus"}, 1, `server.addr "bogus": not host:port`},
		{[]string{"config", "check", "--set", "server.addr=:99999"}, 1, `port "99999" is not a number from 0 to 65535`},
		{[]string{"config", "check", "--config", filepath.Join(dir, "missing.yaml")}, 1, "missing.yaml"},
		// The package's name is said once, not "civibot config: config: ...".
		{[]string{"config", "check", "--config", filepath.Join(dir, "missing.yaml")}, 1, "civibot config: read " + filepath.Join(dir, "missing.yaml")},
	} {
		if code, _, errOut := runCmd(t, nil, "", tt.args...); code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, %q; want %d with %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}

	// Defaults: valid, with the notes a newcomer needs.
	code, out, _ = runCmd(t, nil, "", "config", "check")
	if code != 0 || !strings.Contains(out, "# defaults and CIVIBOT_* environment: valid.") || !strings.Contains(out, "note: redis.url is not set") ||
		!strings.Contains(out, "note: city.privacy_url is not set") {
		t.Errorf("defaults: %d %q", code, out)
	}
	// The example prints the example file, which is valid.
	code, out, _ = runCmd(t, nil, "", "config", "example")
	if code != 0 || out != configs.Example() {
		t.Errorf("config example: %d", code)
	}
	ex := filepath.Join(dir, "example.yaml")
	if err := os.WriteFile(ex, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, nil, "", "config", "check", "--config", ex); code != 0 {
		t.Errorf("the example does not check: %q", errOut)
	}
}

func TestHealthcheck(t *testing.T) {
	url, stop := startServe(t, map[string]string{"CIVIBOT_LOG_LEVEL": "error"}, "--addr", "127.0.0.1:0", "--set", "security.data_dir="+t.TempDir())
	addr := strings.TrimPrefix(url, "http://")
	code, out, errOut := runCmd(t, map[string]string{"CIVIBOT_SERVER_ADDR": addr}, "", "healthcheck")
	if code != 0 || !strings.Contains(out, `ready: {"status":"ok"`) {
		t.Errorf("healthcheck: %d %q %q", code, out, errOut)
	}
	if code, _, _ := runCmd(t, nil, "", "healthcheck", "--url", url+"/healthz"); code != 0 {
		t.Errorf("healthcheck --url: %d", code)
	}
	stop()
	code, _, errOut = runCmd(t, map[string]string{"CIVIBOT_SERVER_ADDR": addr}, "", "healthcheck", "--timeout", "1s")
	if code != 1 || !strings.Contains(errOut, "not reachable") {
		t.Errorf("healthcheck of a stopped civibot: %d %q", code, errOut)
	}
	for addr, want := range map[string]string{":8080": "http://127.0.0.1:8080/readyz", "0.0.0.0:80": "http://127.0.0.1:80/readyz",
		"[::]:8080": "http://127.0.0.1:8080/readyz", "10.0.0.5:8080": "http://10.0.0.5:8080/readyz"} {
		if got, err := probeURL(addr); err != nil || got != want {
			t.Errorf("probeURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// TestConversationsPurgeRetention: purge deletes what is older than
// conversations.retention unless --older-than says otherwise.
func TestConversationsPurgeRetention(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client := srv.Client(t)
	threeDaysAgo := conversation.NewRedis(client, conversation.Options{Now: func() time.Time { return time.Now().Add(-72 * time.Hour) }})
	if _, err := threeDaysAgo.Create(ctx, conversation.Conversation{ID: "mid", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, nil, "", "conversations", "purge", "--redis-url", srv.URL()); code != 0 || !strings.Contains(out, "deleted 0 conversations last written more than 720h0m0s ago") {
		t.Fatalf("default retention: %d %q %q", code, out, errOut)
	}
	env := map[string]string{"CIVIBOT_CONVERSATIONS_RETENTION": "48h"}
	if code, out, errOut := runCmd(t, env, "", "conversations", "purge", "--redis-url", srv.URL()); code != 0 || !strings.Contains(out, "deleted 1 conversations last written more than 48h0m0s ago") {
		t.Fatalf("retention 48h: %d %q %q", code, out, errOut)
	}
	if _, err := conversation.NewRedis(client, conversation.Options{}).Get(ctx, "mid"); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("mid after purge: %v", err)
	}
}

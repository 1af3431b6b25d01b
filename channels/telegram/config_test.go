package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/telegramtest"
)

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.Enabled = true
		c.Token = telegramtest.Token
		return c
	}
	webhook := func() Config {
		c := valid()
		c.Mode = ModeWebhook
		c.WebhookSecret = "abc_DEF-123"
		return c
	}
	tests := []struct {
		name      string
		cfg       Config
		publicURL string
		want      string // in the error; "" = valid
	}{
		{"disabled needs nothing", Config{}, "", ""},
		{"polling", valid(), "", ""},
		{"zero values take defaults", Config{Enabled: true, Token: telegramtest.Token}, "", ""},
		{"no token", func() Config { c := valid(); c.Token = ""; return c }(), "", "telegram.token is required"},
		{"token with a space", func() Config { c := valid(); c.Token = telegramtest.Token + " "; return c }(), "", "does not look like a bot token"},
		{"unknown mode", func() Config { c := valid(); c.Mode = "push"; return c }(), "", `telegram.mode must be "webhook" or "polling"`},
		{"webhook from public URL", webhook(), "https://chat.city.example", ""},
		{"webhook URL set", func() Config { c := webhook(); c.WebhookURL = "https://bot.city.example:8443/tg"; return c }(), "", ""},
		{"webhook without URL", webhook(), "", "telegram.webhook_url is required in webhook mode"},
		{"webhook without secret", func() Config { c := webhook(); c.WebhookSecret = ""; return c }(), "https://chat.city.example", "telegram.webhook_secret is required"},
		{"secret with a bad character", func() Config { c := webhook(); c.WebhookSecret = "abc def"; return c }(), "https://chat.city.example", "1–256 characters"},
		{"secret too long", func() Config { c := webhook(); c.WebhookSecret = strings.Repeat("a", 257); return c }(), "https://chat.city.example", "1–256 characters"},
		{"longest secret", func() Config { c := webhook(); c.WebhookSecret = strings.Repeat("a", 256); return c }(), "https://chat.city.example", ""},
		{"http webhook", func() Config { c := webhook(); c.WebhookURL = "http://bot.city.example/tg"; return c }(), "", "https://"},
		{"http public URL", webhook(), "http://chat.city.example", "https://"},
		{"webhook on another port", func() Config { c := webhook(); c.WebhookURL = "https://bot.city.example:8080/tg"; return c }(), "", "port 443, 80, 88 or 8443"},
		{"bad path", func() Config { c := valid(); c.WebhookPath = "telegram"; return c }(), "", "telegram.webhook_path"},
		{"bad endpoint", func() Config { c := valid(); c.APIEndpoint = "api.telegram.org"; return c }(), "", "telegram.api_endpoint"},
		{"endpoint with a format verb", func() Config { c := valid(); c.APIEndpoint = "https://api.telegram.org/bot%s/%s"; return c }(), "", "telegram.api_endpoint"},
		{"unknown update type", func() Config { c := valid(); c.AllowedUpdates = []string{"message", "messages"}; return c }(), "", `"messages" is not a Telegram update type`},
		{"without message", func() Config { c := valid(); c.AllowedUpdates = []string{"callback_query"}; return c }(), "", `must include "message"`},
		{"poll timeout too long", func() Config { c := valid(); c.PollTimeout = time.Minute; return c }(), "", "telegram.poll_timeout"},
		{"tiny body limit", func() Config { c := valid(); c.MaxUpdateBytes = 100; return c }(), "", "telegram.max_update_bytes"},
		{"short lock", func() Config { c := valid(); c.LockTTL = time.Second; return c }(), "", "telegram.lock_ttl"},
		{"pacing beyond Telegram", func() Config { c := valid(); c.MessagesPerSecond = 5000; return c }(), "", "telegram.messages_per_second must be at most 1000"},
		{"chat pacing beyond Telegram", func() Config { c := valid(); c.ChatMessagesPerMinute = 6000; return c }(), "", "telegram.chat_messages_per_minute must be at most 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.ValidateFor(tt.publicURL)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestResolveWebhookURL(t *testing.T) {
	c := Config{Enabled: true, Mode: ModeWebhook}
	if u, err := c.ResolveWebhookURL("https://chat.city.example/"); err != nil || u != "https://chat.city.example/telegram/webhook" {
		t.Errorf("from public URL: %q %v", u, err)
	}
	c.WebhookPath = "/hooks/tg"
	if u, _ := c.ResolveWebhookURL("https://chat.city.example"); u != "https://chat.city.example/hooks/tg" {
		t.Errorf("with a path: %q", u)
	}
	c.WebhookURL = "https://proxy.city.example/civibot/tg"
	if u, _ := c.ResolveWebhookURL("https://chat.city.example"); u != c.WebhookURL {
		t.Errorf("explicit: %q", u)
	}
}

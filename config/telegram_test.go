package config

import (
	"strings"
	"testing"
	"time"
)

func TestTelegramSection(t *testing.T) {
	const token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	tokenFile := writeFile(t, "token", token+"\n")
	secretFile := writeFile(t, "secret", "0123456789abcdef_-\n")
	c, err := Load("", envMap(map[string]string{
		"CIVIBOT_TELEGRAM_ENABLED":             "true",
		"CIVIBOT_TELEGRAM_TOKEN_FILE":          tokenFile,
		"CIVIBOT_TELEGRAM_MODE":                "webhook",
		"CIVIBOT_TELEGRAM_WEBHOOK_SECRET_FILE": secretFile,
		"CIVIBOT_TELEGRAM_ALLOWED_UPDATES":     "message, callback_query",
		"CIVIBOT_TELEGRAM_POLL_TIMEOUT":        "20s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tg := c.Telegram
	if tg.Token != token || tg.WebhookSecret != "0123456789abcdef_-" || tg.Mode != "webhook" ||
		strings.Join(tg.AllowedUpdates, ",") != "message,callback_query" || tg.PollTimeout != 20*time.Second {
		t.Fatalf("telegram = %+v", tg)
	}
	if tg.APIEndpoint != "https://api.telegram.org" || tg.WebhookPath != "/telegram/webhook" {
		t.Errorf("defaults lost: %+v", tg)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "telegram.webhook_url is required in webhook mode") {
		t.Fatalf("err = %v", err)
	}
	c.Server.PublicURL = "https://chat.musterstadt.example"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := c.Masked()
	if err != nil || strings.Contains(out, token) || strings.Contains(out, "0123456789abcdef_-") {
		t.Fatalf("token or secret not masked (%v):\n%s", err, out)
	}
	if err := c.Set("telegram.mode=carrier-pigeon"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "telegram.mode") {
		t.Fatalf("err = %v", err)
	}
}

package twilio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels/twilio"
)

func TestConfigValidate(t *testing.T) {
	valid := func() twilio.Config {
		c := twilio.DefaultConfig()
		c.Enabled = true
		c.AccountSID, c.AuthToken, c.From = accountSID, authToken, civibotNum
		return c
	}
	tests := []struct {
		name   string
		change func(*twilio.Config)
		want   string // "" = valid
	}{
		{"valid", func(*twilio.Config) {}, ""},
		{"disabled and empty", func(c *twilio.Config) { *c = twilio.Config{} }, ""},
		{"messaging service instead of from", func(c *twilio.Config) { c.From, c.MessagingServiceSID = "", "MG"+strings.Repeat("a", 32) }, ""},
		{"enabled without account", func(c *twilio.Config) { c.AccountSID = "" }, "twilio.account_sid is required when twilio.enabled is true"},
		{"account without token", func(c *twilio.Config) { c.AuthToken = "" }, "twilio.auth_token is required when twilio.account_sid is set (give it through CIVIBOT_TWILIO_AUTH_TOKEN_FILE)"},
		{"token with a newline", func(c *twilio.Config) { c.AuthToken = authToken + "\n" }, "twilio.auth_token must be letters and digits only"},
		{"not an account sid", func(c *twilio.Config) { c.AccountSID = "SK" + strings.Repeat("a", 32) }, "twilio.account_sid must be an account SID"},
		{"nothing to send from", func(c *twilio.Config) { c.From = "" }, "twilio.from (the civibot number"},
		{"from not E.164", func(c *twilio.Config) { c.From = "030 555000" }, "twilio.from must be a phone number in E.164 form"},
		{"bad messaging service", func(c *twilio.Config) { c.MessagingServiceSID = "MG123" }, "twilio.messaging_service_sid must be like MG"},
		{"line not E.164", func(c *twilio.Config) { c.CaseworkerLine = "0049 30 901820" }, "twilio.caseworker_line must be a phone number in E.164 form"},
		{"caller id not E.164", func(c *twilio.Config) { c.DialCallerID = "civibot" }, "twilio.dial_caller_id must be a phone number"},
		{"dial timeout too short", func(c *twilio.Config) { c.DialTimeout = time.Second }, "twilio.dial_timeout must be between 5s and 10m"},
		{"confidence above 1", func(c *twilio.Config) { c.SpeechConfidence = 1.5 }, "twilio.speech_confidence must be between 0 and 1"},
		{"too many segments", func(c *twilio.Config) { c.MaxSMSSegments = 20 }, "twilio.max_sms_segments must be between 1 and 10"},
		{"daily limit below -1", func(c *twilio.Config) { c.SMSAnswersPerDay = -5 }, "twilio.sms_answers_per_day must be between 1 and 10000, or -1"},
		{"daily limit too high", func(c *twilio.Config) { c.SMSAnswersPerDay = 20000 }, "twilio.sms_answers_per_day must be between 1 and 10000, or -1"},
		{"public url without scheme", func(c *twilio.Config) { c.PublicURL = "chat.city.example" }, "twilio.public_url must be the https URL"},
		{"api base not a URL", func(c *twilio.Config) { c.APIBase = "localhost:9999" }, "twilio.api_base must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewNeedsPublicURL(t *testing.T) {
	c := twilio.DefaultConfig()
	c.Enabled = true
	c.AccountSID, c.AuthToken, c.From = accountSID, authToken, civibotNum
	h := newHarness(t, harnessOpts{})
	_, err := twilio.New(c, twilio.Options{Service: h.svc, Idempotency: h.store, Hours: alwaysOpen{}, Key: []byte(idKey)})
	if err == nil || !strings.Contains(err.Error(), "set server.public_url (or twilio.public_url)") {
		t.Fatalf("err = %v", err)
	}
	_, err = twilio.New(c, twilio.Options{Service: h.svc, Idempotency: h.store, Hours: alwaysOpen{}, Key: []byte("short"), PublicURL: "https://x.example"})
	if err == nil || !strings.Contains(err.Error(), "installation key") {
		t.Fatalf("err = %v", err)
	}
}

type alwaysOpen struct{}

func (alwaysOpen) Open(time.Time) bool { return true }

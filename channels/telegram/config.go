package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Delivery modes.
const (
	// ModeWebhook: Telegram posts each update to civibot's public HTTPS URL.
	ModeWebhook = "webhook"
	// ModePolling: civibot asks Telegram for updates (long polling); no
	// public URL needed. With several instances one polls at a time.
	ModePolling = "polling"
)

// Defaults for Config.
const (
	DefaultMode           = ModePolling
	DefaultAPIEndpoint    = "https://api.telegram.org"
	DefaultWebhookPath    = "/telegram/webhook"
	DefaultPollTimeout    = 30 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultHandleTimeout  = 25 * time.Second
	DefaultMaxRetryWait   = 20 * time.Second
	DefaultMaxUpdateBytes = 256 << 10
	DefaultLockTTL        = 15 * time.Second
	// Pacing: Telegram's documented limits for a bot (about 30 messages a
	// second in all, about one a second to the same chat).
	DefaultMessagesPerSecond     = 30
	DefaultChatMessagesPerMinute = 60
	DefaultChatBurst             = 3
)

// DefaultAllowedUpdates are the update types the channel handles.
func DefaultAllowedUpdates() []string {
	return []string{"message", "edited_message", "callback_query", "my_chat_member"}
}

// knownUpdates are the update types of the Bot API (allowed_updates).
var knownUpdates = map[string]bool{
	"message": true, "edited_message": true, "channel_post": true, "edited_channel_post": true,
	"inline_query": true, "chosen_inline_result": true, "callback_query": true, "shipping_query": true,
	"pre_checkout_query": true, "poll": true, "poll_answer": true, "my_chat_member": true,
	"chat_member": true, "chat_join_request": true,
}

// Config is the Telegram channel (the "telegram" section of civibot's
// config). Zero values take the defaults.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Token is the bot token from @BotFather. Give it as
	// CIVIBOT_TELEGRAM_TOKEN_FILE in production.
	Token string `yaml:"token"`
	// Mode is webhook or polling (default polling).
	Mode string `yaml:"mode"`
	// WebhookURL is the public HTTPS URL Telegram posts updates to
	// (default: server.public_url + WebhookPath). Telegram accepts ports
	// 443, 80, 88 and 8443 only.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookPath is the route civibot serves the webhook on (default
	// /telegram/webhook). A proxy in front may map WebhookURL to it.
	WebhookPath string `yaml:"webhook_path"`
	// WebhookSecret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token
	// with every update; required in webhook mode (1–256 characters of
	// A-Z, a-z, 0-9, _ and -). Generate one: openssl rand -hex 32.
	WebhookSecret string `yaml:"webhook_secret"`
	// AllowedUpdates are the update types Telegram sends (default message,
	// edited_message, callback_query, my_chat_member).
	AllowedUpdates []string `yaml:"allowed_updates"`
	// APIEndpoint is the Bot API server (default https://api.telegram.org;
	// a local Bot API server or a test fake otherwise).
	APIEndpoint string `yaml:"api_endpoint"`
	// PollTimeout is the long-poll timeout of getUpdates (1s–50s).
	PollTimeout time.Duration `yaml:"poll_timeout"`
	// RequestTimeout bounds one Bot API call (other than getUpdates).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// HandleTimeout bounds the handling of one update: the dialog turn and
	// sending the answer, including waits for Telegram's rate limit. Keep
	// it below server.write_timeout in webhook mode.
	HandleTimeout time.Duration `yaml:"handle_timeout"`
	// MaxRetryWait is the longest total wait for Telegram's 429
	// retry_after within one send; longer waits fail the send (the update
	// is retried later).
	MaxRetryWait time.Duration `yaml:"max_retry_wait"`
	// MessagesPerSecond paces all messages this instance sends (default
	// 30, Telegram's limit for a bot), so a burst — many caseworker replies
	// and answers at once — waits here instead of meeting 429s.
	MessagesPerSecond int `yaml:"messages_per_second"`
	// ChatMessagesPerMinute paces the messages to one chat (default 60:
	// Telegram asks for about one a second per chat), after a burst of
	// ChatBurst messages (default 3: an answer in several parts goes at
	// once).
	ChatMessagesPerMinute int `yaml:"chat_messages_per_minute"`
	ChatBurst             int `yaml:"chat_burst"`
	// MaxUpdateBytes limits a webhook request body.
	MaxUpdateBytes int64 `yaml:"max_update_bytes"`
	// LockTTL is how long the polling lock in Redis lives without renewal:
	// when the polling instance dies, another takes over after this.
	LockTTL time.Duration `yaml:"lock_ttl"`
}

// DefaultConfig returns the defaults (disabled).
func DefaultConfig() Config {
	return Config{
		Mode:           DefaultMode,
		WebhookPath:    DefaultWebhookPath,
		AllowedUpdates: DefaultAllowedUpdates(),
		APIEndpoint:    DefaultAPIEndpoint,
		PollTimeout:    DefaultPollTimeout,
		RequestTimeout: DefaultRequestTimeout,
		HandleTimeout:  DefaultHandleTimeout,
		MaxRetryWait:   DefaultMaxRetryWait,
		MaxUpdateBytes: DefaultMaxUpdateBytes,
		LockTTL:        DefaultLockTTL,

		MessagesPerSecond:     DefaultMessagesPerSecond,
		ChatMessagesPerMinute: DefaultChatMessagesPerMinute,
		ChatBurst:             DefaultChatBurst,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.WebhookPath == "" {
		c.WebhookPath = d.WebhookPath
	}
	if len(c.AllowedUpdates) == 0 {
		c.AllowedUpdates = d.AllowedUpdates
	}
	if c.APIEndpoint == "" {
		c.APIEndpoint = d.APIEndpoint
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setD(&c.PollTimeout, d.PollTimeout)
	setD(&c.RequestTimeout, d.RequestTimeout)
	setD(&c.HandleTimeout, d.HandleTimeout)
	setD(&c.MaxRetryWait, d.MaxRetryWait)
	setD(&c.LockTTL, d.LockTTL)
	if c.MaxUpdateBytes <= 0 {
		c.MaxUpdateBytes = d.MaxUpdateBytes
	}
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&c.MessagesPerSecond, d.MessagesPerSecond}, {&c.ChatMessagesPerMinute, d.ChatMessagesPerMinute}, {&c.ChatBurst, d.ChatBurst},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return c
}

var (
	tokenPattern  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate reports settings that cannot work (nothing when disabled); the
// messages say how to fix them. ValidateFor also checks the webhook URL.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	c = c.withDefaults()
	var errs []error
	switch {
	case c.Token == "":
		errs = append(errs, errors.New("telegram.token is required when telegram.enabled is true: create a bot with @BotFather and give its token as CIVIBOT_TELEGRAM_TOKEN_FILE"))
	case !tokenPattern.MatchString(c.Token):
		errs = append(errs, errors.New("telegram.token does not look like a bot token from @BotFather (123456789:AA…); check for spaces or quotes"))
	}
	switch c.Mode {
	case ModePolling:
	case ModeWebhook:
		if c.WebhookSecret == "" {
			errs = append(errs, errors.New("telegram.webhook_secret is required in webhook mode (1–256 characters of A-Z, a-z, 0-9, _ and -; e.g. the output of `openssl rand -hex 32`)"))
		} else if !secretPattern.MatchString(c.WebhookSecret) {
			errs = append(errs, errors.New("telegram.webhook_secret must be 1–256 characters of A-Z, a-z, 0-9, _ and - (e.g. the output of `openssl rand -hex 32`)"))
		}
		if c.WebhookURL != "" {
			if err := checkWebhookURL(c.WebhookURL); err != nil {
				errs = append(errs, fmt.Errorf("telegram.webhook_url: %w", err))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("telegram.mode must be %q or %q (got %q)", ModeWebhook, ModePolling, c.Mode))
	}
	if !strings.HasPrefix(c.WebhookPath, "/") || strings.ContainsAny(c.WebhookPath, " {}?#") {
		errs = append(errs, fmt.Errorf("telegram.webhook_path must be a path like %s (got %q)", DefaultWebhookPath, c.WebhookPath))
	}
	if u, err := url.Parse(c.APIEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Contains(c.APIEndpoint, "%") {
		errs = append(errs, fmt.Errorf("telegram.api_endpoint must be a URL like %s (got %q)", DefaultAPIEndpoint, c.APIEndpoint))
	}
	hasMessage := false
	for _, u := range c.AllowedUpdates {
		if !knownUpdates[u] {
			errs = append(errs, fmt.Errorf("telegram.allowed_updates: %q is not a Telegram update type (use message, edited_message, callback_query, my_chat_member, …)", u))
		}
		hasMessage = hasMessage || u == "message"
	}
	if !hasMessage {
		errs = append(errs, errors.New("telegram.allowed_updates must include \"message\", or the bot never sees what citizens write"))
	}
	if c.PollTimeout > 50*time.Second || c.PollTimeout < time.Second {
		errs = append(errs, fmt.Errorf("telegram.poll_timeout must be between 1s and 50s (got %v)", c.PollTimeout))
	}
	if c.MaxUpdateBytes < 4096 {
		errs = append(errs, fmt.Errorf("telegram.max_update_bytes must be at least 4096 (got %d); updates carry up to 4096 characters of text", c.MaxUpdateBytes))
	}
	if c.MessagesPerSecond > 1000 {
		errs = append(errs, fmt.Errorf("telegram.messages_per_second must be at most 1000 (got %d); Telegram allows about 30", c.MessagesPerSecond))
	}
	if c.ChatMessagesPerMinute > 600 || c.ChatBurst > 100 {
		errs = append(errs, fmt.Errorf("telegram.chat_messages_per_minute must be at most 600 and telegram.chat_burst at most 100 (got %d and %d); Telegram allows about 60 a minute per chat", c.ChatMessagesPerMinute, c.ChatBurst))
	}
	if c.LockTTL < 3*time.Second {
		errs = append(errs, fmt.Errorf("telegram.lock_ttl must be at least 3s (got %v)", c.LockTTL))
	}
	return errors.Join(errs...)
}

// ValidateFor is Validate plus, in webhook mode, the check that a webhook
// URL is known: telegram.webhook_url, or publicURL (server.public_url)
// with the webhook path.
func (c Config) ValidateFor(publicURL string) error {
	if err := c.Validate(); err != nil || !c.Enabled {
		return err
	}
	if c.withDefaults().Mode != ModeWebhook {
		return nil
	}
	_, err := c.ResolveWebhookURL(publicURL)
	return err
}

// ResolveWebhookURL returns the URL to register with setWebhook.
func (c Config) ResolveWebhookURL(publicURL string) (string, error) {
	c = c.withDefaults()
	u := c.WebhookURL
	if u == "" {
		if publicURL == "" {
			return "", errors.New("telegram.webhook_url is required in webhook mode: set it, or set server.public_url (the webhook is then <public_url>" + c.WebhookPath + ")")
		}
		u = strings.TrimRight(publicURL, "/") + c.WebhookPath
	}
	if err := checkWebhookURL(u); err != nil {
		field := "telegram.webhook_url"
		if c.WebhookURL == "" {
			field = "telegram webhook URL from server.public_url"
		}
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return u, nil
}

func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("must be an https:// URL with a valid certificate, the only kind Telegram posts to (got %q)", s)
	}
	switch u.Port() {
	case "", "443", "80", "88", "8443":
	default:
		return fmt.Errorf("must use port 443, 80, 88 or 8443, the only ports Telegram posts to (got %s); put a reverse proxy in front", u.Port())
	}
	return nil
}

// Package telegram is the Telegram channel: citizens write to the city's
// bot and talk to the same dialog service as on the web.
//
// Updates arrive by webhook (Handler, mounted on civibot's HTTP server; the
// secret token header is checked in constant time) or by long polling
// (Run; with Redis one instance polls at a time, holding a lock it renews).
// Each update is handled exactly once across retries and instances: an
// idempotency lease on its update_id is taken before handling, marked done
// after the answer was sent, and given up on failure, so Telegram's
// webhook retry or the next poll handles it again; each message sent for
// an update is marked too, so a retry does not send it twice.
//
// Messages go out with parse_mode HTML, every text escaped, split under
// Telegram's 4,096-character limit at sentence boundaries, with source
// links and quick replies as inline buttons. A caseworker's reply from the
// console reaches the citizen through Send (a channels.Sender), marked as
// from a person.
//
// Personal data (message text, names, chat ids) is never logged.
package telegram

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// service is what the channel needs of dialog.Service.
type service interface {
	Handle(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	RequestPerson(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Messages(ctx context.Context, conversationID string, after int64) ([]conversation.Message, error)
	Forget(ctx context.Context, conversationID string) error
}

var (
	_ service         = (*dialog.Service)(nil)
	_ channels.Sender = (*Channel)(nil)
	_ http.Handler    = (*Channel)(nil)
)

// Names turns a caseworker's username into the name shown to citizens.
type Names interface {
	DisplayName(ctx context.Context, username string) (string, error)
}

// Options are the channel's collaborators.
type Options struct {
	// IDKey keys conversation ids (conversation.TelegramID). Required.
	IDKey []byte
	// Idempotency keeps update leases (the conversation store's backend).
	// Required.
	Idempotency conversation.Idempotency
	// Redis, when set, holds the polling lock so that one instance polls.
	// Without it this instance polls alone.
	Redis       redis.UniversalClient
	RedisPrefix string
	// PublicURL is server.public_url, the default base of the webhook URL.
	PublicURL string
	// CityName and PrivacyURL appear in the /start greeting; CityName also
	// marks caseworker replies ("Anna (Stadt Musterstadt)").
	CityName   string
	PrivacyURL string
	// Retention is how long conversations are kept (told in /start; 0:
	// not told).
	Retention time.Duration
	// DefaultLanguage of the channel's own texts for users whose Telegram
	// sends no language (default "de").
	DefaultLanguage string
	// MaxMessageChars is the dialog's limit, told when a message is too
	// long (default dialog.DefaultMaxMessageChars).
	MaxMessageChars int
	// Names shows caseworkers' display names (optional).
	Names Names
	// HTTPClient calls the Bot API (default: a client without a global
	// timeout; every call has a deadline of its own).
	HTTPClient *http.Client
	Log        *slog.Logger
	// Now is the clock for lease bookkeeping (default time.Now).
	Now func() time.Time
}

// Channel is the Telegram channel. Mount it (webhook mode) at Path, run
// Run for the life of the server, and register it as the
// conversation.ChannelTelegram Sender.
type Channel struct {
	cfg        Config
	svc        service
	idem       conversation.Idempotency
	key        []byte
	names      Names
	rdb        redis.UniversalClient
	lockKey    string
	botID      int64
	webhookURL string
	secretSum  [sha256.Size]byte
	city       string
	privacyURL string
	retention  time.Duration
	lang       string
	maxChars   int
	http       *http.Client
	log        *slog.Logger
	now        func() time.Time

	// sleep and backoff pace retries (tests shorten them).
	sleep        func(ctx context.Context, d time.Duration) error
	backoff      time.Duration
	maxPollWait  time.Duration
	busyPollWait time.Duration

	api        atomic.Pointer[tgbotapi.BotAPI]
	webhookSet atomic.Bool

	mu      sync.Mutex
	flights map[int]*flight

	// pacer keeps sends within Telegram's limits (pace.go).
	pacer *pacer
}

// Idempotency key lifetimes: a done update is remembered for longer than
// Telegram keeps undelivered updates (24 hours).
const keepDone = 48 * time.Hour

// New builds the channel (no network yet: Connect and Run reach Telegram).
func New(cfg Config, svc service, opts Options) (*Channel, error) {
	cfg.Enabled = true
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("telegram: config: %w", err)
	}
	cfg = cfg.withDefaults()
	if svc == nil || opts.Idempotency == nil || len(opts.IDKey) == 0 {
		return nil, errors.New("telegram: new: a dialog service, an idempotency store and the id key are required")
	}
	botID, err := strconv.ParseInt(cfg.Token[:strings.IndexByte(cfg.Token, ':')], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("telegram: new: bot id in token: %w", err)
	}
	c := &Channel{
		cfg: cfg, svc: svc, idem: opts.Idempotency, key: opts.IDKey, names: opts.Names,
		rdb: opts.Redis, botID: botID, city: opts.CityName, privacyURL: opts.PrivacyURL,
		retention: opts.Retention, lang: opts.DefaultLanguage, maxChars: opts.MaxMessageChars,
		http: opts.HTTPClient, log: opts.Log, now: opts.Now,
		sleep: sleepCtx, backoff: 500 * time.Millisecond, maxPollWait: 10 * time.Second, busyPollWait: time.Second,
		flights: map[int]*flight{}, pacer: newPacer(cfg),
	}
	prefix := opts.RedisPrefix
	if prefix == "" {
		prefix = conversation.DefaultPrefix
	}
	c.lockKey = prefix + "telegram:poll:" + strconv.FormatInt(botID, 10)
	if cfg.Mode == ModeWebhook {
		if c.webhookURL, err = cfg.ResolveWebhookURL(opts.PublicURL); err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		c.secretSum = sha256.Sum256([]byte(cfg.WebhookSecret))
	}
	if c.lang != "en" {
		c.lang = "de"
	}
	if c.maxChars <= 0 {
		c.maxChars = dialog.DefaultMaxMessageChars
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Mode is the configured delivery mode (ModeWebhook or ModePolling).
func (c *Channel) Mode() string { return c.cfg.Mode }

// Path is the route the webhook is served on (webhook mode).
func (c *Channel) Path() string { return c.cfg.WebhookPath }

// Connect reaches the Bot API once (getMe). ErrRejected means the token was
// refused: no retry will help. Run connects by itself; call Connect at
// start-up to fail fast on a wrong token.
func (c *Channel) Connect(ctx context.Context) error {
	_, err := c.connect(ctx)
	return err
}

// Run connects (retrying while Telegram is unreachable), then in webhook
// mode registers the webhook (setWebhook with the secret token and allowed
// updates) and waits; in polling mode it polls (holding the Redis lock, if
// any) until ctx ends. It returns an error only for a problem no retry
// fixes (a refused token or webhook URL).
func (c *Channel) Run(ctx context.Context) error {
	if err := c.retry(ctx, "connect", func(ctx context.Context) error {
		_, err := c.connect(ctx)
		return err
	}); err != nil {
		return err
	}
	if c.cfg.Mode == ModeWebhook {
		if err := c.retry(ctx, "set webhook", c.setWebhook); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	return c.poll(ctx)
}

// retry runs fn until it succeeds, fails with ErrRejected, or ctx ends
// (then it returns nil).
func (c *Channel) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := c.backoff
	for warned := false; ; {
		err := fn(ctx)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrRejected):
			return fmt.Errorf("telegram: %s: %w", what, err)
		}
		if !warned {
			c.log.WarnContext(ctx, "telegram: bot api unreachable, retrying", "step", what, "error", err)
			warned = true
		}
		if c.sleep(ctx, wait) != nil {
			return nil
		}
		wait = min(wait*2, time.Minute)
	}
}

// setWebhook registers the webhook URL with the secret token.
func (c *Channel) setWebhook(ctx context.Context) error {
	params := tgbotapi.Params{"url": c.webhookURL, "secret_token": c.cfg.WebhookSecret}
	if err := params.AddInterface("allowed_updates", c.cfg.AllowedUpdates); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", err)
	}
	params.AddBool("drop_pending_updates", false)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	if _, err := c.call(ctx, "setWebhook", func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		return api.MakeRequest("setWebhook", params)
	}); err != nil {
		return err
	}
	c.webhookSet.Store(true)
	c.log.InfoContext(ctx, "telegram webhook registered", "path", c.cfg.WebhookPath)
	return nil
}

// deleteWebhook switches the bot to getUpdates (pending updates are kept).
func (c *Channel) deleteWebhook(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	_, err := c.call(ctx, "deleteWebhook", chattable(tgbotapi.DeleteWebhookConfig{}))
	return err
}

// chattable adapts a library request for call.
func chattable(ch tgbotapi.Chattable) func(*tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
	return func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(ch) }
}

// Ids and keys derived from Telegram's.

func (c *Channel) conversationID(chatID int64) string { return conversation.TelegramID(c.key, chatID) }

func (c *Channel) clientID(updateID int) string { return fmt.Sprintf("tg:%d:%d", c.botID, updateID) }

func (c *Channel) updateKey(updateID int) string { return fmt.Sprintf("tg:%d:u:%d", c.botID, updateID) }

func (c *Channel) sentKey(updateID, n int) string {
	return fmt.Sprintf("tg:%d:s:%d:%d", c.botID, updateID, n)
}

// updateLease outlasts the handling of an update (bounded by
// HandleTimeout) and the bookkeeping after it; sendLease (one message
// of an update) ends before the update's lease does, so a worker that
// takes over an expired update finds no stale message lease.
func (c *Channel) updateLease() time.Duration { return 2*c.cfg.HandleTimeout + c.cfg.RequestTimeout }
func (c *Channel) sendLease() time.Duration   { return c.cfg.HandleTimeout }

// textsFor picks the channel's texts for a Telegram language_code: German
// or English as asked, the default language when Telegram sends none, and
// English for other languages.
func (c *Channel) textsFor(code string) texts {
	switch l := chatLanguage(code); {
	case l != "":
		return textsFor(l)
	case code == "":
		return textsFor(c.lang)
	}
	return textsEN
}

func (c *Channel) botName() string {
	if api := c.api.Load(); api != nil {
		return api.Self.UserName
	}
	return ""
}

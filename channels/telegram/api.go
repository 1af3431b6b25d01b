package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Errors of Bot API calls. Callers test with errors.Is.
var (
	// ErrNotConnected: the channel has not reached the Bot API yet (getMe
	// has not succeeded).
	ErrNotConnected = errors.New("telegram: not connected to the Bot API yet")
	// ErrRejected: Telegram refused the request (a 4xx other than 429:
	// a bad request, a user who blocked the bot, a wrong token).
	// Retrying the same request does not help.
	ErrRejected = errors.New("telegram: request rejected")
	// ErrUnavailable: the Bot API did not answer usefully (5xx, network,
	// malformed answer, or a 429 whose retry_after exceeds the wait
	// allowed). Retrying later may help.
	ErrUnavailable = errors.New("telegram: bot api unavailable")
)

// apiError is a failed Bot API call.
type apiError struct {
	method string
	kind   error // ErrRejected or ErrUnavailable
	code   int   // Telegram's error_code (0 if none)
	desc   string
	err    error
	// retryAfter is Telegram's retry_after for a 429.
	retryAfter time.Duration
}

func (e *apiError) Error() string {
	switch {
	case e.code != 0:
		return fmt.Sprintf("telegram: %s: %d %s", e.method, e.code, e.desc)
	case e.err != nil:
		return fmt.Sprintf("telegram: %s: %v", e.method, e.err)
	}
	return fmt.Sprintf("telegram: %s: %s", e.method, e.desc)
}

func (e *apiError) Is(target error) bool { return target == e.kind }
func (e *apiError) Unwrap() error        { return e.err }

// transportError is an HTTP failure with the token taken out of its text
// (url.Error quotes the request URL, which contains the token).
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// doer is the library's HTTPClient for one call: it carries the call's
// context and remembers the HTTP status.
type doer struct {
	ctx    context.Context
	client *http.Client
	token  string
	status int
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req.WithContext(d.ctx))
	if err != nil {
		msg := err.Error()
		if d.token != "" {
			msg = strings.ReplaceAll(msg, d.token, "<token>")
		}
		return nil, &transportError{msg: msg, err: err}
	}
	d.status = resp.StatusCode
	return resp, nil
}

// endpoint is the library's endpoint format for a base URL.
func endpoint(base string) string { return strings.TrimRight(base, "/") + "/bot%s/%s" }

// connect calls getMe (through the library's constructor) and keeps the
// client. A refused token is ErrRejected.
func (c *Channel) connect(ctx context.Context) (*tgbotapi.BotAPI, error) {
	if api := c.api.Load(); api != nil {
		return api, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	d := &doer{ctx: ctx, client: c.http, token: c.cfg.Token}
	api, err := tgbotapi.NewBotAPIWithClient(c.cfg.Token, endpoint(c.cfg.APIEndpoint), d)
	if err != nil {
		e := classify("getMe", err, d.status)
		if e.code == http.StatusUnauthorized || e.code == http.StatusNotFound {
			e.desc += " (telegram.token was refused: check it with @BotFather)"
		}
		return nil, e
	}
	if c.api.CompareAndSwap(nil, api) {
		c.log.InfoContext(ctx, "telegram connected", "bot", api.Self.UserName, "mode", c.cfg.Mode)
	}
	return c.api.Load(), nil
}

// request makes one call with a context of its own: the library's BotAPI
// is copied with an HTTP client bound to ctx (the library builds requests
// without a context).
func (c *Channel) request(ctx context.Context, method string, fn func(*tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)) (*tgbotapi.APIResponse, error) {
	base := c.api.Load()
	if base == nil {
		return nil, ErrNotConnected
	}
	api := *base
	d := &doer{ctx: ctx, client: c.http, token: c.cfg.Token}
	api.Client = d
	resp, err := fn(&api)
	if err != nil {
		return resp, classify(method, err, d.status)
	}
	return resp, nil
}

// classify sorts a library error: Telegram's own errors by error_code,
// anything else (network, a proxy's HTML error page, malformed JSON) is
// ErrUnavailable.
func classify(method string, err error, status int) *apiError {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		e := &apiError{method: method, code: te.Code, desc: te.Message, kind: ErrRejected}
		switch {
		case te.Code == http.StatusTooManyRequests:
			e.kind = ErrUnavailable
			e.retryAfter = time.Duration(max(te.RetryAfter, 1)) * time.Second
		case te.Code >= 500 || te.Code == http.StatusConflict || te.Code == 0:
			e.kind = ErrUnavailable
		}
		return e
	}
	e := &apiError{method: method, kind: ErrUnavailable, err: err}
	if status != 0 && status != http.StatusOK {
		e.desc = fmt.Sprintf("HTTP %d", status)
		e.err = fmt.Errorf("HTTP %d: %w", status, err)
	}
	return e
}

// maxAttempts bounds the tries of one call on 5xx and network errors.
const maxAttempts = 3

// call makes a Bot API call and retries what is worth retrying: a 429 after
// Telegram's retry_after (while the waits add up to at most
// MaxRetryWait and fit ctx's deadline), 5xx, network errors and malformed
// answers with exponential backoff, at most maxAttempts times. Other
// errors (ErrRejected) return at once.
func (c *Channel) call(ctx context.Context, method string, fn func(*tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)) (*tgbotapi.APIResponse, error) {
	var waited time.Duration
	backoff := c.backoff
	for attempt := 1; ; attempt++ {
		resp, err := c.request(ctx, method, fn)
		if err == nil {
			return resp, nil
		}
		var e *apiError
		if !errors.As(err, &e) || e.kind != ErrUnavailable || ctx.Err() != nil {
			return nil, err
		}
		var wait time.Duration
		switch {
		case e.retryAfter > 0:
			wait = e.retryAfter
			if waited+wait > c.cfg.MaxRetryWait || !fits(ctx, wait) {
				return nil, fmt.Errorf("%w (retry after %v is longer than this send may wait)", err, wait)
			}
			waited += wait
		case attempt < maxAttempts && e.code != http.StatusConflict:
			wait = backoff
			backoff *= 2
			if !fits(ctx, wait) {
				return nil, err
			}
		default:
			return nil, err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (gave up waiting: %w)", err, serr)
		}
	}
}

// fits reports whether a wait of d leaves time before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sendChunk sends one message. If Telegram cannot parse the HTML (which
// escaping should make impossible), the same text goes again without
// markup rather than not at all.
func (c *Channel) sendChunk(ctx context.Context, chatID int64, ch chunk, replyTo int) error {
	msg := tgbotapi.NewMessage(chatID, ch.html)
	msg.ParseMode = parseMode
	msg.DisableWebPagePreview = true
	msg.ReplyToMessageID = replyTo
	msg.AllowSendingWithoutReply = replyTo != 0
	if ch.keyboard != nil {
		msg.ReplyMarkup = *ch.keyboard
	}
	if err := c.pace(ctx, chatID); err != nil {
		return err
	}
	_, err := c.call(ctx, "sendMessage", chattable(msg))
	var e *apiError
	if errors.As(err, &e) && e.code == http.StatusBadRequest && strings.Contains(strings.ToLower(e.desc), "can't parse entities") {
		c.log.WarnContext(ctx, "telegram refused the message markup; sending it as plain text", "error", err)
		msg.Text, msg.ParseMode = ch.plain, ""
		_, err = c.call(ctx, "sendMessage", chattable(msg))
	}
	return err
}

// answerCallback stops the button's spinner (and shows text as a toast).
// Failures are not worth retrying the update for: Telegram drops the
// spinner itself after a while.
func (c *Channel) answerCallback(ctx context.Context, id, text string) {
	if id == "" {
		return
	}
	if _, err := c.call(ctx, "answerCallbackQuery", chattable(tgbotapi.NewCallback(id, text))); err != nil {
		c.log.DebugContext(ctx, "telegram: answer callback query failed", "error", err)
	}
}

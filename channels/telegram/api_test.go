package telegram

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/telegramtest"
)

func TestRateLimitHonoured(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Script("sendMessage", telegramtest.RateLimited(3))
	h.deliver(textUpdate(4000, erika, "de", "Was kostet ein Personalausweis?"))
	if sent := h.fake.SentTo(erika); len(sent) != 1 {
		t.Fatalf("%d answers", len(sent))
	}
	if n := len(h.fake.Calls("sendMessage")); n != 2 {
		t.Errorf("sendMessage called %d times, want 2 (refused, then after the wait)", n)
	}
	if !slices.Contains(h.sleeps.all(), 3*time.Second) {
		t.Errorf("waits %v, want Telegram's retry_after of 3s", h.sleeps.all())
	}
}

// TestRateLimitTooLong: a retry_after longer than max_retry_wait is not
// waited out inside the request; the update is retried later instead.
func TestRateLimitTooLong(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Script("sendMessage", telegramtest.RateLimited(3600))
	update := textUpdate(4001, erika, "de", "Was kostet ein Personalausweis?")
	if code, _ := h.post(update, testSecret); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so that Telegram delivers again", code)
	}
	for _, w := range h.sleeps.all() {
		if w >= time.Hour {
			t.Fatalf("waited %v", w)
		}
	}
	h.deliver(update)
	if sent := h.fake.SentTo(erika); len(sent) != 1 {
		t.Fatalf("%d answers after the retry", len(sent))
	}
}

func TestServerErrorsBackOff(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Script("sendMessage", telegramtest.ServerError(500), telegramtest.BadGateway())
	h.deliver(textUpdate(4002, erika, "de", "Was kostet ein Personalausweis?"))
	if sent := h.fake.SentTo(erika); len(sent) != 1 {
		t.Fatalf("%d answers", len(sent))
	}
	waits := h.sleeps.all()
	if len(waits) < 2 || waits[0] != h.ch.backoff || waits[1] != 2*h.ch.backoff {
		t.Errorf("waits %v, want %v then %v", waits, h.ch.backoff, 2*h.ch.backoff)
	}
}

func TestMalformedAnswerRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Script("sendMessage", telegramtest.Malformed())
	h.deliver(textUpdate(4003, erika, "de", "Was kostet ein Personalausweis?"))
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d answers", n)
	}
}

func TestRejectedNotRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Block(erika)
	h.deliver(textUpdate(4004, erika, "de", "Was kostet ein Personalausweis?")) // handled: retrying cannot help
	if n := len(h.fake.Calls("sendMessage")); n != 1 {
		t.Fatalf("sendMessage called %d times for a blocked chat", n)
	}
	// The question is kept for the city (the conversation exists).
	if _, _, err := h.conversation(erika); err != nil {
		t.Fatal(err)
	}
}

// TestHTMLRefusedFallsBack: should Telegram refuse the markup, the text
// goes again without it.
func TestHTMLRefusedFallsBack(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Script("sendMessage", telegramtest.Response{Status: 400,
		Body: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3"}`})
	h.deliver(textUpdate(4005, erika, "de", "Was kostet ein Personalausweis?"))
	sent := h.fake.SentTo(erika)
	if len(sent) != 1 || sent[0].ParseMode != "" || !strings.Contains(sent[0].Text, "37,00 Euro") || !strings.Contains(sent[0].Text, "(https://") {
		t.Fatalf("fallback: %+v", sent)
	}
}

func TestConnect(t *testing.T) {
	t.Run("refused token", func(t *testing.T) {
		h := newHarness(t, harnessOptions{noRun: true})
		h.fake.Token = "7000000001:another-token-entirely-000000"
		err := h.ch.Connect(context.Background())
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "telegram.token") {
			t.Fatalf("Connect: %v", err)
		}
		if err := h.ch.Run(context.Background()); !errors.Is(err, ErrRejected) {
			t.Fatalf("Run with a refused token: %v", err)
		}
	})
	t.Run("unreachable at first", func(t *testing.T) {
		h := newHarness(t, harnessOptions{noRun: true})
		h.fake.Script("getMe", telegramtest.ServerError(502), telegramtest.BadGateway())
		h.fake.Script("setWebhook", telegramtest.ServerError(500))
		if err := h.ch.Connect(context.Background()); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Connect: %v", err)
		}
		h.start()
		if wh := h.fake.Webhook(); wh.Sets != 1 || wh.URL != testWebhook {
			t.Fatalf("webhook %+v", wh)
		}
		if !strings.Contains(h.logs.String(), "bot api unreachable") {
			t.Error("no warning while unreachable")
		}
	})
	t.Run("webhook URL refused", func(t *testing.T) {
		h := newHarness(t, harnessOptions{noRun: true})
		h.fake.Script("setWebhook", telegramtest.Response{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: Failed to resolve host: Name or service not known"}`})
		err := h.ch.Run(context.Background())
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "bad webhook") {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestTokenNeverShown: network errors quote the request URL, which holds
// the token; it is taken out.
func TestTokenNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	h := newHarness(t, harnessOptions{noRun: true})
	h.ch.cfg.APIEndpoint = "http://" + addr
	err = h.ch.Connect(context.Background())
	if err == nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Connect: %v", err)
	}
	if strings.Contains(err.Error(), telegramtest.Token) || strings.Contains(err.Error(), "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw") {
		t.Fatalf("the token is in the error: %v", err)
	}
	if !strings.Contains(err.Error(), "<token>") {
		t.Errorf("error %v", err)
	}
}

// TestNoPersonalDataInLogs: at info level nothing a citizen wrote, their
// name or chat id reaches the log.
func TestNoPersonalDataInLogs(t *testing.T) {
	h := newHarness(t, harnessOptions{online: true})
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), erika)
	h.deliver(textUpdate(4100, erika, "de", "Was kostet ein Personalausweis für Erika Mustermann?"))
	h.deliver(messageUpdate(4101, erika, photoContent))
	h.deliver(textUpdate(4102, erika, "de", "/human"))
	h.fake.Script("sendMessage", telegramtest.ServerError(500), telegramtest.ServerError(500), telegramtest.ServerError(500))
	h.post(textUpdate(4103, erika, "de", "Geheimnis 4711"), testSecret) // fails: logged as a warning
	h.deliver(textUpdate(4103, erika, "de", "Geheimnis 4711"))
	if _, err := h.desk.Claim(ctx, id, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.desk.Reply(ctx, id, "anna", "Antwort an Erika"); err != nil {
		t.Fatal(err)
	}
	h.deliver(textUpdate(4104, erika, "de", "/delete"))
	logs := h.logs.String()
	if !strings.Contains(logs, "will be retried") {
		t.Fatalf("the failure was not logged:\n%s", logs)
	}
	for _, secret := range []string{"Erika", "Mustermann", "erika_m", "111111111", "Personalausweis für", "Geheimnis", "4711", "Ausweis", testSecret, telegramtest.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

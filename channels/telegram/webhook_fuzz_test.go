package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
)

// writeCounter is the memory backend counting every write: conversation
// changes and idempotency leases taken.
type writeCounter struct {
	*conversation.Memory
	writes atomic.Int64
}

func (w *writeCounter) Create(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error) {
	w.writes.Add(1)
	return w.Memory.Create(ctx, c)
}

func (w *writeCounter) Append(ctx context.Context, id string, m conversation.Message) (conversation.Message, bool, error) {
	out, dup, err := w.Memory.Append(ctx, id, m)
	if err == nil && !dup {
		w.writes.Add(1)
	}
	return out, dup, err
}

func (w *writeCounter) Update(ctx context.Context, id string, fn func(*conversation.Conversation) error) (conversation.Conversation, error) {
	w.writes.Add(1)
	return w.Memory.Update(ctx, id, fn)
}

func (w *writeCounter) Delete(ctx context.Context, id string) error {
	w.writes.Add(1)
	return w.Memory.Delete(ctx, id)
}

func (w *writeCounter) SetFeedback(ctx context.Context, id string, seq int64, v int) error {
	w.writes.Add(1)
	return w.Memory.SetFeedback(ctx, id, seq, v)
}

func (w *writeCounter) Begin(ctx context.Context, key string, lease time.Duration) (bool, error) {
	ok, err := w.Memory.Begin(ctx, key, lease)
	if ok {
		w.writes.Add(1)
	}
	return ok, err
}

// webhookSeeds are updates as Telegram posts them (the Bot API
// documentation's shapes) and broken variants of them.
func webhookSeeds() []string {
	seeds := []string{
		textUpdate(1, erika, "de", "Was kostet ein Personalausweis?"),
		textUpdate(2, erika, "en", "/start"),
		textUpdate(3, john, "en", "/human@musterstadt_bot"),
		textUpdate(4, john, "de", "/delete"),
		textUpdate(5, erika, "de", "<b>Tom & Jerry</b> &amp; \u202e \x00"),
		messageUpdate(6, erika, photoContent),
		messageUpdate(7, erika, stickerContent),
		messageUpdate(8, erika, voiceContent),
		messageUpdate(9, erika, locationContent),
		messageUpdate(10, erika, documentContent),
		messageUpdate(11, erika, contactContent),
		messageUpdate(12, erika, pinnedContent),
		callbackUpdate(13, erika, "de", "q:2:0"),
		callbackUpdate(14, erika, "de", "q:-1:99"),
		`{"update_id":15,"edited_message":{"message_id":5,"from":` + user(erika, "de") + `,"chat":` + privateChat(erika) + `,"date":1735725600,"edit_date":1735725700,"text":"korrigiert"}}`,
		`{"update_id":16,"message":{"message_id":9,"from":` + user(erika, "de") + `,"chat":` + groupChat + `,"date":1735725600,"text":"@musterstadt_bot hallo"}}`,
		`{"update_id":17,"my_chat_member":{"chat":` + groupChat + `,"from":` + user(erika, "de") + `,"date":1735725600,"old_chat_member":{"user":` + botUser + `,"status":"left"},"new_chat_member":{"user":` + botUser + `,"status":"member"}}}`,
		`{"update_id":18,"channel_post":{"message_id":1,"chat":{"id":-100123,"type":"channel","title":"News"},"date":1735725600,"text":"hi"}}`,
		`{"update_id":19,"inline_query":{"id":"1","from":` + user(erika, "de") + `,"query":"pass","offset":""}}`,
		// Broken variants.
		``, `{}`, `null`, `[]`, `"x"`, `{"update_id":0}`, `{"update_id":-5,"message":{}}`,
		`{"update_id":"20"}`, `{"update_id":21,"message":null}`, `{"update_id":22,"message":{"chat":null,"text":"x"}}`,
		`{"update_id":23,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"text":""}}`,
		`{"update_id":24,"message":{"message_id":1,"chat":{"id":0,"type":"private"},"from":{"id":0,"is_bot":true},"text":"x"}}`,
		`{"update_id":25,"callback_query":{"id":"","from":{"id":1},"data":"q:1:0"}}`,
		`{"update_id":26,"callback_query":{"id":"x","from":{"id":1},"message":{"message_id":1,"chat":{"id":1,"type":"private"}},"data":"q:9223372036854775807:9"}}`,
		`{"update_id":99999999999999999999}`, `{"update_id":27,"message":{"text":` + jsonString(strings.Repeat("ä", 5000)) + `,"chat":{"id":9,"type":"private"}}}`,
		`{"update_id":28,"message":{"message_id":1,"chat":{"id":9,"type":"private"},"text":"x"}`,
		`{"update_id":29,"my_chat_member":{"chat":{"id":-1,"type":"group"},"old_chat_member":{"status":""},"new_chat_member":{"status":"administrator"}}}`,
		"{\"update_id\":30,\"message\":{\"chat\":{\"id\":9,\"type\":\"private\"},\"text\":\"\xff\xfe\"}}",
	}
	return seeds
}

// FuzzWebhook posts any body to the webhook, as Telegram would and as an
// attacker could. The channel never panics (not even inside its recover);
// it answers 200, 400, 401, 413 or 503 with JSON; without the secret token
// or with a body that is not an update nothing is stored, leased or sent;
// every message it sends is one the Bot API accepts; and a redelivery of
// a handled update changes nothing and sends nothing.
func FuzzWebhook(f *testing.F) {
	store := &writeCounter{Memory: conversation.NewMemory(conversation.Options{})}
	h := newHarness(f, harnessOptions{store: store})
	for _, s := range webhookSeeds() {
		f.Add([]byte(s), true)
	}
	f.Add([]byte(textUpdate(40, erika, "de", "Hallo")), false)
	f.Fuzz(func(t *testing.T, body []byte, withSecret bool) {
		secret := testSecret
		if !withSecret {
			secret = "wrong-" + testSecret
		}
		before, sentBefore := store.writes.Load(), len(h.fake.Sent())
		code, answer := fuzzPost(t, h, body, secret)
		if !json.Valid([]byte(answer)) {
			t.Errorf("answer %d is not JSON: %q", code, answer)
		}
		wrote, sent := store.writes.Load()-before, len(h.fake.Sent())-sentBefore
		switch code {
		case http.StatusOK:
			if !withSecret {
				t.Fatalf("a wrong secret got 200")
			}
			// Telegram delivers it again (its answer was lost): nothing
			// more happens.
			before, sentBefore = store.writes.Load(), len(h.fake.Sent())
			if code, answer := fuzzPost(t, h, body, secret); code != http.StatusOK {
				t.Fatalf("redelivery: %d %s", code, answer)
			}
			if w, s := store.writes.Load()-before, len(h.fake.Sent())-sentBefore; w != 0 || s != 0 {
				t.Errorf("redelivery wrote %d times and sent %d messages", w, s)
			}
		case http.StatusUnauthorized, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if code == http.StatusUnauthorized && withSecret {
				t.Fatalf("the right secret got 401")
			}
			if wrote != 0 || sent != 0 {
				t.Errorf("refused with %d, but wrote %d times and sent %d messages", code, wrote, sent)
			}
		case http.StatusServiceUnavailable:
			// The memory store is always there: nothing should need a retry.
			t.Errorf("503 for %q: %s", body, answer)
		default:
			t.Errorf("status %d for %q: %s", code, body, answer)
		}
		if calls, accepted := len(h.fake.Calls("sendMessage")), len(h.fake.Sent()); calls != accepted {
			t.Fatalf("the Bot API refused %d messages the channel sent", calls-accepted)
		}
		if logs := h.logs.String(); strings.Contains(logs, "panic") {
			t.Fatalf("the channel panicked on %q:\n%s", body, logs)
		}
	})
}

func fuzzPost(t *testing.T, h *harness, body []byte, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+h.ch.Path(), strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SecretHeader, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(fmt.Errorf("post: %w", err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

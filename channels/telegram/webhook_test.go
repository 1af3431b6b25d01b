package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/telegramtest"
)

func TestWebhookRegistered(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	wh := h.fake.Webhook()
	if wh.URL != testWebhook || wh.SecretToken != testSecret || wh.Sets != 1 {
		t.Fatalf("webhook = %+v", wh)
	}
	if !slices.Equal(wh.AllowedUpdates, DefaultAllowedUpdates()) {
		t.Errorf("allowed updates = %v", wh.AllowedUpdates)
	}
}

func TestWebhookSecret(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	update := textUpdate(500, erika, "de", "Was kostet ein Personalausweis?")
	tests := []struct {
		name   string
		secret string
		want   int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "s3cret-Token_0123456788", http.StatusUnauthorized},
		{"prefix of the secret", testSecret[:10], http.StatusUnauthorized},
		{"secret with more", testSecret + "x", http.StatusUnauthorized},
		{"right", testSecret, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := h.post(update, tt.secret)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, body, tt.want)
			}
			_, _, err := h.conversation(erika)
			if tt.want == http.StatusUnauthorized {
				if !errors.Is(err, conversation.ErrNotFound) || len(h.fake.Sent()) != 0 {
					t.Fatalf("refused update left traces: conversation err %v, %d sent", err, len(h.fake.Sent()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sent := h.fake.SentTo(erika)
			if len(sent) != 1 || !strings.Contains(sent[0].Plain, "37,00 Euro") {
				t.Fatalf("answer = %+v", sent)
			}
		})
	}
}

func TestWebhookBadRequests(t *testing.T) {
	h := newHarness(t, harnessOptions{cfg: func(c *Config) { c.MaxUpdateBytes = 8192 }})
	huge := textUpdate(501, erika, "de", strings.Repeat("a", 9000))
	tests := []struct {
		name, body string
		want       int
	}{
		{"malformed JSON", `{"update_id":501,"message":{`, http.StatusBadRequest},
		{"not an object", `[1,2,3]`, http.StatusBadRequest},
		{"no update_id", `{"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":1,"text":"hi"}}`, http.StatusBadRequest},
		{"wrong types", `{"update_id":"501"}`, http.StatusBadRequest},
		{"too large", huge, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := h.post(tt.body, testSecret); code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, body, tt.want)
			}
		})
	}
	if _, _, err := h.conversation(erika); !errors.Is(err, conversation.ErrNotFound) || len(h.fake.Sent()) != 0 {
		t.Fatalf("bad requests left traces: %v, %d sent", err, len(h.fake.Sent()))
	}
	resp, err := http.Get(h.srv.URL + h.ch.Path())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// TestUpdateShapes posts updates of every kind a bot meets, as Telegram
// sends them: each gets its defined answer (or none), none is stored
// unless it is a citizen's text, and none breaks the channel.
func TestUpdateShapes(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	tests := []struct {
		name   string
		update string
		chat   int64
		want   string // in the answer; "" = no answer
		stored bool   // a conversation exists afterwards
	}{
		{"text", textUpdate(600, erika, "de", "Was kostet ein Personalausweis?"), erika, "37,00 Euro", true},
		{"photo with caption", messageUpdate(601, john, photoContent), john, "Bilder und Dateien", false},
		{"document", messageUpdate(602, john, documentContent), john, "Bilder und Dateien", false},
		{"sticker", messageUpdate(603, john, stickerContent), john, "nur Text", false},
		{"voice", messageUpdate(604, john, voiceContent), john, "Sprach", false},
		{"location", messageUpdate(605, john, locationContent), john, "Standorte", false},
		{"contact", messageUpdate(606, john, contactContent), john, "/human", false},
		{"service message", messageUpdate(607, john, pinnedContent), john, "", false},
		{"edited message", fmt.Sprintf(`{"update_id":608,"edited_message":{"message_id":1608,"from":%s,"chat":%s,"date":%d,"edit_date":%d,"text":"Was kostet ein Reisepass?"}}`,
			user(john, "de"), privateChat(john), date, date+30), john, "Bearbeitete Nachrichten", false},
		{"group message", fmt.Sprintf(`{"update_id":609,"message":{"message_id":1609,"from":%s,"chat":%s,"date":%d,"text":"Weiß jemand, wann der Sperrmüll kommt?"}}`,
			user(john, "de"), groupChat, date), -1001234567890, "", false},
		{"group command", fmt.Sprintf(`{"update_id":610,"message":{"message_id":1610,"from":%s,"chat":%s,"date":%d,"text":"/start@musterstadt_bot","entities":[{"offset":0,"length":22,"type":"bot_command"}]}}`,
			user(john, "de"), groupChat, date), -1001234567890, "nur im privaten Chat", false},
		{"channel post", fmt.Sprintf(`{"update_id":611,"channel_post":{"message_id":12,"sender_chat":{"id":-1009876543210,"title":"Stadtnachrichten","type":"channel"},"chat":{"id":-1009876543210,"title":"Stadtnachrichten","type":"channel"},"date":%d,"text":"Neue Öffnungszeiten"}}`, date),
			-1009876543210, "", false},
		{"added to a group", fmt.Sprintf(`{"update_id":612,"my_chat_member":{"chat":%s,"from":%s,"date":%d,"old_chat_member":{"user":%s,"status":"left"},"new_chat_member":{"user":%s,"status":"member"}}}`,
			groupChat, user(john, "en"), date, botUser, botUser), -1001234567890, "only answer questions in a private chat", false},
		{"blocked by the user", fmt.Sprintf(`{"update_id":613,"my_chat_member":{"chat":%s,"from":%s,"date":%d,"old_chat_member":{"user":%s,"status":"member"},"new_chat_member":{"user":%s,"status":"kicked","until_date":0}}}`,
			privateChat(john), user(john, "de"), date, botUser, botUser), john, "", false},
		{"inline query", fmt.Sprintf(`{"update_id":614,"inline_query":{"id":"123","from":%s,"query":"ausweis","offset":""}}`, user(john, "de")), john, "", false},
		{"unknown update type", `{"update_id":615,"message_reaction":{"chat":{"id":1,"type":"private"},"message_id":1,"date":1}}`, john, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.fake.SentTo(tt.chat))
			h.deliver(tt.update)
			sent := h.fake.SentTo(tt.chat)[before:]
			switch {
			case tt.want == "" && len(sent) != 0:
				t.Fatalf("want no answer, got %q", sent[0].Plain)
			case tt.want != "" && (len(sent) != 1 || !strings.Contains(sent[0].Plain, tt.want)):
				t.Fatalf("want one answer with %q, got %+v", tt.want, sent)
			}
			_, _, err := h.conversation(tt.chat)
			if stored := err == nil; stored != tt.stored {
				t.Errorf("stored = %v (%v), want %v", stored, err, tt.stored)
			}
		})
	}
	// The group notice replies to the command it answers.
	for _, m := range h.fake.SentTo(-1001234567890) {
		if strings.Contains(m.Plain, "privaten Chat") && m.ReplyTo != 1610 {
			t.Errorf("group notice replies to %d, want 1610", m.ReplyTo)
		}
	}
}

func TestDuplicateUpdateAnsweredOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	update := textUpdate(700, erika, "de", "Was kostet ein Personalausweis?")
	for i := 0; i < 3; i++ {
		h.deliver(update)
	}
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d answers to one update delivered 3 times", n)
	}
	_, msgs, err := h.conversation(erika)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages, want the question and the answer", len(msgs))
	}
}

func TestConcurrentDeliveriesAnsweredOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	update := textUpdate(701, erika, "de", "Wie melde ich meine Wohnung an?")
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = h.post(update, testSecret)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("delivery %d: %d", i, c)
		}
	}
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d answers to one update delivered 8 times at once", n)
	}
	_, msgs, _ := h.conversation(erika)
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages, want 2", len(msgs))
	}
}

// TestCrashBeforeAnswer: a worker (another instance) took the update's
// lease and died before answering. A delivery while the lease is held is
// not acknowledged (503: acknowledging it would lose the update), the
// redelivery after the lease ran out is handled, and a late one after that
// is acknowledged without handling it again.
func TestCrashBeforeAnswer(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := conversation.NewMemory(conversation.Options{Now: clock})
	h := newHarness(t, harnessOptions{store: store})
	update := textUpdate(702, erika, "de", "Was kostet ein Personalausweis?")

	// The dead worker's lease.
	ok, err := store.Begin(context.Background(), h.ch.updateKey(702), h.ch.updateLease())
	if err != nil || !ok {
		t.Fatalf("begin: %v %v", ok, err)
	}
	if code, body := h.post(update, testSecret); code != http.StatusServiceUnavailable || !strings.Contains(body, "in_progress") {
		t.Fatalf("delivery while another worker holds the update: %d %s, want 503 in_progress", code, body)
	}
	if n := len(h.fake.Sent()); n != 0 {
		t.Fatalf("handled while another worker held it: %d sent", n)
	}
	mu.Lock()
	now = now.Add(h.ch.updateLease() + time.Second)
	mu.Unlock()
	h.deliver(update)
	if sent := h.fake.SentTo(erika); len(sent) != 1 || !strings.Contains(sent[0].Plain, "37,00 Euro") {
		t.Fatalf("after the lease ran out: %+v", sent)
	}
	h.deliver(update) // done: acknowledged
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d answers after a late redelivery of a done update, want 1", n)
	}
}

// TestFailedSendRetried: the answer cannot be sent (Telegram 5xx on every
// try): the webhook answers 503, nothing is marked done, and Telegram's
// redelivery sends the stored answer once.
func TestFailedSendRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	update := textUpdate(703, erika, "de", "Was kostet ein Personalausweis?")
	h.fake.Script("sendMessage", telegramtest.ServerError(500), telegramtest.ServerError(502), telegramtest.BadGateway())
	if code, body := h.post(update, testSecret); code != http.StatusServiceUnavailable {
		t.Fatalf("first delivery: %d %s", code, body)
	}
	if len(h.fake.Sent()) != 0 {
		t.Fatal("sent although Telegram failed")
	}
	h.deliver(update)
	sent := h.fake.SentTo(erika)
	if len(sent) != 1 || !strings.Contains(sent[0].Plain, "37,00 Euro") {
		t.Fatalf("after the retry: %+v", sent)
	}
	_, msgs, _ := h.conversation(erika)
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages, want the question once and the answer once", len(msgs))
	}
	h.deliver(update) // a late duplicate changes nothing
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d answers after a late duplicate", n)
	}
}

// TestStoreDownRetried: with the store away the update fails for now (503)
// and is handled when it is back.
func TestStoreDownRetried(t *testing.T) {
	store := &flakyStore{Memory: conversation.NewMemory(conversation.Options{})}
	h := newHarness(t, harnessOptions{store: store})
	update := textUpdate(704, erika, "de", "Was kostet ein Personalausweis?")
	store.down.Store(true)
	if code, _ := h.post(update, testSecret); code != http.StatusServiceUnavailable {
		t.Fatalf("with the store down: %d", code)
	}
	store.down.Store(false)
	h.deliver(update)
	if sent := h.fake.SentTo(erika); len(sent) != 1 {
		t.Fatalf("after the store came back: %d answers", len(sent))
	}
}

func TestWebhookNotConnectedYet(t *testing.T) {
	h := newHarness(t, harnessOptions{noRun: true})
	code, _ := h.post(textUpdate(705, erika, "de", "Hallo"), testSecret)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("before connecting: %d, want 503 (Telegram delivers again)", code)
	}
	if _, _, err := h.conversation(erika); !errors.Is(err, conversation.ErrNotFound) {
		t.Fatalf("stored before connecting: %v", err)
	}
}

// TestCrashAfterStoringQuestion: an earlier attempt stored the citizen's
// message and died before the answer was stored. The service does not
// answer a stored message twice, so the citizen is asked to send it again
// rather than left without a word.
func TestCrashAfterStoringQuestion(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), erika)
	if _, err := h.store.Create(ctx, conversation.Conversation{ID: id, Channel: conversation.ChannelTelegram, Address: "111111111"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, ClientID: h.ch.clientID(706), Text: "Was kostet ein Personalausweis?"}); err != nil {
		t.Fatal(err)
	}
	h.deliver(textUpdate(706, erika, "de", "Was kostet ein Personalausweis?"))
	sent := h.fake.SentTo(erika)
	if len(sent) != 1 || sent[0].Plain != textsDE.resend {
		t.Fatalf("sent %+v", sent)
	}
	h.deliver(textUpdate(707, erika, "de", "Was kostet ein Personalausweis?"))
	if sent := h.fake.SentTo(erika); len(sent) != 2 || !strings.Contains(sent[1].Plain, "37,00 Euro") {
		t.Fatalf("the question sent again: %+v", sent)
	}
}

func TestSendWithoutChatID(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	err := h.ch.Send(context.Background(), conversation.Conversation{ID: "tx", Channel: conversation.ChannelTelegram},
		conversation.Message{Role: conversation.RoleCaseworker, Text: "Hallo"})
	if !errors.Is(err, conversation.ErrInvalid) {
		t.Fatalf("Send without a chat id: %v", err)
	}
	// Notes and citizen messages are never pushed.
	for _, role := range []string{conversation.RoleNote, conversation.RoleCitizen} {
		if err := h.ch.Send(context.Background(), conversation.Conversation{ID: "tx", Address: "111111111"}, conversation.Message{Role: role, Text: "intern"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.fake.Sent()) != 0 {
		t.Fatal("a note or a citizen message was sent")
	}
}

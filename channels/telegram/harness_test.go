package telegram

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/telegramtest"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/internal/testtime"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

// backend is a conversation store that is also the bus and keeps
// idempotency keys (memory or Redis).
type backend interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

const (
	testSecret  = "s3cret-Token_0123456789"
	testIDKey   = "test-installation-key-0123456789"
	testWebhook = "https://chat.musterstadt.example/telegram/webhook"
	privacyURL  = "https://www.musterstadt.example/datenschutz"
	erika       = int64(111111111) // a citizen's chat id (= user id in private chats)
	john        = int64(222222222)
)

type harness struct {
	t        testing.TB
	fake     *telegramtest.Server
	store    backend
	desk     *handoff.Desk
	accounts *accounts.Store
	svc      *dialog.Service
	registry *channels.Registry
	ch       *Channel
	srv      *httptest.Server // the webhook route, as civibot serves it
	logs     *syncBuffer
	sleeps   *sleepRecorder
	cancel   context.CancelFunc
	done     chan error
}

type harnessOptions struct {
	mode     string               // default webhook
	fake     *telegramtest.Server // share one fake between instances
	store    backend              // default: memory
	rdb      redis.UniversalClient
	instance string // InstanceHeader value of this instance's Bot API calls
	online   bool   // caseworker anna is at her desk
	cfg      func(*Config)
	noRun    bool // do not start Run (tests that drive it themselves)
}

// instanceTransport marks an instance's Bot API calls for the fake.
type instanceTransport struct{ name string }

func (t instanceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(telegramtest.InstanceHeader, t.name)
	return http.DefaultTransport.RoundTrip(r)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = testcity.LogBuffer

// sleepRecorder records the waits the channel asks for and waits a
// little instead (tests check the waits asked for, not the time spent).
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return sleepCtx(ctx, min(d, 20*time.Millisecond))
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newHarness(t testing.TB, ho harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	kb, err := sampleKB()
	if err != nil {
		t.Fatalf("sample city: %v", err)
	}
	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: ho.fake, store: ho.store, logs: &syncBuffer{}, sleeps: &sleepRecorder{}}
	if h.fake == nil {
		h.fake = telegramtest.New(t)
	}
	if h.store == nil {
		h.store = conversation.NewMemory(conversation.Options{})
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h.accounts, err = accounts.NewMemory(accounts.Config{BcryptCost: accounts.MinBcryptCost}, "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.accounts.AddUser(ctx, "anna", "Anna Berger", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var queue handoff.Queue = handoff.NewMemoryQueue()
	if ho.rdb != nil {
		if queue, err = handoff.NewRedisQueue(ho.rdb, conversation.DefaultPrefix); err != nil {
			t.Fatal(err)
		}
	}
	h.registry = channels.NewRegistry()
	h.desk, err = handoff.New(handoff.Config{}, handoff.Options{State: h.store, Queue: queue, Registry: h.registry, Users: h.accounts, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if ho.online {
		if err := h.desk.Heartbeat(ctx, "anna"); err != nil {
			t.Fatal(err)
		}
	}
	h.svc, err = dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: h.store, Bus: h.store, Desk: h.desk, Log: log})
	if err != nil {
		t.Fatal(err)
	}

	cfg := Config{
		Enabled: true, Token: telegramtest.Token, Mode: ho.mode,
		WebhookURL: testWebhook, WebhookSecret: testSecret, APIEndpoint: h.fake.URL,
		PollTimeout: time.Second, RequestTimeout: 3 * time.Second, HandleTimeout: 10 * time.Second,
		MaxRetryWait: 5 * time.Second, LockTTL: 3 * time.Second,
		// Tests send faster than a citizen reads; TestPacing checks the
		// defaults.
		MessagesPerSecond: 1000, ChatMessagesPerMinute: 600, ChatBurst: 100,
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeWebhook
	}
	if ho.cfg != nil {
		ho.cfg(&cfg)
	}
	var client *http.Client
	if ho.instance != "" {
		client = &http.Client{Transport: instanceTransport{ho.instance}}
	}
	h.ch, err = New(cfg, h.svc, Options{
		IDKey: []byte(testIDKey), Idempotency: h.store, Redis: ho.rdb,
		CityName: "Musterstadt", PrivacyURL: privacyURL, Retention: 30 * 24 * time.Hour,
		Names: accountNames{h.accounts}, HTTPClient: client, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ch.sleep = h.sleeps.sleep
	h.ch.backoff = 10 * time.Millisecond
	h.ch.maxPollWait = 100 * time.Millisecond
	h.ch.busyPollWait = 50 * time.Millisecond
	h.registry.Register(conversation.ChannelTelegram, h.ch)

	mux := http.NewServeMux()
	mux.Handle("POST "+h.ch.Path(), h.ch)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)

	if !ho.noRun {
		h.start()
	}
	return h
}

// start runs the channel (Run) until the test ends or stop is called.
func (h *harness) start() {
	rctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.ch.Run(rctx) }()
	h.t.Cleanup(h.stop)
	if h.ch.Mode() == ModeWebhook {
		testtime.WaitFor(h.t, 15*time.Second, "the webhook to be registered", func() bool { return h.ch.webhookSet.Load() })
	} else {
		testtime.WaitFor(h.t, 15*time.Second, "the channel to connect", func() bool { return h.ch.api.Load() != nil })
	}
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		h.t.Errorf("Run did not return")
	}
	h.cancel = nil
}

// accountNames shows caseworkers' display names (what serve wires up).
type accountNames struct{ a *accounts.Store }

func (n accountNames) DisplayName(ctx context.Context, username string) (string, error) {
	u, err := n.a.User(ctx, username)
	if err != nil {
		return "", err
	}
	return u.DisplayName, nil
}

// post delivers raw as Telegram does, with the given secret ("" = none).
func (h *harness) post(raw, secret string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+h.ch.Path(), strings.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deliver posts an update with the right secret and wants 200.
func (h *harness) deliver(raw string) {
	h.t.Helper()
	if code, body := h.post(raw, testSecret); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d %s", code, body)
	}
}

// conversation returns the citizen's conversation and its messages.
func (h *harness) conversation(chatID int64) (conversation.Conversation, []conversation.Message, error) {
	h.t.Helper()
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), chatID)
	c, err := h.store.Get(ctx, id)
	if err != nil {
		return c, nil, err
	}
	msgs, err := h.store.Messages(ctx, id, 0, 0)
	return c, msgs, err
}

// Updates as Telegram sends them (shapes captured from the Bot API
// documentation's examples and real bots; ids are made up).

const date = 1735725600

func user(id int64, lang string) string {
	return fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":"Erika","last_name":"Mustermann","username":"erika_m","language_code":%q}`, id, lang)
}

func privateChat(id int64) string {
	return fmt.Sprintf(`{"id":%d,"first_name":"Erika","last_name":"Mustermann","username":"erika_m","type":"private"}`, id)
}

const groupChat = `{"id":-1001234567890,"title":"Nachbarschaft Musterstadt","type":"supergroup"}`

const botUser = `{"id":7000000001,"is_bot":true,"first_name":"Musterstadt","username":"musterstadt_bot"}`

func jsonString(s string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%q", s)
	return b.String()
}

func textUpdate(id int, chat int64, lang, text string) string {
	entities := ""
	if cmd, _, ok := parseCommand(text); ok {
		entities = fmt.Sprintf(`,"entities":[{"offset":0,"length":%d,"type":"bot_command"}]`, len(cmd)+1)
	}
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":%s,"chat":%s,"date":%d,"text":%s%s}}`,
		id, id+1000, user(chat, lang), privateChat(chat), date, jsonString(text), entities)
}

func messageUpdate(id int, chat int64, content string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":%s,"chat":%s,"date":%d,%s}}`,
		id, id+1000, user(chat, "de"), privateChat(chat), date, content)
}

func callbackUpdate(id int, chat int64, lang, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"4382bfdwdsb323b2d%d","from":%s,"message":{"message_id":77,"from":%s,"chat":%s,"date":%d,"text":"Welche dieser Leistungen meinen Sie?"},"chat_instance":"-8273920391827","data":%q}}`,
		id, id, user(chat, lang), botUser, privateChat(chat), date, data)
}

const (
	photoContent    = `"photo":[{"file_id":"AgACAgIAAxkBAAIBZ2d","file_unique_id":"AQADq8MxG","file_size":1453,"width":90,"height":67},{"file_id":"AgACAgIAAxkBAAIBZ2e","file_unique_id":"AQADq8MxH","file_size":21456,"width":320,"height":240}],"caption":"Mein Ausweis"`
	stickerContent  = `"sticker":{"width":512,"height":512,"emoji":"👍","set_name":"HotCherry","is_animated":true,"is_video":false,"type":"regular","thumbnail":{"file_id":"AAMCAgADGQEAA","file_unique_id":"AQADv","file_size":5142,"width":128,"height":128},"file_id":"CAACAgIAAxkBAAIB","file_unique_id":"AgADvAADr8ZRGg","file_size":38612}`
	voiceContent    = `"voice":{"duration":3,"mime_type":"audio/ogg","file_id":"AwACAgIAAxkBAAIB","file_unique_id":"AgADbhEAAj","file_size":7328}`
	locationContent = `"location":{"latitude":52.520008,"longitude":13.404954}`
	documentContent = `"document":{"file_name":"Bescheid.pdf","mime_type":"application/pdf","file_id":"BQACAgIAAxkBAAIB","file_unique_id":"AgADxxAAAj","file_size":183245}`
	contactContent  = `"contact":{"phone_number":"+4915112345678","first_name":"Erika","user_id":111111111}`
	pinnedContent   = `"pinned_message":{"message_id":5,"chat":{"id":111111111,"type":"private"},"date":1735725000,"text":"x"}`
)

// flakyStore is the memory backend with an off switch: while down, reads
// and appends fail as a store that is away does.
type flakyStore struct {
	*conversation.Memory
	down atomic.Bool
}

func (f *flakyStore) Get(ctx context.Context, id string) (conversation.Conversation, error) {
	if f.down.Load() {
		return conversation.Conversation{}, fmt.Errorf("flaky: get: %w", conversation.ErrUnavailable)
	}
	return f.Memory.Get(ctx, id)
}

func (f *flakyStore) Append(ctx context.Context, id string, m conversation.Message) (conversation.Message, bool, error) {
	if f.down.Load() {
		return conversation.Message{}, false, fmt.Errorf("flaky: append: %w", conversation.ErrUnavailable)
	}
	return f.Memory.Append(ctx, id, m)
}

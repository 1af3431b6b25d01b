package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// The dialog service's Desk interface (dialog/service.go), restated so the
// desk is checked against it without importing dialog.
var _ interface {
	Request(ctx context.Context, conversationID string, r conversation.HandoffRequest) (conversation.QueueStatus, error)
	Position(ctx context.Context, conversationID string) (conversation.QueueStatus, error)
	Ticket(ctx context.Context, conversationID string, c conversation.Contact) error
} = (*Desk)(nil)

// storeBus is what both conversation backends are.
type storeBus interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

// recorder is a channels.Sender that records what it is asked to push.
type recorder struct {
	mu   sync.Mutex
	sent []conversation.Message
	fail error
}

func (r *recorder) Send(ctx context.Context, c conversation.Conversation, m conversation.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) messages() []conversation.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// fixture is one desk on one backend with everything it needs.
type fixture struct {
	backend string
	clock   *testtime.Clock
	store   storeBus
	queue   Queue
	users   *accounts.Store
	sent    *recorder
	reg     *channels.Registry
	cfg     Config
	desk    *Desk
	srv     *redistest.Server // nil for memory
}

func testConfig() Config {
	return Config{WatchInterval: 50 * time.Millisecond, ReclaimAfter: 400 * time.Millisecond}
}

var ctx = context.Background()

func newFixture(t testing.TB, backend string, cfg Config) *fixture {
	t.Helper()
	f := &fixture{backend: backend, clock: testtime.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)), sent: &recorder{}, reg: channels.NewRegistry(), cfg: cfg}
	f.reg.Register(conversation.ChannelTelegram, f.sent)
	f.reg.Register(conversation.ChannelSMS, f.sent)
	users, err := caseworkers()
	if err != nil {
		t.Fatal(err)
	}
	f.users = users
	switch backend {
	case "memory":
		f.store = conversation.NewMemory(conversation.Options{Now: f.clock.Now})
		f.queue = NewMemoryQueue()
	case "redis":
		f.srv = redistest.Start(t)
		f.store, f.queue = f.redisParts(t)
	default:
		t.Fatalf("unknown backend %s", backend)
	}
	f.desk = f.newDesk(t, f.store, f.queue)
	return f
}

// caseworkers are the accounts every desk test knows: erika, max and anna,
// and gone (disabled). The desk only looks them up, so one store serves the
// whole test binary (bcrypt is slow under the race detector).
var caseworkers = sync.OnceValues(func() (*accounts.Store, error) {
	users, err := accounts.NewMemory(accounts.Config{BcryptCost: accounts.MinBcryptCost}, "", accounts.Options{})
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"erika", "max", "anna", "gone"} {
		if _, err := users.AddUser(ctx, name, "", accounts.RoleCaseworker, "correct horse battery"); err != nil {
			return nil, err
		}
	}
	return users, users.SetDisabled(ctx, "gone", true)
})

// redisParts connects another "instance" to the fixture's Redis: its own
// client, store and queue.
func (f *fixture) redisParts(t testing.TB) (storeBus, Queue) {
	t.Helper()
	client := f.srv.Client(t)
	q, err := NewRedisQueue(client, "")
	if err != nil {
		t.Fatal(err)
	}
	return conversation.NewRedis(client, conversation.Options{Now: f.clock.Now}), q
}

// withConsumer names the test's desk in the stream's consumer group.
func withConsumer(name string) func(*Options) { return func(o *Options) { o.Consumer = name } }

func (f *fixture) newDesk(t testing.TB, store storeBus, q Queue, opts ...func(*Options)) *Desk {
	t.Helper()
	o := Options{State: store, Queue: q, Registry: f.reg, Users: f.users, Now: f.clock.Now}
	for _, opt := range opts {
		opt(&o)
	}
	d, err := New(f.cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// instance is a second civibot instance on the same Redis.
func (f *fixture) instance(t testing.TB, opts ...func(*Options)) (*Desk, storeBus) {
	t.Helper()
	store, q := f.redisParts(t)
	return f.newDesk(t, store, q, opts...), store
}

// run starts d's watcher until the test ends or stop is called.
func run(t *testing.T, d *Desk) (stop func()) {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(c)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// conv creates a conversation with one citizen message.
func (f *fixture) conv(t testing.TB, id, channel, lang, question string) conversation.Conversation {
	t.Helper()
	addr := ""
	if channel != conversation.ChannelWeb {
		addr = "+4930123456"
	}
	c, err := f.store.Create(ctx, conversation.Conversation{ID: id, Channel: channel, Address: addr, Language: lang, Status: conversation.StatusBot})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, Text: question, Language: lang}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) get(t testing.TB, id string) conversation.Conversation {
	t.Helper()
	c, err := f.store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) request(t testing.TB, id, question string) conversation.QueueStatus {
	t.Helper()
	q, err := f.desk.Request(ctx, id, conversation.HandoffRequest{
		Reason: "low_confidence", Language: "de", Channel: conversation.ChannelWeb, Question: question,
		Candidates: []conversation.PageRef{{ID: "personalausweis", Title: "Personalausweis", Score: 0.4}},
	})
	if err != nil {
		t.Fatalf("request %s: %v", id, err)
	}
	return q
}

func (f *fixture) online(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := f.desk.Heartbeat(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(c conversation.Conversation) []string {
	if c.Handoff == nil {
		return nil
	}
	var out []string
	for _, a := range c.Handoff.Audit {
		out = append(out, a.Action)
	}
	return out
}

func (f *fixture) messages(t *testing.T, id string) []conversation.Message {
	t.Helper()
	ms, err := f.store.Messages(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func lastMessage(t *testing.T, ms []conversation.Message) conversation.Message {
	t.Helper()
	if len(ms) == 0 {
		t.Fatal("no messages")
	}
	return ms[len(ms)-1]
}

func summaryIDs(ss []Summary) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ConversationID)
	}
	return out
}

// events subscribes to a bus topic and decodes payloads into T (catch-up
// notices are skipped).
func events[T any](t testing.TB, bus conversation.Bus, topic string) <-chan T {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	ch, stop, err := bus.Subscribe(c, topic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	out := make(chan T, 256)
	go func() {
		defer close(out)
		for p := range ch {
			if len(p) == 0 {
				continue
			}
			var v T
			if err := json.Unmarshal(p, &v); err == nil {
				out <- v
			}
		}
	}()
	return out
}

// expect reads events until one matches or 5 s pass.
func expect[T any](t *testing.T, ch <-chan T, what string, match func(T) bool) T {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-timeout:
			t.Fatalf("no event %s within 5s", what)
		}
	}
}

func queueEvent(typ, id string) func(QueueEvent) bool {
	return func(e QueueEvent) bool { return e.Type == typ && e.ConversationID == id }
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func TestDeskMemory(t *testing.T) { testDesk(t, "memory") }

func TestDeskRedis(t *testing.T) { testDesk(t, "redis") }

// testDesk is the desk's contract on one backend.
func testDesk(t *testing.T, backend string) {
	t.Run("request and position", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Wie beantrage ich einen Ausweis für mein Kind?")
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Frage zwei")
		q := f.request(t, "c1", "  Wie beantrage ich einen AUSWEIS für mein Kind?! ")
		if !q.Queued || q.Position != 1 || q.Ticket {
			t.Errorf("first request = %+v, want queued at 1", q)
		}
		expect(t, queue, "requested c1", queueEvent(ActionRequested, "c1"))
		c := f.get(t, "c1")
		if c.Status != conversation.StatusWaiting || c.Handoff == nil || c.Handoff.Reason != "low_confidence" ||
			!c.Handoff.Requested.Equal(f.clock.Now()) || len(c.Handoff.Candidates) != 1 {
			t.Fatalf("conversation after request = %+v / %+v", c, c.Handoff)
		}
		if got := actions(c); !slices.Equal(got, []string{ActionRequested}) {
			t.Errorf("audit = %v", got)
		}
		if c.Context.HandedOffFor != "wie beantrage ich einen ausweis für mein kind" {
			t.Errorf("HandedOffFor = %q", c.Context.HandedOffFor)
		}
		f.clock.Advance(time.Second)
		if q := f.request(t, "c2", "Frage zwei"); !q.Queued || q.Position != 2 {
			t.Errorf("second conversation = %+v, want position 2", q)
		}
		if q, err := f.desk.Position(ctx, "c2"); err != nil || q.Position != 2 || !q.Queued {
			t.Errorf("Position(c2) = %+v, %v", q, err)
		}
		f.conv(t, "c3", conversation.ChannelWeb, "de", "nichts")
		if q, err := f.desk.Position(ctx, "c3"); err != nil || q != (conversation.QueueStatus{}) {
			t.Errorf("Position of a bot conversation = %+v, %v; want zero", q, err)
		}
		_, err := f.desk.Request(ctx, "nope", conversation.HandoffRequest{Reason: "button"})
		wantErr(t, err, ErrNotFound)
		_, err = f.desk.Position(ctx, "nope")
		wantErr(t, err, ErrNotFound)
		w, err := f.desk.Waiting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := summaryIDs(w); !slices.Equal(ids, []string{"c1", "c2"}) {
			t.Fatalf("waiting = %v", ids)
		}
		s := w[0]
		if s.Position != 1 || s.Channel != "web" || s.Language != "de" || s.Reason != "low_confidence" ||
			!strings.HasPrefix(s.Excerpt, "Wie beantrage") || !s.Since.Equal(c.Handoff.Requested) || len(s.Candidates) != 1 {
			t.Errorf("waiting entry = %+v", s)
		}
	})

	t.Run("not queued twice", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "c1", "Hallo")
		f.clock.Advance(time.Minute)
		if q := f.request(t, "c1", "Hallo"); q.Position != 1 {
			t.Errorf("second request = %+v", q)
		}
		// Concurrent requests: still one entry.
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.desk.Request(ctx, "c2", conversation.HandoffRequest{Reason: "button"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		w, err := f.queue.Waiting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := entryIDs(w); !slices.Equal(ids, []string{"c1", "c2"}) {
			t.Errorf("queue = %v, want each once", ids)
		}
		if got := actions(f.get(t, "c2")); !slices.Equal(got, []string{ActionRequested}) {
			t.Errorf("c2 audit after concurrent requests = %v, want one request", got)
		}
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		q := f.request(t, "c1", "Hallo")
		if q.Queued || q.Ticket {
			t.Errorf("request while claimed = %+v, want nothing queued", q)
		}
		if c := f.get(t, "c1"); c.Status != conversation.StatusClaimed || c.Assignee != "erika" {
			t.Errorf("claimed conversation changed by a request: %s %s", c.Status, c.Assignee)
		}
		if w, _ := f.desk.Waiting(ctx); !slices.Equal(summaryIDs(w), []string{"c2"}) {
			t.Errorf("waiting = %v", summaryIDs(w))
		}
	})

	t.Run("claim race", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "c1", "Hallo")
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.desk.Claim(ctx, "c1", fmt.Sprintf("cw%02d", i))
			}()
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, ErrAlreadyClaimed):
				t.Errorf("claimer %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d claims won, want exactly 1", winners)
		}
		c := f.get(t, "c1")
		if c.Status != conversation.StatusClaimed || !strings.HasPrefix(c.Assignee, "cw") || !c.Handoff.Claimed.Equal(f.clock.Now()) {
			t.Errorf("after race: %s %q claimed %v", c.Status, c.Assignee, c.Handoff.Claimed)
		}
		if got := actions(c); !slices.Equal(got, []string{ActionRequested, ActionClaimed}) {
			t.Errorf("audit = %v, want one claim", got)
		}
		notices := 0
		for _, m := range f.messages(t, "c1") {
			if m.Role == conversation.RoleSystem && strings.Contains(m.Text, "hat das Gespräch übernommen") {
				notices++
			}
		}
		if notices != 1 {
			t.Errorf("%d claim notices in the transcript, want 1", notices)
		}
		// The winner claiming again is fine; the queue is empty.
		if _, err := f.desk.Claim(ctx, "c1", c.Assignee); err != nil {
			t.Errorf("winner claims again: %v", err)
		}
		if w, _ := f.desk.Waiting(ctx); len(w) != 0 {
			t.Errorf("waiting after claim = %v", summaryIDs(w))
		}
		if mine, _ := f.desk.Mine(ctx, c.Assignee); !slices.Equal(summaryIDs(mine), []string{"c1"}) {
			t.Errorf("mine = %v", summaryIDs(mine))
		}
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
		_, err := f.desk.Claim(ctx, "c2", "erika")
		wantErr(t, err, ErrNotWaiting)
		_, err = f.desk.Claim(ctx, "nope", "erika")
		wantErr(t, err, ErrNotFound)
		_, err = f.desk.Claim(ctx, "c2", "")
		wantErr(t, err, ErrInvalid)
	})

	t.Run("reply only by the assignee", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "tg", conversation.ChannelTelegram, "de", "Hallo")
		f.conv(t, "web", conversation.ChannelWeb, "en", "Hello")
		f.request(t, "tg", "Hallo")
		f.request(t, "web", "Hello")
		_, err := f.desk.Reply(ctx, "tg", "erika", "Guten Tag")
		wantErr(t, err, ErrNotAssignee) // waiting, nobody holds it
		for _, id := range []string{"tg", "web"} {
			if _, err := f.desk.Claim(ctx, id, "erika"); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.desk.Reply(ctx, "tg", "max", "Ich mische mich ein")
		wantErr(t, err, ErrNotAssignee)
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		m, err := f.desk.Reply(ctx, "tg", "erika", "  Guten Tag, wie kann ich helfen?  ")
		if err != nil {
			t.Fatal(err)
		}
		expect(t, queue, "replied", func(e QueueEvent) bool { return e == QueueEvent{ActionReplied, "tg", "erika"} })
		if m.Role != conversation.RoleCaseworker || m.Author != "erika" || m.Text != "Guten Tag, wie kann ich helfen?" || m.Seq == 0 {
			t.Errorf("reply = %+v", m)
		}
		sent := f.sent.messages()
		if len(sent) != 2 || sent[0].Role != conversation.RoleSystem || sent[1].Text != m.Text {
			t.Errorf("pushed on telegram: %+v, want the claim notice and the reply", sent)
		}
		if _, err := f.desk.Reply(ctx, "web", "erika", "Hello!"); err != nil {
			t.Fatal(err)
		}
		if n := len(f.sent.messages()); n != 2 {
			t.Errorf("web chat reply was pushed through a sender (%d pushes)", n)
		}
		if last := lastMessage(t, f.messages(t, "web")); last.Text != "Hello!" || last.Author != "erika" {
			t.Errorf("web transcript ends with %+v", last)
		}
		_, err = f.desk.Reply(ctx, "tg", "erika", "   ")
		wantErr(t, err, ErrInvalid)
		_, err = f.desk.Reply(ctx, "tg", "erika", strings.Repeat("x", DefaultMaxTextChars+1))
		wantErr(t, err, ErrInvalid)
		f.sent.setFail(errors.New("telegram says 502"))
		m, err = f.desk.Reply(ctx, "tg", "erika", "Sind Sie noch da?")
		wantErr(t, err, ErrNotDelivered)
		if last := lastMessage(t, f.messages(t, "tg")); last.Seq != m.Seq || last.Text != "Sind Sie noch da?" {
			t.Errorf("undelivered reply not kept: %+v", last)
		}
		if got := actions(f.get(t, "tg")); !slices.Equal(got, []string{ActionRequested, ActionClaimed, ActionReplied, ActionReplied}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("a repeated reply is stored and pushed once", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "tg", conversation.ChannelTelegram, "de", "Hallo")
		f.request(t, "tg", "Hallo")
		if _, err := f.desk.Claim(ctx, "tg", "erika"); err != nil {
			t.Fatal(err)
		}
		pushes := func() int { return len(f.sent.messages()) }
		before, stored := pushes(), len(f.messages(t, "tg"))

		// The browser lost the answer and sends the same reply again.
		first, err := f.desk.ReplyOnce(ctx, "tg", "erika", "r1", "Guten Tag")
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.desk.ReplyOnce(ctx, "tg", "erika", "r1", "Guten Tag")
		if err != nil {
			t.Fatal(err)
		}
		if again.Seq != first.Seq || again.ID != first.ID {
			t.Errorf("repeated reply = seq %d, want the stored seq %d", again.Seq, first.Seq)
		}
		if got := pushes() - before; got != 1 {
			t.Errorf("a reply sent twice with one id was pushed %d times, want 1", got)
		}
		if got := len(f.messages(t, "tg")) - stored; got != 1 {
			t.Errorf("a reply sent twice with one id was stored %d times, want 1", got)
		}

		// The first push fails: the stored reply goes out on the retry, once.
		f.sent.setFail(errors.New("telegram says 502"))
		failed, err := f.desk.ReplyOnce(ctx, "tg", "erika", "r2", "Einen Moment bitte")
		wantErr(t, err, ErrNotDelivered)
		f.sent.setFail(nil)
		for range 2 {
			m, err := f.desk.ReplyOnce(ctx, "tg", "erika", "r2", "Einen Moment bitte")
			if err != nil {
				t.Fatalf("retry after a failed push: %v", err)
			}
			if m.Seq != failed.Seq {
				t.Errorf("retry stored seq %d, want %d", m.Seq, failed.Seq)
			}
		}
		if got := pushes() - before; got != 2 {
			t.Errorf("after a failed push and two retries: %d pushes, want 2 (r1 and r2 once each)", got)
		}

		// Without an id (or with a new one) the same text is a new reply.
		if _, err := f.desk.ReplyOnce(ctx, "tg", "erika", "r3", "Guten Tag"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.Reply(ctx, "tg", "erika", "Guten Tag"); err != nil {
			t.Fatal(err)
		}
		if got := len(f.messages(t, "tg")) - stored; got != 4 {
			t.Errorf("stored %d replies, want 4 (r1, r2, r3 and one without an id)", got)
		}
		// Someone else repeating the assignee's request is still refused.
		_, err = f.desk.ReplyOnce(ctx, "tg", "max", "r1", "Guten Tag")
		wantErr(t, err, ErrNotAssignee)
	})

	t.Run("notes are private", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "tg", conversation.ChannelTelegram, "de", "Hallo")
		f.request(t, "tg", "Hallo")
		if _, err := f.desk.Claim(ctx, "tg", "erika"); err != nil {
			t.Fatal(err)
		}
		before := len(f.sent.messages())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		n, err := f.desk.Note(ctx, "tg", "max", "Bürger hat schon zweimal angerufen")
		if err != nil {
			t.Fatal(err)
		}
		if n.Role != conversation.RoleNote || n.Author != "max" {
			t.Errorf("note = %+v", n)
		}
		expect(t, queue, "noted", queueEvent(ActionNoted, "tg"))
		if after := len(f.sent.messages()); after != before {
			t.Errorf("a note was pushed to the citizen (%d → %d pushes)", before, after)
		}
		tr, err := f.desk.Transcript(ctx, "tg")
		if err != nil {
			t.Fatal(err)
		}
		if last := lastMessage(t, tr.Messages); last.Role != conversation.RoleNote || last.Text != "Bürger hat schon zweimal angerufen" {
			t.Errorf("transcript ends with %+v", last)
		}
		_, err = f.desk.Note(ctx, "tg", "max", "")
		wantErr(t, err, ErrInvalid)
		_, err = f.desk.Note(ctx, "nope", "max", "x")
		wantErr(t, err, ErrNotFound)
	})

	t.Run("transfer", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "c1", "Hallo")
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			from, to string
			want     error
		}{
			{"erika", "nobody", ErrUnknownCaseworker},
			{"erika", "gone", ErrUnknownCaseworker},
			{"erika", "erika", ErrInvalid},
			{"max", "anna", ErrNotAssignee},
		} {
			_, err := f.desk.Transfer(ctx, "c1", tt.from, tt.to)
			if !errors.Is(err, tt.want) {
				t.Errorf("transfer %s → %s: %v, want %v", tt.from, tt.to, err, tt.want)
			}
		}
		c, err := f.desk.Transfer(ctx, "c1", "erika", "max")
		if err != nil {
			t.Fatal(err)
		}
		if c.Assignee != "max" || c.Status != conversation.StatusClaimed {
			t.Errorf("after transfer: %s %s", c.Status, c.Assignee)
		}
		expect(t, queue, "transferred", queueEvent(ActionTransferred, "c1"))
		last := c.Handoff.Audit[len(c.Handoff.Audit)-1]
		if last.Action != ActionTransferred || last.Actor != "erika" || last.Detail != "to max" {
			t.Errorf("audit entry = %+v", last)
		}
		if m := lastMessage(t, f.messages(t, "c1")); m.Role != conversation.RoleSystem || !strings.Contains(m.Text, "übergeben") {
			t.Errorf("citizen not told about the transfer: %+v", m)
		}
		if mine, _ := f.desk.Mine(ctx, "max"); !slices.Equal(summaryIDs(mine), []string{"c1"}) {
			t.Errorf("max's = %v", summaryIDs(mine))
		}
		if mine, _ := f.desk.Mine(ctx, "erika"); len(mine) != 0 {
			t.Errorf("erika's = %v", summaryIDs(mine))
		}
		_, err = f.desk.Reply(ctx, "c1", "erika", "noch da")
		wantErr(t, err, ErrNotAssignee)
		if _, err := f.desk.Reply(ctx, "c1", "max", "Ich übernehme"); err != nil {
			t.Error(err)
		}
	})

	t.Run("give back", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "en", "Where do I renew my passport?")
		f.request(t, "c1", "Where do I renew my passport?")
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		_, err := f.desk.GiveBack(ctx, "c1", "max")
		wantErr(t, err, ErrNotAssignee)
		c, err := f.desk.GiveBack(ctx, "c1", "erika")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != conversation.StatusBot || c.Assignee != "" || c.Context.HandedOffFor != "where do i renew my passport" {
			t.Errorf("after give back: %s %q %q", c.Status, c.Assignee, c.Context.HandedOffFor)
		}
		if m := lastMessage(t, f.messages(t, "c1")); m.Role != conversation.RoleSystem || !strings.Contains(m.Text, "digital assistant") {
			t.Errorf("citizen not told (in English): %+v", m)
		}
		if mine, _ := f.desk.Claimed(ctx); len(mine) != 0 {
			t.Errorf("claimed after give back = %v", summaryIDs(mine))
		}
		_, err = f.desk.GiveBack(ctx, "c1", "erika")
		wantErr(t, err, ErrNotAssignee)
		// Asked again later: a new request, the audit trail continues.
		f.clock.Advance(time.Hour)
		f.online(t, "erika")
		if q := f.request(t, "c1", "Something else"); !q.Queued {
			t.Errorf("new request after give back = %+v", q)
		}
		if got := actions(f.get(t, "c1")); !slices.Equal(got, []string{ActionRequested, ActionClaimed, ActionGaveBack, ActionRequested}) {
			t.Errorf("audit = %v", got)
		}
	})

	t.Run("close after give back", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "c1", "Hallo")
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.GiveBack(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		_, err := f.desk.Close(ctx, "c1", "max", OutcomeResolved)
		wantErr(t, err, ErrNotWaiting)
		c, err := f.desk.Close(ctx, "c1", "erika", OutcomeResolved)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != conversation.StatusBot || c.Handoff.Outcome != OutcomeResolved {
			t.Errorf("after closing a given-back conversation: %s %q, want it with the bot, outcome recorded", c.Status, c.Handoff.Outcome)
		}
		_, err = f.desk.Close(ctx, "c1", "erika", OutcomeSpam)
		wantErr(t, err, ErrNotWaiting)
	})

	t.Run("close", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		for _, id := range []string{"c1", "c2"} {
			f.conv(t, id, conversation.ChannelWeb, "de", "Hallo")
			f.request(t, id, "Hallo")
		}
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		_, err := f.desk.Close(ctx, "c1", "erika", "fixed")
		wantErr(t, err, ErrInvalid)
		_, err = f.desk.Close(ctx, "c1", "max", OutcomeResolved)
		wantErr(t, err, ErrNotAssignee)
		c, err := f.desk.Close(ctx, "c1", "erika", OutcomeResolved)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != conversation.StatusClosed || c.Handoff.Outcome != OutcomeResolved || c.Assignee != "" {
			t.Errorf("closed = %s %q %q", c.Status, c.Handoff.Outcome, c.Assignee)
		}
		if m := lastMessage(t, f.messages(t, "c1")); m.Role != conversation.RoleSystem || !strings.Contains(m.Text, "beendet") {
			t.Errorf("citizen not told: %+v", m)
		}
		// A waiting conversation may be closed by anyone (spam).
		if _, err := f.desk.Close(ctx, "c2", "max", OutcomeSpam); err != nil {
			t.Fatal(err)
		}
		if w, _ := f.desk.Waiting(ctx); len(w) != 0 {
			t.Errorf("waiting after close = %v", summaryIDs(w))
		}
		_, err = f.desk.Close(ctx, "c2", "max", OutcomeSpam)
		wantErr(t, err, ErrNotWaiting)
		_, err = f.desk.Claim(ctx, "c1", "erika")
		wantErr(t, err, ErrNotWaiting)
	})

	t.Run("audit trail", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		t0 := f.clock.Now()
		f.request(t, "c1", "Hallo")
		step := func(fn func() error) {
			t.Helper()
			f.clock.Advance(time.Minute)
			if err := fn(); err != nil {
				t.Fatal(err)
			}
		}
		step(func() error { _, err := f.desk.Claim(ctx, "c1", "erika"); return err })
		step(func() error { _, err := f.desk.Reply(ctx, "c1", "erika", "Hallo!"); return err })
		step(func() error { _, err := f.desk.Note(ctx, "c1", "erika", "privat"); return err })
		step(func() error { _, err := f.desk.Transfer(ctx, "c1", "erika", "max"); return err })
		step(func() error { _, err := f.desk.Close(ctx, "c1", "max", OutcomeCallbackDone); return err })
		want := []conversation.AuditEntry{
			{At: t0, Actor: "bot", Action: ActionRequested, Detail: "low_confidence"},
			{At: t0.Add(1 * time.Minute), Actor: "erika", Action: ActionClaimed},
			{At: t0.Add(2 * time.Minute), Actor: "erika", Action: ActionReplied},
			{At: t0.Add(3 * time.Minute), Actor: "erika", Action: ActionNoted},
			{At: t0.Add(4 * time.Minute), Actor: "erika", Action: ActionTransferred, Detail: "to max"},
			{At: t0.Add(5 * time.Minute), Actor: "max", Action: ActionClosed, Detail: OutcomeCallbackDone},
		}
		got := f.get(t, "c1").Handoff.Audit
		if len(got) != len(want) {
			t.Fatalf("audit = %+v", got)
		}
		for i := range want {
			if !got[i].At.Equal(want[i].At) || got[i].Actor != want[i].Actor || got[i].Action != want[i].Action || got[i].Detail != want[i].Detail {
				t.Errorf("audit[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
	})

	t.Run("outside office hours: ticket", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			hours    OfficeHours
			nextOpen time.Time
		}{
			// The clock stands at Monday 2026-03-02 10:30 in Berlin.
			{"weekday schedule", OfficeHours{Week: map[string]string{"sat": "10:00-12:00"}}, utc("2026-03-07T09:00:00Z")},
			{"holiday", OfficeHours{Week: map[string]string{"mon-fri": "08:00-16:00"}, Holidays: []string{"2026-03-02"}}, utc("2026-03-03T07:00:00Z")},
			{"time zone", OfficeHours{TimeZone: "America/New_York", Week: map[string]string{"mon-fri": "09:00-17:00"}}, utc("2026-03-02T14:00:00Z")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cfg := testConfig()
				cfg.OfficeHours = tt.hours
				f := newFixture(t, backend, cfg)
				queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
				f.online(t, "erika") // someone is online, but the office is closed
				f.conv(t, "c1", conversation.ChannelWeb, "de", "Ich brauche einen Termin")
				q := f.request(t, "c1", "Ich brauche einen Termin")
				if !q.Ticket || q.Queued || !q.NextOpen.Equal(tt.nextOpen) {
					t.Fatalf("request = %+v, want a ticket with next open %v", q, tt.nextOpen)
				}
				expect(t, queue, "ticket", queueEvent(ActionTicket, "c1"))
				c := f.get(t, "c1")
				if c.Status != conversation.StatusTicket || !slices.Equal(actions(c), []string{ActionRequested, ActionTicket}) ||
					c.Handoff.Audit[1].Detail != "outside office hours" {
					t.Errorf("conversation = %s, audit %+v", c.Status, c.Handoff.Audit)
				}
				if p, err := f.desk.Position(ctx, "c1"); err != nil || !p.Ticket || !p.NextOpen.Equal(tt.nextOpen) {
					t.Errorf("position = %+v, %v", p, err)
				}
				tickets, err := f.desk.Tickets(ctx)
				if err != nil || !slices.Equal(summaryIDs(tickets), []string{"c1"}) || tickets[0].Excerpt != "Ich brauche einen Termin" {
					t.Fatalf("tickets = %+v, %v", tickets, err)
				}
				if w, _ := f.desk.Waiting(ctx); len(w) != 0 {
					t.Errorf("waiting = %v", summaryIDs(w))
				}
				// The next shift claims it.
				if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
					t.Fatal(err)
				}
				if tickets, _ := f.desk.Tickets(ctx); len(tickets) != 0 {
					t.Errorf("tickets after claim = %v", summaryIDs(tickets))
				}
			})
		}
	})

	t.Run("nobody online: ticket at once", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		q := f.request(t, "c1", "Hallo")
		if !q.Ticket || !q.NextOpen.IsZero() {
			t.Errorf("request with nobody ever online = %+v, want a ticket without next open", q)
		}
		if c := f.get(t, "c1"); c.Handoff.Audit[1].Detail != "nobody online" {
			t.Errorf("audit = %+v", c.Handoff.Audit)
		}
		f.online(t, "erika")
		f.clock.Advance(DefaultOfflineAfter)
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
		if q := f.request(t, "c2", "Hallo"); !q.Ticket {
			t.Errorf("request %v after the last heartbeat = %+v, want a ticket", DefaultOfflineAfter, q)
		}
		f.online(t, "erika")
		f.conv(t, "c3", conversation.ChannelWeb, "de", "Hallo")
		if q := f.request(t, "c3", "Hallo"); !q.Queued {
			t.Errorf("request with erika online = %+v", q)
		}
		tickets, _ := f.desk.Tickets(ctx)
		if ids := summaryIDs(tickets); !slices.Equal(ids, []string{"c1", "c2"}) {
			t.Errorf("tickets = %v", ids)
		}
	})

	t.Run("nobody online for N minutes: waiting becomes a ticket", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		f.online(t, "erika")
		f.conv(t, "web", conversation.ChannelWeb, "de", "Hallo")
		f.conv(t, "sms", conversation.ChannelSMS, "en", "Hello")
		f.request(t, "web", "Hallo")
		f.request(t, "sms", "Hello")
		run(t, f.desk)
		testtime.WaitFor(t, 5*time.Second, "the watcher to take the entries", func() bool { return len(f.desk.Watching()) == 2 })
		f.clock.Advance(DefaultOfflineAfter - time.Second)
		time.Sleep(5 * f.cfg.WatchInterval)
		if c := f.get(t, "web"); c.Status != conversation.StatusWaiting {
			t.Fatalf("became %s before the timeout", c.Status)
		}
		f.clock.Advance(time.Second)
		testtime.WaitFor(t, 5*time.Second, "both to become tickets", func() bool {
			return f.get(t, "web").Status == conversation.StatusTicket && f.get(t, "sms").Status == conversation.StatusTicket
		})
		expect(t, queue, "ticket", queueEvent(ActionTicket, "web"))
		// The status changes first; the notice is stored and pushed after it.
		testtime.WaitFor(t, 5*time.Second, "both notices to be stored and the sms one pushed", func() bool {
			return strings.Contains(lastMessage(t, f.messages(t, "web")).Text, "Rückruf") &&
				strings.Contains(lastMessage(t, f.messages(t, "sms")).Text, "this number") && len(f.sent.messages()) > 0
		})
		web := f.get(t, "web")
		if !web.Context.AwaitingContact || web.Handoff.Audit[len(web.Handoff.Audit)-1].Detail != "nobody online" {
			t.Errorf("web: awaiting contact %v, audit %+v", web.Context.AwaitingContact, web.Handoff.Audit)
		}
		if m := lastMessage(t, f.messages(t, "web")); m.Role != conversation.RoleSystem || !strings.Contains(m.Text, "Rückruf") {
			t.Errorf("web citizen not offered a callback: %+v", m)
		}
		sms := f.get(t, "sms")
		if sms.Context.AwaitingContact {
			t.Error("sms citizen asked for a number we have")
		}
		if m := lastMessage(t, f.messages(t, "sms")); !strings.Contains(m.Text, "this number") {
			t.Errorf("sms notice = %q", m.Text)
		}
		if sent := f.sent.messages(); len(sent) != 1 || !strings.Contains(sent[0].Text, "this number") {
			t.Errorf("pushed by sms: %+v", sent)
		}
		tickets, _ := f.desk.Tickets(ctx)
		if ids := summaryIDs(tickets); !slices.Equal(ids, []string{"sms", "web"}) && !slices.Equal(ids, []string{"web", "sms"}) {
			t.Errorf("tickets = %v", ids)
		}
		if w, _ := f.desk.Waiting(ctx); len(w) != 0 {
			t.Errorf("waiting = %v", summaryIDs(w))
		}
		testtime.WaitFor(t, 5*time.Second, "the watcher to let go", func() bool { return len(f.desk.Watching()) == 0 })
	})

	t.Run("callback details", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "c1", "Hallo") // nobody online: a ticket
		if err := f.desk.Ticket(ctx, "c1", conversation.Contact{Name: "Erika", Phone: "+49 30 1234567"}); err != nil {
			t.Fatal(err)
		}
		expect(t, queue, "ticket", queueEvent(ActionTicket, "c1"))
		c := f.get(t, "c1")
		if c.Status != conversation.StatusTicket || c.Contact == nil || c.Contact.Phone != "+49 30 1234567" || !c.Contact.Given.Equal(f.clock.Now()) {
			t.Errorf("after ticket: %s %+v", c.Status, c.Contact)
		}
		if last := c.Handoff.Audit[len(c.Handoff.Audit)-1]; last.Action != ActionTicket || last.Actor != "citizen" || last.Detail != "contact: name, phone" {
			t.Errorf("audit entry = %+v (it must name the fields, not the values)", last)
		}
		tickets, _ := f.desk.Tickets(ctx)
		if len(tickets) != 1 || tickets[0].Contact == nil || tickets[0].Contact.Name != "Erika" {
			t.Errorf("tickets = %+v", tickets)
		}
		// Callback details on a conversation that never asked: a ticket too.
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Rufen Sie mich an")
		if err := f.desk.Ticket(ctx, "c2", conversation.Contact{Email: "a@example.org"}); err != nil {
			t.Fatal(err)
		}
		if c := f.get(t, "c2"); c.Status != conversation.StatusTicket || c.Handoff.Reason != "callback" {
			t.Errorf("c2 = %s %+v", c.Status, c.Handoff)
		}
		wantErr(t, f.desk.Ticket(ctx, "nope", conversation.Contact{Phone: "1"}), ErrNotFound)
		// Callback done.
		if _, err := f.desk.Close(ctx, "c1", "erika", OutcomeCallbackDone); err != nil {
			t.Fatal(err)
		}
		if tickets, _ := f.desk.Tickets(ctx); !slices.Equal(summaryIDs(tickets), []string{"c2"}) {
			t.Errorf("tickets after close = %v", summaryIDs(tickets))
		}
	})

	t.Run("stale entries are dropped", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		for _, id := range []string{"gone", "moved", "kept"} {
			f.conv(t, id, conversation.ChannelWeb, "de", "Hallo")
			f.request(t, id, "Hallo")
			f.clock.Advance(time.Second)
		}
		// Deleted behind the desk's back (the citizen's "delete my chat").
		if err := f.store.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		// Changed behind its back (a crash between record and queue write).
		if _, err := f.store.Update(ctx, "moved", func(c *conversation.Conversation) error {
			c.Status = conversation.StatusBot
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.desk.Position(ctx, "kept"); p.Position != 3 {
			t.Errorf("position counts stale entries until they are seen: %d", p.Position)
		}
		w, err := f.desk.Waiting(ctx)
		if err != nil || !slices.Equal(summaryIDs(w), []string{"kept"}) || w[0].Position != 1 {
			t.Fatalf("waiting = %v, %v", w, err)
		}
		if es, _ := f.queue.Waiting(ctx); !slices.Equal(entryIDs(es), []string{"kept"}) {
			t.Errorf("queue still holds %v", entryIDs(es))
		}
		if p, _ := f.desk.Position(ctx, "kept"); p.Position != 1 {
			t.Errorf("position after the stale entries went = %d", p.Position)
		}
		// The watcher drops them too.
		run(t, f.desk)
		f.conv(t, "later", conversation.ChannelWeb, "de", "Hallo")
		f.request(t, "later", "Hallo")
		testtime.WaitFor(t, 5*time.Second, "the watcher to own later", func() bool { return slices.Contains(f.desk.Watching(), "later") })
		if err := f.store.Delete(ctx, "later"); err != nil {
			t.Fatal(err)
		}
		testtime.WaitFor(t, 5*time.Second, "the stale entry to go", func() bool {
			es, _ := f.queue.Waiting(ctx)
			return !slices.Contains(entryIDs(es), "later")
		})
		// A record that waits but lost its queue entry is put back.
		if err := f.queue.Drop(ctx, "kept"); err != nil {
			t.Fatal(err)
		}
		if p, err := f.desk.Position(ctx, "kept"); err != nil || p.Position != 1 || !p.Queued {
			t.Errorf("position of a waiting record without entry = %+v, %v", p, err)
		}
	})

	t.Run("an entry ahead of its record is kept", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		run(t, f.desk)
		// The moment inside Request between its index write and its record
		// update: the entry is there, the record does not wait yet.
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
		if _, err := f.queue.Enqueue(ctx, "c1", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		testtime.WaitFor(t, 5*time.Second, "the watcher to own c1", func() bool { return slices.Contains(f.desk.Watching(), "c1") })
		if w, err := f.desk.Waiting(ctx); err != nil || len(w) != 0 {
			t.Errorf("waiting = %v, %v; want none until the record waits", summaryIDs(w), err)
		}
		time.Sleep(5 * f.cfg.WatchInterval) // several watcher rounds
		if !slices.Contains(f.desk.Watching(), "c1") {
			t.Error("the watcher dropped an entry whose request is under way")
		}
		if es, _ := f.queue.Waiting(ctx); !slices.Equal(entryIDs(es), []string{"c1"}) {
			t.Errorf("queue holds %v, want c1", entryIDs(es))
		}
		f.request(t, "c1", "Hallo") // the record update lands
		if w, err := f.desk.Waiting(ctx); err != nil || !slices.Equal(summaryIDs(w), []string{"c1"}) {
			t.Errorf("waiting = %v, %v; want c1", summaryIDs(w), err)
		}

		// A request that failed half-way: past requestGrace its entry is stale.
		f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
		if _, err := f.queue.Enqueue(ctx, "c2", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(requestGrace + time.Second)
		f.online(t, "erika")
		testtime.WaitFor(t, 5*time.Second, "the stale entry to go", func() bool {
			_, _ = f.desk.Waiting(ctx)
			es, _ := f.queue.Waiting(ctx)
			return !slices.Contains(entryIDs(es), "c2")
		})
	})

	t.Run("wait estimate", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		for i, wait := range []time.Duration{2 * time.Minute, 4 * time.Minute, 30 * time.Minute} {
			id := fmt.Sprintf("old%d", i)
			f.conv(t, id, conversation.ChannelWeb, "de", "Hallo")
			f.request(t, id, "Hallo")
			if q, _ := f.desk.Position(ctx, id); i == 0 && q.Wait != 0 {
				t.Errorf("estimate without samples = %v, want 0", q.Wait)
			}
			f.clock.Advance(wait)
			f.online(t, "erika")
			if _, err := f.desk.Claim(ctx, id, "erika"); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"a", "b"} {
			f.conv(t, id, conversation.ChannelWeb, "de", "Hallo")
			f.request(t, id, "Hallo")
		}
		// Median 4 min × position 2 / 1 online.
		if q, _ := f.desk.Position(ctx, "b"); q.Wait != 8*time.Minute {
			t.Errorf("estimate = %v, want 8m", q.Wait)
		}
		f.online(t, "max")
		if q, _ := f.desk.Position(ctx, "b"); q.Wait != 4*time.Minute {
			t.Errorf("estimate with two online = %v, want 4m", q.Wait)
		}
	})

	t.Run("presence", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		presence := events[PresenceEvent](t, f.store, conversation.TopicPresence)
		run(t, f.desk)
		f.online(t, "erika")
		expect(t, presence, "erika online", func(e PresenceEvent) bool { return e == PresenceEvent{"online", "erika"} })
		f.clock.Advance(30 * time.Second)
		f.online(t, "max", "erika")
		expect(t, presence, "max online", func(e PresenceEvent) bool { return e == PresenceEvent{"online", "max"} })
		ps, err := f.desk.Online(ctx)
		if err != nil || len(ps) != 2 {
			t.Fatalf("online = %+v, %v", ps, err)
		}
		if err := f.desk.Leave(ctx, "max"); err != nil {
			t.Fatal(err)
		}
		expect(t, presence, "max offline", func(e PresenceEvent) bool { return e == PresenceEvent{"offline", "max"} })
		f.clock.Advance(DefaultPresenceTimeout + time.Second)
		expect(t, presence, "erika offline", func(e PresenceEvent) bool { return e == PresenceEvent{"offline", "erika"} })
		if ps, _ := f.desk.Online(ctx); len(ps) != 0 {
			t.Errorf("online = %+v", ps)
		}
		wantErr(t, f.desk.Heartbeat(ctx, ""), ErrInvalid)
	})

	t.Run("transcript", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		f.online(t, "erika")
		f.conv(t, "c1", conversation.ChannelWeb, "de", "Kindergeld?")
		if _, _, err := f.store.Append(ctx, "c1", conversation.Message{Role: conversation.RoleBot, Text: "Ich verbinde Sie.",
			Decision: &conversation.Decision{Kind: "handoff", Reason: "low_confidence", Confidence: 0.2,
				Candidates: []conversation.PageRef{{ID: "kindergeld", Title: "Kindergeld", Score: 0.3}}}}); err != nil {
			t.Fatal(err)
		}
		f.request(t, "c1", "Kindergeld?")
		if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.Note(ctx, "c1", "erika", "intern"); err != nil {
			t.Fatal(err)
		}
		tr, err := f.desk.Transcript(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, m := range tr.Messages {
			roles = append(roles, m.Role)
		}
		if !slices.Equal(roles, []string{"citizen", "bot", "system", "note"}) {
			t.Errorf("roles = %v", roles)
		}
		if d := tr.Messages[1].Decision; d == nil || len(d.Candidates) != 1 || d.Candidates[0].ID != "kindergeld" {
			t.Errorf("bot decision = %+v", d)
		}
		if tr.Conversation.Status != conversation.StatusClaimed {
			t.Errorf("status = %s", tr.Conversation.Status)
		}
		_, err = f.desk.Transcript(ctx, "nope")
		wantErr(t, err, ErrNotFound)
	})

	t.Run("forget and purge", func(t *testing.T) {
		f := newFixture(t, backend, testConfig())
		queue := events[QueueEvent](t, f.store, conversation.TopicQueue)
		f.online(t, "erika")
		f.conv(t, "old", conversation.ChannelWeb, "de", "alt")
		f.request(t, "old", "alt")
		f.clock.Advance(20 * 24 * time.Hour)
		f.online(t, "erika")
		for _, id := range []string{"new", "mine"} {
			f.conv(t, id, conversation.ChannelWeb, "de", "neu")
			f.request(t, id, "neu")
		}
		if _, err := f.desk.Claim(ctx, "mine", "erika"); err != nil {
			t.Fatal(err)
		}
		if err := f.desk.Forget(ctx, "mine"); err != nil {
			t.Fatal(err)
		}
		expect(t, queue, "deleted", queueEvent(EventDeleted, "mine"))
		if _, err := f.store.Get(ctx, "mine"); !errors.Is(err, conversation.ErrNotFound) {
			t.Errorf("forgotten conversation: %v", err)
		}
		if m, _ := f.queue.Assigned(ctx); len(m) != 0 {
			t.Errorf("assigned after forget = %v", m)
		}
		if err := f.desk.Forget(ctx, "mine"); err != nil {
			t.Errorf("forget twice: %v", err)
		}
		if _, err := f.desk.Purge(ctx, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("purge of age 0: %v", err)
		}
		n, err := f.desk.Purge(ctx, 10*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("purge = %d, %v; want 1", n, err)
		}
		if es, _ := f.queue.Waiting(ctx); !slices.Equal(entryIDs(es), []string{"new"}) {
			t.Errorf("queue after purge = %v", entryIDs(es))
		}
	})
}

// Redis only: several instances on one Redis.

func TestDeskRedisClaimRaceAcrossInstances(t *testing.T) {
	f := newFixture(t, "redis", testConfig())
	b, _ := f.instance(t)
	f.online(t, "erika")
	for round := range 5 {
		id := fmt.Sprintf("c%d", round)
		f.conv(t, id, conversation.ChannelWeb, "de", "Hallo")
		f.request(t, id, "Hallo")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := range 8 {
			d := f.desk
			if i%2 == 1 {
				d = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				cw := fmt.Sprintf("cw%d", i)
				_, err := d.Claim(ctx, id, cw)
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, cw)
					mu.Unlock()
				case !errors.Is(err, ErrAlreadyClaimed):
					t.Errorf("claim: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v, want exactly one", round, winners)
		}
		if c := f.get(t, id); c.Assignee != winners[0] {
			t.Errorf("assignee %q, winner %q", c.Assignee, winners[0])
		}
	}
}

func TestDeskRedisVisibleOnOtherInstance(t *testing.T) {
	f := newFixture(t, "redis", testConfig())
	b, storeB := f.instance(t)
	queueB := events[QueueEvent](t, storeB, conversation.TopicQueue)
	f.online(t, "erika")
	f.conv(t, "c1", conversation.ChannelTelegram, "de", "Hallo")
	f.request(t, "c1", "Hallo")
	expect(t, queueB, "request seen on B", queueEvent(ActionRequested, "c1"))
	w, err := b.Waiting(ctx)
	if err != nil || !slices.Equal(summaryIDs(w), []string{"c1"}) {
		t.Fatalf("B's waiting = %v, %v", summaryIDs(w), err)
	}
	// Caseworker on B; the reply goes out on the citizen's channel.
	if _, err := b.Claim(ctx, "c1", "max"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reply(ctx, "c1", "max", "Hallo von B"); err != nil {
		t.Fatal(err)
	}
	if m := lastMessage(t, f.messages(t, "c1")); m.Text != "Hallo von B" {
		t.Errorf("A reads %+v", m)
	}
}

func TestDeskRedisReclaim(t *testing.T) {
	f := newFixture(t, "redis", testConfig())
	f.online(t, "erika")
	a, _ := f.instance(t, withConsumer("instance-a"))
	stopA := run(t, a)
	f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
	f.request(t, "c1", "Hallo")
	testtime.WaitFor(t, 5*time.Second, "A to own c1", func() bool { return slices.Equal(a.Watching(), []string{"c1"}) })
	stopA() // instance A dies holding the entry (no acknowledgement)

	b, _ := f.instance(t, withConsumer("instance-b"))
	stopB := run(t, b)
	start := time.Now()
	testtime.WaitFor(t, 10*time.Second, "B to reclaim c1", func() bool { return slices.Equal(b.Watching(), []string{"c1"}) })
	if d := time.Since(start); d < f.cfg.ReclaimAfter/2 {
		t.Errorf("reclaimed after %v, before the entry was idle for %v", d, f.cfg.ReclaimAfter)
	}
	// B now acts on it: nobody online for OfflineAfter → a ticket.
	f.clock.Advance(DefaultOfflineAfter)
	testtime.WaitFor(t, 5*time.Second, "B to turn c1 into a ticket", func() bool { return f.get(t, "c1").Status == conversation.StatusTicket })

	// A live instance keeps its entries: C takes one, D does not steal it.
	f.online(t, "erika")
	c, _ := f.instance(t, withConsumer("instance-c"))
	f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
	stopB()
	run(t, c)
	f.request(t, "c2", "Hallo")
	testtime.WaitFor(t, 5*time.Second, "C to own c2", func() bool { return slices.Equal(c.Watching(), []string{"c2"}) })
	d, _ := f.instance(t, withConsumer("instance-d"))
	run(t, d)
	time.Sleep(3 * f.cfg.ReclaimAfter)
	if got := d.Watching(); len(got) != 0 {
		t.Errorf("D took %v from the live instance C", got)
	}
	if got := c.Watching(); !slices.Equal(got, []string{"c2"}) {
		t.Errorf("C watches %v", got)
	}
}

func TestDeskRedisRestartUnderSameName(t *testing.T) {
	f := newFixture(t, "redis", testConfig())
	f.online(t, "erika")
	a, _ := f.instance(t, withConsumer("web-1"))
	stop := run(t, a)
	f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
	f.request(t, "c1", "Hallo")
	testtime.WaitFor(t, 5*time.Second, "web-1 to own c1", func() bool { return len(a.Watching()) == 1 })
	stop()
	again, _ := f.instance(t, withConsumer("web-1"))
	run(t, again)
	testtime.WaitFor(t, 5*time.Second, "the restarted web-1 to own c1 at once", func() bool { return len(again.Watching()) == 1 })
}

func TestDeskRedisDown(t *testing.T) {
	f := newFixture(t, "redis", testConfig())
	f.online(t, "erika")
	run(t, f.desk)
	f.conv(t, "c1", conversation.ChannelWeb, "de", "Hallo")
	f.conv(t, "c2", conversation.ChannelWeb, "de", "Hallo")
	f.request(t, "c1", "Hallo")
	testtime.WaitFor(t, 5*time.Second, "the watcher to own c1", func() bool { return len(f.desk.Watching()) == 1 })

	f.srv.Stop(t)
	opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	checks := map[string]error{}
	_, checks["request"] = f.desk.Request(opCtx, "c2", conversation.HandoffRequest{Reason: "button"})
	_, checks["position"] = f.desk.Position(opCtx, "c1")
	_, checks["claim"] = f.desk.Claim(opCtx, "c1", "erika")
	_, checks["waiting"] = f.desk.Waiting(opCtx)
	_, checks["tickets"] = f.desk.Tickets(opCtx)
	checks["heartbeat"] = f.desk.Heartbeat(opCtx, "erika")
	_, checks["online"] = f.desk.Online(opCtx)
	for op, err := range checks {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s while Redis is down: %v, want ErrUnavailable", op, err)
		}
	}

	f.srv.Restart(t)
	testtime.WaitFor(t, 10*time.Second, "Redis back", func() bool {
		_, err := f.desk.Position(ctx, "c1")
		return err == nil
	})
	q, err := f.desk.Position(ctx, "c1")
	if err != nil || !q.Queued || q.Position != 1 {
		t.Errorf("after restart: %+v, %v", q, err)
	}
	if c := f.get(t, "c2"); c.Status != conversation.StatusBot {
		t.Errorf("failed request left c2 %s", c.Status)
	}
	if _, err := f.desk.Claim(ctx, "c1", "erika"); err != nil {
		t.Fatalf("claim after restart: %v", err)
	}
	testtime.WaitFor(t, 5*time.Second, "the watcher to let go of the claimed entry", func() bool { return len(f.desk.Watching()) == 0 })
	// The watcher is alive again: new requests are watched.
	f.online(t, "erika")
	f.request(t, "c2", "Hallo")
	testtime.WaitFor(t, 5*time.Second, "the watcher to take c2", func() bool { return slices.Equal(f.desk.Watching(), []string{"c2"}) })
}

package telegram

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/telegramtest"
	"github.com/civibot/civibot/internal/testtime"
)

func TestPollingOffsets(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: ModePolling})
	h.fake.AddUpdate(textUpdate(5000, erika, "de", "Was kostet ein Personalausweis?"))
	h.fake.AddUpdate(textUpdate(5001, john, "en", "How much is a passport?"))
	h.fake.AddUpdate(messageUpdate(5002, john, stickerContent))
	h.fake.WaitSent(3, 10*time.Second)
	h.fake.WaitFor("the updates to be confirmed", 10*time.Second, func() bool { return len(h.fake.Pending()) == 0 })
	h.fake.AddUpdate(textUpdate(5003, erika, "de", "Und was kostet ein Reisepass?"))
	h.fake.WaitSent(4, 10*time.Second)
	h.fake.WaitFor("the update to be confirmed", 10*time.Second, func() bool { return len(h.fake.Pending()) == 0 })

	offsets := map[int]bool{}
	for _, p := range h.fake.Polls() {
		offsets[p.Offset] = true
		if p.Timeout != 1 || !slices.Equal(p.Allowed, DefaultAllowedUpdates()) {
			t.Errorf("getUpdates with timeout %d, allowed %v", p.Timeout, p.Allowed)
		}
	}
	if !offsets[0] || !offsets[5003] || !offsets[5004] {
		t.Errorf("offsets %v, want 0, then 5003 (after the first three), then 5004", offsets)
	}
	if len(h.fake.SentTo(erika)) != 2 || len(h.fake.SentTo(john)) != 2 {
		t.Errorf("answers: %d to erika, %d to john", len(h.fake.SentTo(erika)), len(h.fake.SentTo(john)))
	}
	if !strings.Contains(h.fake.SentTo(john)[0].Plain, "AI") {
		t.Errorf("English question answered in %q", h.fake.SentTo(john)[0].Plain)
	}
}

// TestPollingRetriesFailedUpdate: an update whose answer cannot be sent
// keeps the offset before it and comes back with the next poll; later
// messages of the same chat wait behind it, other chats go on.
func TestPollingRetriesFailedUpdate(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: ModePolling, noRun: true})
	// Every try of the first send fails (3 attempts), twice over.
	for i := 0; i < 2*maxAttempts; i++ {
		h.fake.Script("sendMessage", telegramtest.ServerError(502))
	}
	h.fake.AddUpdate(textUpdate(5100, erika, "de", "Was kostet ein Personalausweis?"))
	h.fake.AddUpdate(textUpdate(5101, erika, "de", "Und ein Reisepass?"))
	h.start()
	// John writes once the first batch (erika's failing update) is done, so
	// that his answer does not take the scripted failures meant for hers.
	h.fake.WaitFor("the second poll", 15*time.Second, func() bool { return len(h.fake.Polls()) >= 2 })
	h.fake.AddUpdate(textUpdate(5102, john, "de", "Wie melde ich meine Wohnung an?"))
	h.fake.WaitFor("three answers", 15*time.Second, func() bool { return len(h.fake.Sent()) == 3 })
	h.fake.WaitFor("the updates to be confirmed", 10*time.Second, func() bool { return len(h.fake.Pending()) == 0 })

	sent := h.fake.SentTo(erika)
	if len(sent) != 2 || !strings.Contains(sent[0].Plain, "Personalausweis") || !strings.Contains(sent[1].Plain, "Reisepass") {
		t.Fatalf("erika's answers out of order or missing: %+v", sent)
	}
	n := 0
	for _, p := range h.fake.Polls() {
		if p.Offset == 5100 {
			n++
		}
	}
	if n < 2 {
		t.Errorf("the failed update was not polled again (offset 5100 used %d times)", n)
	}
	_, msgs, _ := h.conversation(erika)
	if len(msgs) != 4 {
		t.Errorf("stored %d messages, want 2 questions and 2 answers", len(msgs))
	}
}

func TestPollingSkipsUndecodableUpdate(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: ModePolling})
	h.fake.AddUpdate(`{"update_id":5200,"message":{"message_id":"not a number","chat":{"id":1,"type":"private"}}}`)
	h.fake.AddUpdate(textUpdate(5201, erika, "de", "Was kostet ein Personalausweis?"))
	h.fake.WaitSent(1, 10*time.Second)
	h.fake.WaitFor("both updates to be confirmed", 10*time.Second, func() bool { return len(h.fake.Pending()) == 0 })
}

func TestPollingDeletesWebhook(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: ModePolling, noRun: true})
	h.fake.SetWebhookState("https://old.example/hook")
	h.start()
	h.fake.AddUpdate(textUpdate(5300, erika, "de", "Hallo"))
	h.fake.WaitSent(1, 10*time.Second)
	if wh := h.fake.Webhook(); wh.URL != "" || wh.Deletes == 0 {
		t.Fatalf("webhook %+v", wh)
	}
}

// TestPollingOneInstance: two instances share a real Redis; only the
// lock holder polls, each update is answered once, and when the holder
// stops the other takes over.
func TestPollingOneInstance(t *testing.T) {
	srv := redistest.Start(t)
	fake := telegramtest.New(t)
	rdbA, rdbB := srv.Client(t), srv.Client(t)
	a := newHarness(t, harnessOptions{mode: ModePolling, fake: fake, rdb: rdbA, store: conversation.NewRedis(rdbA, conversation.Options{}), instance: "A"})
	fake.WaitFor("A to poll", 10*time.Second, func() bool { return slices.Contains(fake.Calls("getUpdates"), "A") })
	b := newHarness(t, harnessOptions{mode: ModePolling, fake: fake, rdb: rdbB, store: conversation.NewRedis(rdbB, conversation.Options{}), instance: "B"})

	for i := 0; i < 5; i++ {
		fake.AddUpdate(textUpdate(5400+i, erika+int64(i), "de", "Was kostet ein Personalausweis?"))
	}
	fake.WaitSent(5, 15*time.Second)
	lockTries := func() int { // B waits LockTTL/3 after each failed try
		n := 0
		for _, w := range b.sleeps.all() {
			if w == b.ch.cfg.LockTTL/3 {
				n++
			}
		}
		return n
	}
	testtime.WaitFor(t, 15*time.Second, "B to try the lock twice", func() bool { return lockTries() >= 2 })
	if slices.Contains(fake.Calls("getUpdates"), "B") {
		t.Fatal("B polled while A holds the lock")
	}
	if fake.Calls("getMe")[1] != "B" {
		t.Fatal("B is not running")
	}

	a.stop() // graceful: confirms its offset and releases the lock
	fake.WaitFor("B to take over", 10*time.Second, func() bool { return slices.Contains(fake.Calls("getUpdates"), "B") })
	for i := 0; i < 3; i++ {
		fake.AddUpdate(textUpdate(5410+i, erika+int64(i), "de", "Wie melde ich meine Wohnung an?"))
	}
	fake.WaitSent(8, 15*time.Second)
	fake.WaitFor("the updates to be confirmed", 10*time.Second, func() bool { return len(fake.Pending()) == 0 })
	sent := fake.Sent()
	if len(sent) != 8 {
		t.Fatalf("%d answers to 8 updates", len(sent))
	}
	for _, m := range sent[5:] {
		if m.Instance != "B" {
			t.Errorf("an answer after the takeover came from %q", m.Instance)
		}
	}
}

// TestPollingLockTakenFromDeadHolder: an instance that died without
// releasing the lock holds it until it expires; then another polls.
func TestPollingLockTakenFromDeadHolder(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fake := telegramtest.New(t)
	key := conversation.DefaultPrefix + "telegram:poll:7000000001"
	if err := rdb.Set(context.Background(), key, "token-of-a-dead-instance", 2*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h := newHarness(t, harnessOptions{mode: ModePolling, fake: fake, rdb: rdb, store: conversation.NewRedis(rdb, conversation.Options{}), instance: "A",
		cfg: func(c *Config) { c.LockTTL = 3 * time.Second }})
	fake.AddUpdate(textUpdate(5500, erika, "de", "Was kostet ein Personalausweis?"))
	fake.WaitSent(1, 15*time.Second)
	if time.Since(start) < 1500*time.Millisecond {
		t.Errorf("polled after %v, while the dead instance's lock was still valid", time.Since(start))
	}
	owner, err := rdb.Get(context.Background(), key).Result()
	if err != nil || owner == "token-of-a-dead-instance" {
		t.Fatalf("lock owner %q %v", owner, err)
	}
	h.stop()
	if n, _ := rdb.Exists(context.Background(), key).Result(); n != 0 {
		t.Error("the lock was not released on stop")
	}
}

// TestPollingAfterCrash: a poller died after taking the lease of one
// update and after finishing another without confirming it. The next
// poller waits for the lease to run out, then handles the first and
// skips the second; other updates go on meanwhile.
func TestPollingAfterCrash(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := conversation.NewMemory(conversation.Options{Now: clock})
	h := newHarness(t, harnessOptions{mode: ModePolling, store: store, noRun: true})
	h.ch.now = clock
	ctx := context.Background()
	if ok, err := store.Begin(ctx, h.ch.updateKey(5600), h.ch.updateLease()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := store.Done(ctx, h.ch.updateKey(5601), keepDone); err != nil {
		t.Fatal(err)
	}
	h.fake.AddUpdate(textUpdate(5600, erika, "de", "Was kostet ein Personalausweis?"))
	h.fake.AddUpdate(textUpdate(5601, john, "de", "Schon beantwortet"))
	h.fake.AddUpdate(textUpdate(5602, 333, "de", "Wie melde ich meine Wohnung an?"))
	h.start()
	h.fake.WaitSent(1, 10*time.Second) // the other chat is answered meanwhile
	if len(h.fake.SentTo(333)) != 1 || len(h.fake.Sent()) != 1 {
		t.Fatalf("sent %+v", h.fake.Sent())
	}
	if p := h.fake.Pending(); !slices.Equal(p, []int{5600, 5601, 5602}) {
		t.Fatalf("confirmed before the leases ran out: pending %v", p)
	}
	mu.Lock()
	now = now.Add(h.ch.updateLease() + time.Second)
	mu.Unlock()
	h.fake.WaitFor("all updates to be confirmed", 10*time.Second, func() bool { return len(h.fake.Pending()) == 0 })
	if len(h.fake.SentTo(erika)) != 1 || len(h.fake.SentTo(john)) != 0 || len(h.fake.Sent()) != 2 {
		t.Fatalf("after the leases ran out: erika %d, john %d, all %d", len(h.fake.SentTo(erika)), len(h.fake.SentTo(john)), len(h.fake.Sent()))
	}
}

func TestPollingWebhookCannotBeRemoved(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: ModePolling, noRun: true})
	h.fake.Script("deleteWebhook", telegramtest.Response{Status: 401, Body: `{"ok":false,"error_code":401,"description":"Unauthorized"}`})
	if err := h.ch.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.ch.Run(context.Background()); !errors.Is(err, ErrRejected) {
		t.Fatalf("Run: %v", err)
	}
}

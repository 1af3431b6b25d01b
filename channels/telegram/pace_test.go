package telegram

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	const a, b = int64(1), int64(2)
	type send struct {
		chat int64
		at   time.Duration // after t0
		want time.Duration // wait
	}
	tests := []struct {
		name  string
		cfg   Config
		sends []send
	}{
		{"a burst of three to a chat goes at once, then one a second", DefaultConfig(), []send{
			{a, 0, 0}, {a, 0, 0}, {a, 0, 0}, {a, 0, time.Second}, {a, 0, 2 * time.Second},
		}},
		{"chats do not wait for each other", DefaultConfig(), []send{
			{a, 0, 0}, {a, 0, 0}, {a, 0, 0}, {b, 0, 0}, {b, 0, 0},
		}},
		{"the bucket refills", DefaultConfig(), []send{
			{a, 0, 0}, {a, 0, 0}, {a, 0, 0}, {a, 0, time.Second}, {a, 5 * time.Second, 0}, {a, 5 * time.Second, 0},
		}},
		{"all chats share the bot's rate", Config{MessagesPerSecond: 2, ChatMessagesPerMinute: 60, ChatBurst: 3}, []send{
			{a, 0, 0}, {b, 0, 0}, {3, 0, 500 * time.Millisecond}, {4, 0, time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.cfg.withDefaults())
			for i, s := range tt.sends {
				got, _ := p.reserve(s.chat, t0.Add(s.at))
				if d := got - s.want; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("send %d to chat %d at +%v: wait %v, want %v", i+1, s.chat, s.at, got, s.want)
				}
			}
		})
	}
}

func TestPacerCancelAndSweep(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	p := newPacer(DefaultConfig())
	for range 3 {
		p.reserve(1, t0)
	}
	wait, cancel := p.reserve(1, t0)
	if wait != time.Second {
		t.Fatalf("fourth send waits %v", wait)
	}
	cancel() // the caller could not wait: the booking is given back
	if again, _ := p.reserve(1, t0); again != time.Second {
		t.Errorf("after a cancelled booking the next waits %v, want 1s again", again)
	}
	// Chats idle long enough to be full again are dropped.
	p.reserve(2, t0.Add(2*paceSweepEvery))
	if n := len(p.chats); n != 1 {
		t.Errorf("%d chats remembered after a sweep, want 1", n)
	}
}

// TestPacing: with Telegram's limits, a citizen who writes fast gets every
// answer, the ones beyond the burst a second apart; a wait longer than an
// update may take fails it for a later retry and sends nothing.
func TestPacing(t *testing.T) {
	t.Run("answers wait their turn", func(t *testing.T) {
		h := newHarness(t, harnessOptions{cfg: func(c *Config) {
			c.MessagesPerSecond, c.ChatMessagesPerMinute, c.ChatBurst = DefaultMessagesPerSecond, DefaultChatMessagesPerMinute, DefaultChatBurst
		}})
		// The bot's clock moves only by its waits: how long the engine
		// and the race detector take between two answers on a loaded
		// machine must not count as pacing (it made the second wait 0.19 s
		// in one of 20 runs).
		var mu sync.Mutex
		clock := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		h.ch.now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}
		h.ch.sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			clock = clock.Add(d)
			mu.Unlock()
			return h.sleeps.sleep(ctx, d)
		}
		questions := []string{"Was kostet ein Personalausweis?", "Was kostet ein Reisepass?", "Wo melde ich meinen Hund an?", "Was kostet der Sperrmüll?", "Wann hat das Bürgeramt offen?"}
		for i, q := range questions {
			h.deliver(textUpdate(5000+i, erika, "de", q))
		}
		if n := len(h.fake.SentTo(erika)); n < len(questions) {
			t.Fatalf("%d messages to the citizen, want at least %d", n, len(questions))
		}
		var paced int
		for _, w := range h.sleeps.all() {
			if w > 500*time.Millisecond && w < 10*time.Second {
				paced++
			}
		}
		if paced < 2 {
			t.Errorf("waits %v: want the answers beyond the burst of 3 paced about a second apart", h.sleeps.all())
		}
	})
	t.Run("a wait longer than the update may take is retried later", func(t *testing.T) {
		h := newHarness(t, harnessOptions{cfg: func(c *Config) { c.ChatMessagesPerMinute, c.ChatBurst = 1, 1 }})
		h.deliver(textUpdate(5100, erika, "de", "Was kostet ein Personalausweis?"))
		before := len(h.fake.SentTo(erika))
		update := textUpdate(5101, erika, "de", "Was kostet ein Reisepass?")
		if code, _ := h.post(update, testSecret); code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503 so that Telegram delivers the update again", code)
		}
		if n := len(h.fake.SentTo(erika)); n != before {
			t.Errorf("%d messages sent for the refused update", n-before)
		}
		for _, w := range h.sleeps.all() {
			if w >= 10*time.Second {
				t.Errorf("waited %v inside an update that may take 10s", w)
			}
		}
	})
}

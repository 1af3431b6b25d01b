package telegram

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer keeps this instance's sends within Telegram's limits before
// Telegram has to answer 429: a rate for all messages and a slower one per
// chat, each a token bucket. A send waits for both.
type pacer struct {
	all       *rate.Limiter
	chatRate  rate.Limit
	chatBurst int

	mu        sync.Mutex
	chats     map[int64]*rate.Limiter
	lastSweep time.Time
}

func newPacer(cfg Config) *pacer {
	return &pacer{
		all:       rate.NewLimiter(rate.Limit(cfg.MessagesPerSecond), cfg.MessagesPerSecond),
		chatRate:  rate.Limit(float64(cfg.ChatMessagesPerMinute) / 60),
		chatBurst: cfg.ChatBurst,
		chats:     map[int64]*rate.Limiter{},
	}
}

// paceSweepEvery is how often chats whose bucket is full again are dropped,
// so the table holds only chats written to in the last seconds.
const paceSweepEvery = time.Minute

// reserve books one message to chatID at now and returns how long the send
// must wait, and a cancel that gives the booking back (when the caller
// cannot wait that long).
func (p *pacer) reserve(chatID int64, now time.Time) (time.Duration, func()) {
	p.mu.Lock()
	if now.Sub(p.lastSweep) > paceSweepEvery {
		for id, l := range p.chats {
			if l.TokensAt(now) >= float64(p.chatBurst) {
				delete(p.chats, id)
			}
		}
		p.lastSweep = now
	}
	chat := p.chats[chatID]
	if chat == nil {
		chat = rate.NewLimiter(p.chatRate, p.chatBurst)
		p.chats[chatID] = chat
	}
	rc := chat.ReserveN(now, 1)
	p.mu.Unlock()
	ra := p.all.ReserveN(now, 1)
	return max(rc.DelayFrom(now), ra.DelayFrom(now)), func() {
		rc.CancelAt(now)
		ra.CancelAt(now)
	}
}

// pace waits until a message to chatID may go. A wait longer than ctx
// allows fails as ErrUnavailable (the update is retried later) and books
// nothing.
func (c *Channel) pace(ctx context.Context, chatID int64) error {
	wait, cancel := c.pacer.reserve(chatID, c.now())
	if wait <= 0 {
		return nil
	}
	if !fits(ctx, wait) {
		cancel()
		return fmt.Errorf("%w: sending to this chat must wait %v, longer than this update may take", ErrUnavailable, wait.Round(time.Millisecond))
	}
	if err := c.sleep(ctx, wait); err != nil {
		cancel()
		return err
	}
	return nil
}

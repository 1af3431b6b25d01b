package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/civibot/civibot/internal/redislock"
)

// poll polls until ctx ends. With Redis, only the holder of the polling
// lock polls; the others wait to take it over when the holder stops or
// dies (the lock expires LockTTL after its last renewal).
func (c *Channel) poll(ctx context.Context) error {
	if c.rdb == nil {
		return c.pollAsHolder(ctx)
	}
	lock, err := redislock.New(c.rdb, c.lockKey, c.cfg.LockTTL)
	if err != nil {
		return err
	}
	warned := false
	for ctx.Err() == nil {
		ok, err := lock.Acquire(ctx)
		if err != nil && ctx.Err() == nil && !warned {
			c.log.WarnContext(ctx, "telegram: polling lock unavailable, retrying", "error", err)
			warned = true
		}
		if !ok {
			if c.sleep(ctx, c.cfg.LockTTL/3) != nil {
				break
			}
			continue
		}
		warned = false
		c.log.InfoContext(ctx, "telegram polling: this instance holds the lock")
		hctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel()
			c.keepLock(hctx, lock)
		}()
		perr := c.pollAsHolder(hctx)
		cancel()
		wg.Wait()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		if err := lock.Release(rctx); err != nil {
			c.log.WarnContext(ctx, "telegram: release polling lock failed (it expires by itself)", "error", err)
		}
		rcancel()
		c.log.InfoContext(ctx, "telegram polling: lock released")
		if perr != nil {
			return perr
		}
	}
	return nil
}

// keepLock renews the lock every LockTTL/3 and returns when ctx ends or the
// lock is lost: taken by another instance, or not renewed in time while
// Redis was away.
func (c *Channel) keepLock(ctx context.Context, lock *redislock.Lock) {
	every := c.cfg.LockTTL / 3
	lastOK := time.Now()
	for {
		if sleepCtx(ctx, every) != nil {
			return
		}
		ok, err := lock.Renew(ctx)
		switch {
		case err == nil && ok:
			lastOK = time.Now()
		case err == nil:
			c.log.WarnContext(ctx, "telegram polling: lock lost to another instance")
			return
		case time.Since(lastOK)+every >= c.cfg.LockTTL:
			c.log.WarnContext(ctx, "telegram polling: could not renew the lock in time, stopping", "error", err)
			return
		}
	}
}

// poller is the offset bookkeeping of one polling session.
type poller struct {
	offset int
	// completed: handled in this session but maybe not yet confirmed to
	// Telegram (the offset stops at the first update that is not).
	completed map[int]bool
	// waiting: updates another worker held when first seen, since when.
	waiting map[int]time.Time
}

// pollAsHolder polls until ctx ends. The offset only moves past updates
// that are done, so a failed update comes back with the next getUpdates;
// on the way out the offset is confirmed to Telegram, so the next poller
// starts after what this one did. It returns an error only when Telegram
// refuses to switch the webhook off.
func (c *Channel) pollAsHolder(ctx context.Context) error {
	if err := c.retry(ctx, "delete webhook", c.deleteWebhook); err != nil {
		return err
	}
	p := &poller{completed: map[int]bool{}, waiting: map[int]time.Time{}}
	failures := 0
	warned := false
	for ctx.Err() == nil {
		raws, err := c.getUpdates(ctx, p.offset, c.cfg.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			if !warned {
				msg := "telegram polling: getUpdates failed, retrying"
				var e *apiError
				if errors.As(err, &e) && e.code == http.StatusConflict {
					msg = "telegram polling: conflict (a webhook is set, or another process polls with this token), retrying"
				}
				c.log.WarnContext(ctx, msg, "error", err)
				warned = true
			}
			_ = c.sleep(ctx, c.pollWait(failures))
			continue
		}
		if warned {
			c.log.InfoContext(ctx, "telegram polling: getUpdates works again")
			warned = false
		}
		failed, waiting := c.handleBatch(ctx, p, raws)
		switch {
		case failed:
			failures++
			_ = c.sleep(ctx, c.pollWait(failures))
		case waiting:
			failures = 0
			_ = c.sleep(ctx, c.busyPollWait)
		default:
			failures = 0
		}
	}
	if p.offset > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		if _, err := c.getUpdates(cctx, p.offset, 0); err != nil {
			c.log.WarnContext(ctx, "telegram polling: confirming the offset failed (the next poller sees some updates again and skips them)", "error", err)
		}
		cancel()
	}
	return nil
}

func (c *Channel) pollWait(failures int) time.Duration {
	d := c.backoff
	for i := 1; i < failures && d < c.maxPollWait; i++ {
		d *= 2
	}
	return min(d, c.maxPollWait)
}

// getUpdates asks for updates from offset on, waiting up to timeout for
// one. Each update comes back raw: one that does not decode must not
// block the others.
func (c *Channel) getUpdates(ctx context.Context, offset int, timeout time.Duration) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+c.cfg.RequestTimeout)
	defer cancel()
	cfg := tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: int(timeout / time.Second), AllowedUpdates: c.cfg.AllowedUpdates}
	resp, err := c.request(ctx, "getUpdates", chattable(cfg))
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raws); err != nil {
		return nil, &apiError{method: "getUpdates", kind: ErrUnavailable, err: fmt.Errorf("result is not a list of updates: %w", err)}
	}
	return raws, nil
}

// handleBatch handles updates in order. An update that fails for now
// keeps the offset before it and holds back later updates of the same chat
// (their order matters); other chats go on. It reports whether an update
// failed and whether one is held by another worker.
func (c *Channel) handleBatch(ctx context.Context, p *poller, raws []json.RawMessage) (failed, waiting bool) {
	var ids []int
	heldChats := map[int64]bool{}
	for _, raw := range raws {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.UpdateID <= 0 {
			c.log.WarnContext(ctx, "telegram polling: skipped an update without update_id")
			continue
		}
		id := head.UpdateID
		ids = append(ids, id)
		if p.completed[id] {
			continue
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			c.log.WarnContext(ctx, "telegram polling: skipped an update that does not decode", "update_id", id, "error", err)
			p.completed[id] = true
			continue
		}
		chat := chatOf(u)
		if chat != 0 && heldChats[chat] {
			continue
		}
		res, _ := c.process(ctx, u)
		switch res {
		case handled:
			p.completed[id] = true
			delete(p.waiting, id)
		case busy:
			// Held by another worker (one that may have died): a lease
			// ends within updateLease, when this poller takes the update;
			// one still held after that was taken by another worker, which
			// handles it.
			first, seen := p.waiting[id]
			if !seen {
				p.waiting[id] = c.now()
			} else if c.now().Sub(first) > c.updateLease() {
				p.completed[id] = true
				delete(p.waiting, id)
				continue
			}
			waiting = true
			heldChats[chat] = chat != 0
		case retry:
			failed = true
			heldChats[chat] = chat != 0
		}
	}
	p.advance(ids)
	return failed, waiting
}

// advance moves the offset to the first update of the batch that is not
// completed (or past the batch) and forgets what lies before it.
func (p *poller) advance(ids []int) {
	if len(ids) == 0 {
		return
	}
	sort.Ints(ids)
	next := ids[len(ids)-1] + 1
	for _, id := range ids {
		if !p.completed[id] {
			next = id
			break
		}
	}
	p.offset = max(p.offset, next)
	for id := range p.completed {
		if id < p.offset {
			delete(p.completed, id)
		}
	}
	for id := range p.waiting {
		if id < p.offset {
			delete(p.waiting, id)
		}
	}
}

// chatOf is the chat an update belongs to (0 if none).
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

package handoff

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/civibot/civibot/conversation"
)

// Run is this instance's watcher; run it for the life of the server (it
// returns when ctx ends). It takes new queue entries from the stream (on
// Redis, each entry goes to one instance), and every WatchInterval it
//   - renews the entries it owns, so no other instance takes them,
//   - takes over entries whose owner stopped renewing them for
//     ReclaimAfter (that instance died),
//   - checks each owned entry against its conversation: claimed, closed,
//     given back or deleted → the entry is acknowledged and dropped; still
//     waiting with no caseworker online for OfflineAfter → the conversation
//     becomes a callback ticket and the citizen is offered a callback,
//   - announces caseworkers whose heartbeat stopped.
//
// While Redis is away it logs once, keeps trying and carries on after.
func (d *Desk) Run(ctx context.Context) error {
	failing := false
	report := func(err error) {
		if err == nil {
			if failing {
				d.log.InfoContext(ctx, "handoff watcher: queue reachable again")
			}
			failing = false
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !failing {
			d.log.WarnContext(ctx, "handoff watcher: queue unavailable, retrying", "error", err)
		}
		failing = true
	}
	pending, err := d.queue.Pending(ctx, d.consumer)
	report(err)
	d.own(pending...)
	next := time.Now()
	for ctx.Err() == nil {
		entries, err := d.queue.Deliver(ctx, d.consumer, d.cfg.WatchInterval)
		report(err)
		if err != nil && !sleep(ctx, d.cfg.WatchInterval) {
			break
		}
		d.own(entries...)
		if !time.Now().Before(next) {
			report(d.tick(ctx))
			next = time.Now().Add(d.cfg.WatchInterval)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (d *Desk) own(es ...Entry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range es {
		d.owned[e.ConversationID] = e
	}
}

func (d *Desk) disown(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.owned, id)
}

// Watching lists the conversation ids whose queue entries this instance
// watches.
func (d *Desk) Watching() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]string, 0, len(d.owned))
	for id := range d.owned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// tick is one round of the watcher's periodic work.
func (d *Desk) tick(ctx context.Context) error {
	d.mu.Lock()
	owned := make([]Entry, 0, len(d.owned))
	for _, e := range d.owned {
		owned = append(owned, e)
	}
	d.mu.Unlock()

	kept, err := d.queue.Renew(ctx, d.consumer, owned)
	if err != nil {
		return err
	}
	d.mu.Lock()
	clear(d.owned)
	d.mu.Unlock()
	d.own(kept...)

	reclaimed, err := d.queue.Reclaim(ctx, d.consumer, d.cfg.ReclaimAfter)
	if err != nil {
		return err
	}
	if len(reclaimed) > 0 {
		d.own(reclaimed...)
		d.log.InfoContext(ctx, "handoff watcher: took over entries of a stopped instance", "count", len(reclaimed))
	}

	now := d.now()
	last, err := d.queue.LastSeen(ctx)
	if err != nil {
		return err
	}
	unstaffed := last.IsZero() || now.Sub(last) >= d.cfg.OfflineAfter
	for _, e := range append(kept, reclaimed...) {
		if err := d.check(ctx, e, unstaffed); err != nil {
			return err
		}
	}

	gone, err := d.queue.SweepPresence(ctx, now.Add(-d.cfg.PresenceTimeout))
	if err != nil {
		return err
	}
	for _, cw := range gone {
		d.announcePresence(ctx, "offline", cw)
	}
	return nil
}

// check looks at one owned entry's conversation.
func (d *Desk) check(ctx context.Context, e Entry, unstaffed bool) error {
	c, err := d.store.Get(ctx, e.ConversationID)
	if errors.Is(err, conversation.ErrNotFound) {
		if err := d.queue.Drop(ctx, e.ConversationID); err != nil {
			return err
		}
		d.disown(e.ConversationID)
		return nil
	}
	if err != nil {
		return err
	}
	if c.Status != conversation.StatusWaiting {
		if d.ahead(c, e) {
			return nil // its request is still being written: look again next round
		}
		d.reconcile(ctx, c)
		d.disown(e.ConversationID)
		return nil
	}
	if unstaffed {
		if err := d.expire(ctx, c.ID); err != nil && !errors.Is(err, errSkip) {
			return err
		}
		d.disown(e.ConversationID)
	}
	return nil
}

// expire turns a waiting conversation into a callback ticket because no
// caseworker has been online for OfflineAfter.
func (d *Desk) expire(ctx context.Context, id string) error {
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if c.Status != conversation.StatusWaiting {
			return errSkip
		}
		c.Status = conversation.StatusTicket
		// Phone channels already have the number; others are asked.
		c.Context.AwaitingContact = c.Contact == nil && !phoneChannel(c.Channel)
		audit(c, conversation.AuditEntry{At: now, Actor: "system", Action: ActionTicket, Detail: "nobody online"})
		return nil
	})
	if err != nil {
		return err
	}
	d.reconcile(ctx, updated)
	switch {
	case phoneChannel(updated.Channel):
		d.tell(ctx, updated, noticeCallBackNumber)
	case updated.Contact == nil:
		d.tell(ctx, updated, noticeNobodyOnline)
	}
	d.announce(ctx, QueueEvent{Type: ActionTicket, ConversationID: id})
	d.log.InfoContext(ctx, "handoff became a ticket: nobody online", "conversation_id", id, "channel", updated.Channel)
	return nil
}

func phoneChannel(ch string) bool {
	return ch == conversation.ChannelSMS || ch == conversation.ChannelVoice
}

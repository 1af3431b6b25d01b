package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/civibot/civibot/conversation"
)

// unstaffed says whether a request now becomes a ticket: outside office
// hours, or nobody online within OfflineAfter. nextOpen is set when
// closed.
func (d *Desk) unstaffed(ctx context.Context, now time.Time) (bool, time.Time, error) {
	if !d.hours.Open(now) {
		return true, d.hours.NextOpen(now), nil
	}
	last, err := d.queue.LastSeen(ctx)
	if err != nil {
		return false, time.Time{}, err
	}
	return last.IsZero() || now.Sub(last) >= d.cfg.OfflineAfter, time.Time{}, nil
}

func (d *Desk) nextOpen(now time.Time) time.Time {
	if d.hours.Open(now) {
		return time.Time{}
	}
	return d.hours.NextOpen(now)
}

// Request queues the conversation for a caseworker (StatusWaiting), or,
// outside office hours or with nobody online for OfflineAfter, makes it a
// callback ticket (StatusTicket) that stays for the next shift. A
// conversation already waiting or claimed is not queued again; its current
// status is returned. Implements dialog.Desk.
func (d *Desk) Request(ctx context.Context, id string, r conversation.HandoffRequest) (conversation.QueueStatus, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	switch c.Status {
	case conversation.StatusWaiting, conversation.StatusClaimed:
		return d.position(ctx, c)
	}
	now := d.now().UTC()
	ticket, nextOpen, err := d.unstaffed(ctx, now)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	if c.Status == conversation.StatusTicket && ticket {
		// Still nobody to come: the ticket stays as it is.
		return d.position(ctx, c)
	}
	// A ticket whose citizen asks again while a caseworker is online joins
	// the live line (the callback details stay on the record).
	// The index entry first: if the record update then fails, a stale entry
	// is dropped when seen; the other way round a waiting conversation could
	// be missing from the queue.
	if ticket {
		err = d.queue.AddTicket(ctx, id, now)
	} else {
		_, err = d.queue.Enqueue(ctx, id, now)
	}
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	reason := r.Reason
	if reason == "" {
		reason = "unknown"
	}
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if c.Status == conversation.StatusWaiting || c.Status == conversation.StatusClaimed {
			return errSkip // a concurrent request or claim got there first
		}
		var trail []conversation.AuditEntry
		if c.Handoff != nil {
			trail = c.Handoff.Audit
		}
		c.Handoff = &conversation.Handoff{Reason: reason, Requested: now, Candidates: r.Candidates, Audit: trail}
		audit(c, conversation.AuditEntry{At: now, Actor: "bot", Action: ActionRequested, Detail: reason})
		c.Status, c.Assignee = conversation.StatusWaiting, ""
		if ticket {
			c.Status = conversation.StatusTicket
			detail := "nobody online"
			if !nextOpen.IsZero() {
				detail = "outside office hours"
			}
			audit(c, conversation.AuditEntry{At: now, Actor: "system", Action: ActionTicket, Detail: detail})
		}
		if c.Language == "" {
			c.Language = r.Language
		}
		if q := conversation.NormalizeQuestion(r.Question); q != "" {
			c.Context.HandedOffFor = q
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		cur, err := d.store.Get(ctx, id)
		if err != nil {
			return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
		}
		d.reconcile(ctx, cur)
		return d.position(ctx, cur)
	}
	if err != nil {
		d.reconcile(ctx, c) // put the index back as the record still is
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	typ := ActionRequested
	if ticket {
		typ = ActionTicket
	}
	d.announce(ctx, QueueEvent{Type: typ, ConversationID: id})
	d.log.InfoContext(ctx, "handoff requested", "conversation_id", id, "channel", updated.Channel, "reason", reason, "ticket", ticket)
	if ticket {
		return conversation.QueueStatus{Ticket: true, NextOpen: nextOpen}, nil
	}
	return d.position(ctx, updated)
}

// Position tells where the conversation's handoff stands: its place in the
// line and a wait estimate while waiting; Ticket (and NextOpen when the
// office is closed) for a ticket; the zero status otherwise. Implements
// dialog.Desk.
func (d *Desk) Position(ctx context.Context, id string) (conversation.QueueStatus, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", id, err)
	}
	return d.position(ctx, c)
}

func (d *Desk) position(ctx context.Context, c conversation.Conversation) (conversation.QueueStatus, error) {
	switch c.Status {
	case conversation.StatusWaiting:
		pos, err := d.queue.Position(ctx, c.ID)
		if err != nil {
			return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", c.ID, err)
		}
		if pos == 0 {
			// The record waits but the line lost it (a crash between the
			// two writes): put it back, at its request time.
			d.reconcile(ctx, c)
			if pos, err = d.queue.Position(ctx, c.ID); err != nil {
				return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", c.ID, err)
			}
		}
		return conversation.QueueStatus{Queued: true, Position: pos, Wait: d.estimate(ctx, pos)}, nil
	case conversation.StatusTicket:
		return conversation.QueueStatus{Ticket: true, NextOpen: d.nextOpen(d.now())}, nil
	}
	return conversation.QueueStatus{}, nil
}

// estimate is the median of recent claim waits × position / online
// caseworkers; 0 when there are no samples.
func (d *Desk) estimate(ctx context.Context, pos int) time.Duration {
	waits, err := d.queue.Waits(ctx)
	if err != nil || len(waits) == 0 || pos < 1 {
		return 0
	}
	slices.Sort(waits)
	median := waits[len(waits)/2]
	if len(waits)%2 == 0 {
		median = (waits[len(waits)/2-1] + waits[len(waits)/2]) / 2
	}
	online := 0
	if ps, err := d.Online(ctx); err == nil {
		online = len(ps)
	}
	return (median * time.Duration(pos) / time.Duration(max(1, online))).Round(time.Second)
}

// requestGrace is how long an index entry may be ahead of its record.
// Request writes the index first and the record right after, so for a
// moment a new entry points at a record that does not show the request yet;
// an instance that dropped it then would lose a waiting citizen from the
// line. Past requestGrace the request is taken to have failed half-way and
// the entry is stale.
const requestGrace = 30 * time.Second

// ahead reports whether entry e was written by a request that its record c
// does not show yet (and that is recent enough to be still under way).
func (d *Desk) ahead(c conversation.Conversation, e Entry) bool {
	if e.Since.IsZero() {
		return false
	}
	if c.Handoff != nil && !c.Handoff.Requested.Before(e.Since) {
		return false // the record holds this request or a later one
	}
	return d.now().Sub(e.Since) < requestGrace
}

// reconcile makes the queue's indexes agree with the record (the truth).
// Failures are logged: the next look at the entry repairs it again.
func (d *Desk) reconcile(ctx context.Context, c conversation.Conversation) {
	var err error
	requested := d.now()
	if c.Handoff != nil && !c.Handoff.Requested.IsZero() {
		requested = c.Handoff.Requested
	}
	switch c.Status {
	case conversation.StatusWaiting:
		_, err = d.queue.Enqueue(ctx, c.ID, requested)
	case conversation.StatusTicket:
		err = d.queue.AddTicket(ctx, c.ID, requested)
	case conversation.StatusClaimed:
		err = d.queue.Assign(ctx, c.ID, c.Assignee)
	default:
		err = d.queue.Drop(ctx, c.ID)
	}
	if err != nil {
		d.log.WarnContext(ctx, "handoff: repair queue entry failed", "conversation_id", c.ID, "status", string(c.Status), "error", err)
	}
}

// Ticket stores callback details the citizen gave and keeps the
// conversation as a ticket for the next shift (unless a caseworker already
// holds it). Implements dialog.Desk.
func (d *Desk) Ticket(ctx context.Context, id string, contact conversation.Contact) error {
	now := d.now().UTC()
	if contact.Given.IsZero() {
		contact.Given = now
	}
	var given []string
	for _, f := range []struct{ name, v string }{{"name", contact.Name}, {"phone", contact.Phone}, {"email", contact.Email}, {"note", contact.Note}} {
		if f.v != "" {
			given = append(given, f.name)
		}
	}
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		cc := contact
		c.Contact = &cc
		c.Context.AwaitingContact = false
		if c.Handoff == nil {
			c.Handoff = &conversation.Handoff{Reason: "callback", Requested: now}
		}
		audit(c, conversation.AuditEntry{At: now, Actor: "citizen", Action: ActionTicket, Detail: "contact: " + strings.Join(given, ", ")})
		if c.Status != conversation.StatusClaimed {
			c.Status, c.Assignee = conversation.StatusTicket, ""
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("handoff: ticket %s: %w", id, err)
	}
	if updated.Status == conversation.StatusTicket {
		if err := d.queue.AddTicket(ctx, id, updated.Handoff.Requested); err != nil {
			return fmt.Errorf("handoff: ticket %s: %w", id, err)
		}
	}
	d.announce(ctx, QueueEvent{Type: ActionTicket, ConversationID: id})
	d.log.InfoContext(ctx, "handoff ticket", "conversation_id", id, "channel", updated.Channel)
	return nil
}

// tell appends a status notice for the citizen and pushes it on their
// channel. Failures are logged; the operation that caused it stands.
func (d *Desk) tell(ctx context.Context, c conversation.Conversation, n notice) {
	m, _, err := d.store.Append(ctx, c.ID, conversation.Message{Role: conversation.RoleSystem, Text: n.in(c.Language), Language: c.Language})
	if err != nil {
		d.log.WarnContext(ctx, "handoff: store status notice failed", "conversation_id", c.ID, "error", err)
		return
	}
	if err := d.registry.Deliver(ctx, c, m); err != nil {
		d.log.WarnContext(ctx, "handoff: deliver status notice failed", "conversation_id", c.ID, "channel", c.Channel, "error", err)
	}
}

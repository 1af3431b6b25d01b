package handoff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
)

// Claim gives a waiting conversation (or a ticket) to caseworker. Exactly
// one caseworker wins, across instances: the others get ErrAlreadyClaimed.
// Claiming again what one already holds is not an error. A conversation
// that is not handed off gives ErrNotWaiting.
func (d *Desk) Claim(ctx context.Context, id, caseworker string) (conversation.Conversation, error) {
	if caseworker == "" {
		return conversation.Conversation{}, fmt.Errorf("handoff: claim %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	var wasTicket bool
	var requested time.Time
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		switch c.Status {
		case conversation.StatusClaimed:
			if c.Assignee == caseworker {
				return errSkip
			}
			return ErrAlreadyClaimed
		case conversation.StatusWaiting, conversation.StatusTicket:
		default:
			return ErrNotWaiting
		}
		wasTicket = c.Status == conversation.StatusTicket
		c.Status, c.Assignee = conversation.StatusClaimed, caseworker
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClaimed})
		c.Handoff.Claimed = now
		requested = c.Handoff.Requested
		return nil
	})
	if errors.Is(err, errSkip) {
		c, err := d.store.Get(ctx, id)
		if err != nil {
			return c, fmt.Errorf("handoff: claim %s: %w", id, err)
		}
		return c, nil
	}
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: claim %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	if !wasTicket && !requested.IsZero() {
		if err := d.queue.RecordWait(ctx, now.Sub(requested), d.cfg.WaitSamples); err != nil {
			d.log.WarnContext(ctx, "handoff: record wait failed", "error", err)
		}
	}
	d.tell(ctx, updated, noticeClaimed)
	d.announce(ctx, QueueEvent{Type: ActionClaimed, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff claimed", "conversation_id", id, "channel", updated.Channel, "from_ticket", wasTicket)
	return updated, nil
}

func (d *Desk) text(op, id, text string) (string, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if text == "" {
		return "", fmt.Errorf("handoff: %s %s: %w: empty text", op, id, ErrInvalid)
	}
	if n := utf8.RuneCountInString(text); n > d.cfg.MaxTextChars {
		return "", fmt.Errorf("handoff: %s %s: %w: text has %d characters, at most %d", op, id, ErrInvalid, n, d.cfg.MaxTextChars)
	}
	return text, nil
}

// holds checks, inside an Update, that caseworker holds the conversation.
func holds(c *conversation.Conversation, caseworker string) error {
	if c.Status != conversation.StatusClaimed || c.Assignee != caseworker || caseworker == "" {
		return ErrNotAssignee
	}
	return nil
}

// Reply sends the caseworker's answer: stored as a RoleCaseworker message
// (the web chat follows it through events) and pushed on Telegram or SMS.
// Only the assignee may reply (ErrNotAssignee). If the push fails the
// message stays stored and the error wraps ErrNotDelivered.
func (d *Desk) Reply(ctx context.Context, id, caseworker, text string) (conversation.Message, error) {
	return d.ReplyOnce(ctx, id, caseworker, "", text)
}

// deliveryLease bounds one push of a caseworker's reply; deliveryKeep is how
// long a delivered reply is remembered for retries of the same request.
const (
	deliveryLease = 2 * time.Minute
	deliveryKeep  = 48 * time.Hour
)

// ReplyOnce is Reply with the console's id for this reply (clientID, may be
// empty). A request repeated with the same clientID — the caseworker's
// browser lost the answer and sends again — stores nothing new and returns
// the stored message; it is pushed on Telegram or SMS
// again only if no earlier attempt got it out.
func (d *Desk) ReplyOnce(ctx context.Context, id, caseworker, clientID, text string) (conversation.Message, error) {
	text, err := d.text("reply", id, text)
	if err != nil {
		return conversation.Message{}, err
	}
	if clientID != "" {
		clientID = "console:" + clientID
	}
	now := d.now().UTC()
	c, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, caseworker); err != nil {
			return err
		}
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionReplied})
		return nil
	})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: reply %s: %w", id, err)
	}
	m, dup, err := d.store.Append(ctx, id, conversation.Message{Role: conversation.RoleCaseworker, Author: caseworker, Text: text, Language: c.Language, ClientID: clientID})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: reply %s: %w", id, err)
	}
	if !dup {
		d.announce(ctx, QueueEvent{Type: ActionReplied, ConversationID: id, Actor: caseworker})
	}
	if err := d.deliverOnce(ctx, c, m, clientID != ""); err != nil {
		d.log.WarnContext(ctx, "handoff: reply not delivered", "conversation_id", id, "channel", c.Channel, "error", err)
		return m, fmt.Errorf("handoff: reply %s: %w: %w", id, ErrNotDelivered, err)
	}
	return m, nil
}

// deliverOnce pushes m on c's channel. With an idempotency store and a
// message that a retry may bring again (keyed), a push that went out is
// remembered, and a failed one is released for the retry.
func (d *Desk) deliverOnce(ctx context.Context, c conversation.Conversation, m conversation.Message, keyed bool) error {
	if d.idem == nil || !keyed || !d.registry.Pushes(c.Channel) {
		return d.registry.Deliver(ctx, c, m)
	}
	// The message id alone repeats when a deleted conversation starts
	// again under the same id; with the console's random client id it
	// does not.
	sum := sha256.Sum256([]byte(m.ID + "\x00" + m.ClientID))
	key := "deliver:" + hex.EncodeToString(sum[:16])
	lease := conversation.Lease{Idempotency: d.idem, Hold: deliveryLease, Keep: deliveryKeep, Log: d.log}
	// Not ran (and no error): delivered by an earlier attempt, or being
	// delivered by one now. A failed push is released for the retry.
	_, err := lease.Do(ctx, key, func(ctx context.Context) error { return d.registry.Deliver(ctx, c, m) })
	return err
}

// Note adds a private note (RoleNote) to the transcript. Any caseworker may
// add one; it is never delivered to the citizen.
func (d *Desk) Note(ctx context.Context, id, caseworker, text string) (conversation.Message, error) {
	text, err := d.text("note", id, text)
	if err != nil {
		return conversation.Message{}, err
	}
	if caseworker == "" {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	if _, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionNoted})
		return nil
	}); err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w", id, err)
	}
	m, _, err := d.store.Append(ctx, id, conversation.Message{Role: conversation.RoleNote, Author: caseworker, Text: text})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w", id, err)
	}
	d.announce(ctx, QueueEvent{Type: ActionNoted, ConversationID: id, Actor: caseworker})
	return m, nil
}

// Transfer passes a conversation the caseworker from holds to another
// existing, enabled caseworker (ErrUnknownCaseworker otherwise).
func (d *Desk) Transfer(ctx context.Context, id, from, to string) (conversation.Conversation, error) {
	if to == "" || to == from {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w: choose another caseworker", id, ErrInvalid)
	}
	u, err := d.users.User(ctx, to)
	if errors.Is(err, accounts.ErrUserNotFound) || err == nil && u.Disabled {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w: %q", id, ErrUnknownCaseworker, to)
	}
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w", id, err)
	}
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, from); err != nil {
			return err
		}
		c.Assignee = to
		audit(c, conversation.AuditEntry{At: now, Actor: from, Action: ActionTransferred, Detail: "to " + to})
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeTransferred)
	d.announce(ctx, QueueEvent{Type: ActionTransferred, ConversationID: id, Actor: from})
	d.log.InfoContext(ctx, "handoff transferred", "conversation_id", id)
	return updated, nil
}

// GiveBack returns the conversation to the bot (StatusBot). The question
// that caused the handoff stays in Context.HandedOffFor, so the bot does
// not hand the same question off again.
func (d *Desk) GiveBack(ctx context.Context, id, caseworker string) (conversation.Conversation, error) {
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, caseworker); err != nil {
			return err
		}
		c.Status, c.Assignee = conversation.StatusBot, ""
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionGaveBack})
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: give back %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeGaveBack)
	d.announce(ctx, QueueEvent{Type: ActionGaveBack, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff given back", "conversation_id", id)
	return updated, nil
}

// Close ends the handoff with an outcome (Outcomes). The assignee closes a
// claimed conversation; any caseworker may close a waiting one or a ticket
// (spam, a callback done from the ticket list). A new citizen message
// re-opens a closed conversation with the bot. Who gave a conversation
// back to the bot may still record its outcome; it stays with the bot.
func (d *Desk) Close(ctx context.Context, id, caseworker, outcome string) (conversation.Conversation, error) {
	if !slices.Contains(Outcomes(), outcome) {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w: outcome %q is not one of %s", id, ErrInvalid, outcome, strings.Join(Outcomes(), ", "))
	}
	if caseworker == "" {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		switch c.Status {
		case conversation.StatusClaimed:
			if err := holds(c, caseworker); err != nil {
				return err
			}
		case conversation.StatusWaiting, conversation.StatusTicket:
		case conversation.StatusBot:
			if !gaveBackBy(c, caseworker) {
				return ErrNotWaiting
			}
			audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClosed, Detail: outcome})
			c.Handoff.Outcome = outcome
			return nil
		default:
			return ErrNotWaiting
		}
		c.Status, c.Assignee = conversation.StatusClosed, ""
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClosed, Detail: outcome})
		c.Handoff.Outcome = outcome
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeClosed)
	d.announce(ctx, QueueEvent{Type: ActionClosed, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff closed", "conversation_id", id, "outcome", outcome)
	return updated, nil
}

// gaveBackBy says whether the handoff's last step was caseworker giving
// the conversation back, with no outcome recorded yet.
func gaveBackBy(c *conversation.Conversation, caseworker string) bool {
	if c.Handoff == nil || c.Handoff.Outcome != "" || len(c.Handoff.Audit) == 0 {
		return false
	}
	last := c.Handoff.Audit[len(c.Handoff.Audit)-1]
	return last.Action == ActionGaveBack && last.Actor == caseworker
}

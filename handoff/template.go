package handoff

import (
	"context"
	"errors"
	"fmt"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
)

// ErrNoTemplate: the conversation's channel has no approved template to
// send (or needs none).
var ErrNoTemplate = errors.New("handoff: no template configured for this channel")

// Window tells where the conversation stands in its channel's reply
// window (WhatsApp's 24 hours); ok=false for channels without one.
func (d *Desk) Window(ctx context.Context, id string) (channels.Window, bool, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return channels.Window{}, false, fmt.Errorf("handoff: window %s: %w", id, err)
	}
	w, ok, err := d.registry.Window(ctx, c)
	if err != nil {
		return w, ok, fmt.Errorf("handoff: window %s: %w", id, err)
	}
	return w, ok, nil
}

// SendTemplate sends the channel's approved template on behalf of the
// caseworker who holds the conversation, when its reply window is closed:
// stored as a caseworker message with conversation.ActionTemplate (its text
// is what the template says) and pushed like a reply. When the citizen
// answers, the window opens again and replies kept back go out. Only the
// assignee may send it (ErrNotAssignee); a channel without a template gives
// ErrNoTemplate; a push that fails wraps ErrNotDelivered. clientID makes a
// repeated request send once.
func (d *Desk) SendTemplate(ctx context.Context, id, caseworker, clientID string) (conversation.Message, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: template %s: %w", id, err)
	}
	w, ok, err := d.registry.Window(ctx, c)
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: template %s: %w", id, err)
	}
	if !ok || w.Template == "" {
		return conversation.Message{}, fmt.Errorf("handoff: template %s: %w", id, ErrNoTemplate)
	}
	if clientID != "" {
		clientID = "console:" + clientID
	}
	now := d.now().UTC()
	c, err = d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, caseworker); err != nil {
			return err
		}
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionReplied, Detail: "template"})
		return nil
	})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: template %s: %w", id, err)
	}
	m, dup, err := d.store.Append(ctx, id, conversation.Message{
		Role: conversation.RoleCaseworker, Author: caseworker, Text: w.Template, Language: c.Language,
		ClientID: clientID, Action: conversation.ActionTemplate,
	})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: template %s: %w", id, err)
	}
	if !dup {
		d.announce(ctx, QueueEvent{Type: ActionReplied, ConversationID: id, Actor: caseworker})
	}
	if err := d.deliverOnce(ctx, c, m, clientID != ""); err != nil {
		d.log.WarnContext(ctx, "handoff: template not delivered", "conversation_id", id, "channel", c.Channel, "error", err)
		return m, fmt.Errorf("handoff: template %s: %w: %w", id, ErrNotDelivered, err)
	}
	d.log.InfoContext(ctx, "handoff: template sent", "conversation_id", id, "channel", c.Channel)
	return m, nil
}

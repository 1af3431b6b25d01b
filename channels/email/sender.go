package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/civibot/civibot/conversation"
)

// ErrNoAddress: the conversation has no address to write to.
var ErrNoAddress = errors.New("email: no address to send to")

// Send delivers a caseworker's reply by e-mail in the citizen's thread,
// signed with the caseworker's name (channels.Sender for
// conversation.ChannelEmail). Status notices ("a caseworker has joined")
// are not mailed: by e-mail the bot's answer already said that a person
// will write, and a notice per step would be noise. Private notes are never
// sent.
func (c *Channel) Send(ctx context.Context, conv conversation.Conversation, m conversation.Message) error {
	switch m.Role {
	case conversation.RoleCaseworker:
	case conversation.RoleBot:
		// The bot's answers go out when the mail is handled; one delivered
		// again (a handoff notice) is sent like them.
	default:
		return nil
	}
	if conv.Address == "" {
		return ErrNoAddress
	}
	lang := c.language(conv.Language)
	var txt, htm string
	auto := m.Role == conversation.RoleBot
	if auto {
		txt, htm = c.botBody(m, nil)
	} else {
		name := ""
		if c.o.Names != nil && m.Author != "" {
			if n, err := c.o.Names.DisplayName(ctx, m.Author); err == nil {
				name = n
			}
		}
		txt, htm = c.staffBody(lang, m.Text, name)
	}
	o := outMail{
		To: conv.Address, Subject: c.replySubject(conv.Thread, lang), MessageID: messageID(conv.ID, m, c.domain),
		References: references(conv.Thread), Auto: auto, Language: lang, Text: txt, HTML: htm, Date: m.At,
	}
	if conv.Thread != nil {
		o.InReplyTo = conv.Thread.Last
	}
	if o.Date.IsZero() {
		o.Date = c.now()
	}
	raw, err := o.bytes(c.from)
	if err != nil {
		return err
	}
	if err := c.smtp.send(ctx, o.To, raw); err != nil {
		c.log.WarnContext(ctx, "email: reply not sent", "conversation_id", conv.ID, "seq", m.Seq, "error", err)
		return fmt.Errorf("email: send reply: %w", err)
	}
	c.log.InfoContext(ctx, "email: reply sent", "conversation_id", conv.ID, "seq", m.Seq)
	return nil
}

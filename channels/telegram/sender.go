package telegram

import (
	"context"
	"fmt"
	"strconv"

	"github.com/civibot/civibot/conversation"
)

// Send pushes a message written outside a Telegram update to the citizen:
// a caseworker's reply from the console (marked as from a person, with the
// caseworker's display name and the city) or a status notice of the
// handoff desk. Private notes and citizen messages are never sent. It
// implements channels.Sender; register it for conversation.ChannelTelegram.
func (c *Channel) Send(ctx context.Context, conv conversation.Conversation, m conversation.Message) error {
	switch m.Role {
	case conversation.RoleNote, conversation.RoleCitizen:
		return nil
	}
	chatID, err := strconv.ParseInt(conv.Address, 10, 64)
	if err != nil || chatID == 0 {
		return fmt.Errorf("telegram: send to conversation %s: %w: it has no chat id", conv.ID, conversation.ErrInvalid)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.HandleTimeout)
		defer cancel()
	}
	author := ""
	if m.Role == conversation.RoleCaseworker && c.names != nil && m.Author != "" {
		if n, err := c.names.DisplayName(ctx, m.Author); err == nil {
			author = n
		}
	}
	lang := m.Language
	if lang == "" {
		lang = conv.Language
	}
	for _, ch := range render(m, author, c.city, textsFor(lang)) {
		if err := c.sendChunk(ctx, chatID, ch, 0); err != nil {
			return err
		}
	}
	return nil
}

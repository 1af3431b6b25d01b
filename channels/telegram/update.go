package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// result is what became of one update.
type result int

const (
	// handled: answered, deliberately ignored, or failed for good (a
	// retry would fail the same way). Telegram may forget it.
	handled result = iota
	// busy: another worker holds the update's lease and may still fail
	// or die: the update is not handled yet.
	busy
	// retry: failed for now; nothing is marked done, so Telegram's
	// webhook retry or the next poll handles it again.
	retry
)

// transient reports whether err may go away on a retry.
func transient(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotConnected) ||
		errors.Is(err, conversation.ErrUnavailable) || errors.Is(err, conversation.ErrConflict) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// process handles one update exactly once: it takes the update's lease,
// handles it within HandleTimeout, and marks it done — or gives the
// lease up on a transient failure so that a retry handles it.
func (c *Channel) process(ctx context.Context, u tgbotapi.Update) (result, error) {
	// The update is finished even if the caller goes away (Telegram hangs
	// up, the server shuts down): a half-handled update only costs a retry.
	ctx = context.WithoutCancel(ctx)
	var kind string
	ran, err := c.updates().Do(ctx, c.updateKey(u.UpdateID), func(ctx context.Context) error {
		hctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
		defer cancel()
		var err error
		kind, err = c.handleSafely(hctx, u)
		return err
	})
	switch {
	case !ran && err != nil:
		return retry, fmt.Errorf("telegram: update %d: lease: %w", u.UpdateID, err)
	case !ran:
		// Done before, or held by a worker that may still fail or die.
		done, err := c.updates().Finished(ctx, c.updateKey(u.UpdateID))
		switch {
		case err != nil:
			return retry, fmt.Errorf("telegram: update %d: lease: %w", u.UpdateID, err)
		case done:
			return handled, nil
		}
		return busy, nil
	case err != nil && transient(err):
		c.log.WarnContext(ctx, "telegram update failed, will be retried", "update_id", u.UpdateID, "kind", kind, "error", err)
		return retry, err
	case err != nil:
		c.log.ErrorContext(ctx, "telegram update failed", "update_id", u.UpdateID, "kind", kind, "error", err)
	default:
		c.log.DebugContext(ctx, "telegram update handled", "update_id", u.UpdateID, "kind", kind)
	}
	return handled, nil
}

// updates is the lease under which an update is handled once: a transient
// failure gives it up for Telegram's retry, any other failure is final.
func (c *Channel) updates() conversation.Lease {
	return conversation.Lease{
		Idempotency: c.idem, Hold: c.updateLease(), Keep: keepDone, Timeout: c.cfg.RequestTimeout,
		Final: func(err error) bool { return !transient(err) }, Log: c.log,
	}
}

// sends is the lease under which one message of an update is sent once
// across the update's retries.
func (c *Channel) sends() conversation.Lease {
	return conversation.Lease{Idempotency: c.idem, Hold: c.sendLease(), Keep: keepDone, Timeout: c.cfg.RequestTimeout, Log: c.log}
}

// handleSafely is handle, with a panic turned into an error: one strange
// update must not take the channel down.
func (c *Channel) handleSafely(ctx context.Context, u tgbotapi.Update) (kind string, err error) {
	kind = updateKind(u)
	defer func() {
		if p := recover(); p != nil {
			c.log.ErrorContext(ctx, "telegram: panic handling an update", "update_id", u.UpdateID, "kind", kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("telegram: update %d: panic: %v", u.UpdateID, p)
		}
	}()
	return kind, c.handle(ctx, u)
}

func updateKind(u tgbotapi.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.EditedChannelPost != nil:
		return "edited_channel_post"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	case u.InlineQuery != nil:
		return "inline_query"
	}
	return "other"
}

// turn is the handling of one update: it numbers the messages sent for it
// (so a retry skips those already sent).
type turn struct {
	update int
	sent   int
}

func (c *Channel) handle(ctx context.Context, u tgbotapi.Update) error {
	t := &turn{update: u.UpdateID}
	switch {
	case u.Message != nil:
		return c.onMessage(ctx, t, u.Message)
	case u.EditedMessage != nil:
		return c.onEdited(ctx, t, u.EditedMessage)
	case u.CallbackQuery != nil:
		return c.onCallback(ctx, t, u.CallbackQuery)
	case u.MyChatMember != nil:
		return c.onMyChatMember(ctx, t, u.MyChatMember)
	}
	// Channel posts, inline queries and the rest: not for this bot.
	return nil
}

func isGroup(chat *tgbotapi.Chat) bool {
	return chat != nil && (chat.Type == "group" || chat.Type == "supergroup")
}

func isPrivate(chat *tgbotapi.Chat) bool { return chat != nil && chat.Type == "private" }

func languageCode(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	return u.LanguageCode
}

func (c *Channel) onMessage(ctx context.Context, t *turn, m *tgbotapi.Message) error {
	switch {
	case isGroup(m.Chat):
		return c.onGroupMessage(ctx, t, m)
	case !isPrivate(m.Chat) || m.From != nil && m.From.IsBot:
		return nil
	}
	code := languageCode(m.From)
	tx := c.textsFor(code)
	chatID := m.Chat.ID
	if m.Text == "" {
		if notice := nonText(m, tx); notice != "" {
			return c.notice(ctx, t, chatID, notice, 0)
		}
		return nil // a service message (pinned, timer changed, …)
	}
	if cmd, target, ok := parseCommand(m.Text); ok {
		if target != "" && !strings.EqualFold(target, c.botName()) {
			cmd = "" // addressed to another bot
		}
		return c.onCommand(ctx, t, chatID, code, cmd)
	}
	return c.converse(ctx, t, chatID, code, m.Text)
}

// nonText is the notice for a message without text ("" for service
// messages, which need no answer).
func nonText(m *tgbotapi.Message, tx texts) string {
	switch {
	case m.Photo != nil || m.Document != nil:
		return tx.images
	case m.Voice != nil || m.Audio != nil || m.Video != nil || m.VideoNote != nil:
		return tx.audio
	case m.Sticker != nil || m.Animation != nil || m.Dice != nil || m.Poll != nil || m.Game != nil:
		return tx.sticker
	case m.Location != nil || m.Venue != nil:
		return tx.location
	case m.Contact != nil:
		return tx.contact
	}
	return ""
}

var commandPattern = regexp.MustCompile(`^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s|$)`)

// parseCommand reads "/cmd", "/cmd@botname" and "/cmd args". Text that
// merely starts with a slash ("/path/to", "/ ") is not a command.
func parseCommand(text string) (cmd, target string, ok bool) {
	m := commandPattern.FindStringSubmatch(text)
	if m == nil {
		return "", "", false
	}
	return strings.ToLower(m[1]), m[2], true
}

func (c *Channel) onCommand(ctx context.Context, t *turn, chatID int64, code, cmd string) error {
	tx := c.textsFor(code)
	switch cmd {
	case "start":
		return c.notice(ctx, t, chatID, tx.greeting(c.city, c.privacyURL, c.retention), 0)
	case "help":
		return c.notice(ctx, t, chatID, tx.help, 0)
	case "human", "person", "mensch":
		out, err := c.svc.RequestPerson(ctx, c.inbound(t, chatID, code, ""))
		if err != nil {
			return c.dialogFailed(ctx, t, chatID, tx, err)
		}
		return c.deliver(ctx, t, chatID, out)
	case "stop", "delete":
		if err := c.svc.Forget(ctx, c.conversationID(chatID)); err != nil {
			if transient(err) {
				return err
			}
			if nerr := c.notice(ctx, t, chatID, tx.deleteFailed, 0); nerr != nil {
				return nerr
			}
			return err
		}
		c.log.InfoContext(ctx, "telegram conversation deleted on request", "conversation_id", c.conversationID(chatID))
		return c.notice(ctx, t, chatID, tx.deleted, 0)
	}
	return c.notice(ctx, t, chatID, tx.unknownCommand, 0)
}

func (c *Channel) inbound(t *turn, chatID int64, code, text string) dialog.Inbound {
	return dialog.Inbound{
		ConversationID: c.conversationID(chatID),
		Channel:        conversation.ChannelTelegram,
		Address:        strconv.FormatInt(chatID, 10),
		ClientID:       c.clientID(t.update),
		Text:           text,
		Language:       chatLanguage(code),
	}
}

// converse hands the citizen's text to the dialog service and sends what
// it answers (nothing while a caseworker has the conversation: the text
// is stored and the console shows it).
func (c *Channel) converse(ctx context.Context, t *turn, chatID int64, code, text string) error {
	tx := c.textsFor(code)
	out, err := c.svc.Handle(ctx, c.inbound(t, chatID, code, text))
	switch {
	case errors.Is(err, dialog.ErrEmptyMessage):
		return nil
	case errors.Is(err, dialog.ErrMessageTooLong):
		return c.notice(ctx, t, chatID, fmt.Sprintf(tx.tooLong, c.maxChars), 0)
	case err != nil:
		return c.dialogFailed(ctx, t, chatID, tx, err)
	}
	return c.deliver(ctx, t, chatID, out)
}

// dialogFailed: a transient error is returned for a retry (the citizen
// gets the answer then); anything else gets an apology.
func (c *Channel) dialogFailed(ctx context.Context, t *turn, chatID int64, tx texts, err error) error {
	if transient(err) {
		return err
	}
	if nerr := c.notice(ctx, t, chatID, tx.failed, 0); nerr != nil {
		return errors.Join(err, nerr)
	}
	return err
}

// deliver sends the bot's replies of an outcome.
func (c *Channel) deliver(ctx context.Context, t *turn, chatID int64, out dialog.Outcome) error {
	if out.Duplicate && len(out.Replies) == 0 && out.Conversation.Status != conversation.StatusClaimed {
		// An earlier attempt stored the message and died before answering;
		// the service does not answer a stored message twice.
		lang := out.Citizen.Language
		if lang == "" {
			lang = out.Conversation.Language
		}
		return c.notice(ctx, t, chatID, textsFor(lang).resend, 0)
	}
	for _, m := range out.Replies {
		lang := m.Language
		if lang == "" {
			lang = out.Conversation.Language
		}
		if err := c.sendFor(ctx, t, chatID, render(m, "", c.city, textsFor(lang)), 0); err != nil {
			return err
		}
	}
	return nil
}

// notice sends one of the channel's own texts.
func (c *Channel) notice(ctx context.Context, t *turn, chatID int64, text string, replyTo int) error {
	return c.sendFor(ctx, t, chatID, render(conversation.Message{Role: conversation.RoleBot, Text: text}, "", "", textsDE), replyTo)
}

// sendFor sends messages for an update, each once across retries: a
// message's lease is taken before sending, marked done after, and given
// up if sending failed.
func (c *Channel) sendFor(ctx context.Context, t *turn, chatID int64, chunks []chunk, replyTo int) error {
	for _, ch := range chunks {
		t.sent++
		ran, err := c.sends().Do(ctx, c.sentKey(t.update, t.sent), func(ctx context.Context) error {
			return c.sendChunk(ctx, chatID, ch, replyTo)
		})
		if err != nil && !ran {
			return fmt.Errorf("telegram: send lease: %w", err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Channel) onEdited(ctx context.Context, t *turn, m *tgbotapi.Message) error {
	if !isPrivate(m.Chat) || m.From != nil && m.From.IsBot {
		return nil
	}
	return c.notice(ctx, t, m.Chat.ID, c.textsFor(languageCode(m.From)).edited, 0)
}

// onGroupMessage: the bot does not take questions in groups (what a
// citizen asks is nobody else's business). A command or a mention of the
// bot gets a pointer to the private chat; everything else is ignored.
func (c *Channel) onGroupMessage(ctx context.Context, t *turn, m *tgbotapi.Message) error {
	name := c.botName()
	_, _, cmd := parseCommand(m.Text)
	mentioned := name != "" && strings.Contains(strings.ToLower(m.Text), "@"+strings.ToLower(name))
	toBot := m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.UserName != "" &&
		strings.EqualFold(m.ReplyToMessage.From.UserName, name)
	if !cmd && !mentioned && !toBot {
		return nil
	}
	return c.notice(ctx, t, m.Chat.ID, fmt.Sprintf(c.textsFor(languageCode(m.From)).group, name), m.MessageID)
}

// onMyChatMember: added to a group, the bot says once where it answers.
// Other membership changes (a user blocking the bot, leaving a group)
// need no answer.
func (c *Channel) onMyChatMember(ctx context.Context, t *turn, u *tgbotapi.ChatMemberUpdated) error {
	added := (u.NewChatMember.Status == "member" || u.NewChatMember.Status == "administrator") &&
		(u.OldChatMember.Status == "left" || u.OldChatMember.Status == "kicked" || u.OldChatMember.Status == "")
	if !isGroup(&u.Chat) || !added {
		return nil
	}
	return c.notice(ctx, t, u.Chat.ID, fmt.Sprintf(c.textsFor(u.From.LanguageCode).group, c.botName()), 0)
}

// onCallback: a quick-reply button was pressed. The button's payload is
// looked up in the stored message and handled as the citizen's message.
func (c *Channel) onCallback(ctx context.Context, t *turn, q *tgbotapi.CallbackQuery) error {
	if q.Message == nil || !isPrivate(q.Message.Chat) {
		c.answerCallback(ctx, q.ID, "")
		return nil
	}
	code := languageCode(q.From)
	chatID := q.Message.Chat.ID
	payload, err := c.payload(ctx, chatID, q.Data)
	if err != nil {
		return err // the store is away: retried, the button answered then
	}
	if payload == "" {
		c.answerCallback(ctx, q.ID, c.textsFor(code).buttonGone)
		return nil
	}
	c.answerCallback(ctx, q.ID, "")
	return c.converse(ctx, t, chatID, code, payload)
}

// payload finds the quick reply a button stands for ("" if the message or
// the conversation is gone).
func (c *Channel) payload(ctx context.Context, chatID int64, data string) (string, error) {
	seq, i, ok := parseCallbackData(data)
	if !ok {
		return "", nil
	}
	msgs, err := c.svc.Messages(ctx, c.conversationID(chatID), seq-1)
	if errors.Is(err, conversation.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 || msgs[0].Seq != seq || msgs[0].Role != conversation.RoleBot || i >= len(msgs[0].QuickReplies) {
		return "", nil
	}
	return msgs[0].QuickReplies[i].Payload, nil
}

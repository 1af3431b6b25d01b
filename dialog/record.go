package dialog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/conversation"
)

// What a channel keeps beside the dialog turns: channels that speak first
// (a call's greeting, an SMS answer with the AI disclosure in front), that
// answer some messages themselves (SMS keywords), that stop answering (an
// opt-out, a daily limit), or that send what the citizen asked for (a link
// by SMS) go through these operations, so every message the conversation
// keeps passes the same cleaning, the same store and the same observers as
// Handle's.

// Opening is a conversation a channel opens itself because it speaks
// first.
type Opening struct {
	// ConversationID is derived by the channel (conversation.PhoneID, …).
	ConversationID string
	Channel        string
	// Address is where the channel delivers (a phone number); "" keeps the
	// stored one. Personal data: never logged.
	Address string
	// Language, when set, becomes the conversation's language (a caller's
	// choice of language).
	Language string
	// Greeting is the channel's first words, with the AI disclosure; it is
	// stored as the bot's message, once per GreetingID. Empty: nothing is
	// stored (the channel puts the disclosure in front of its first answer).
	Greeting   string
	GreetingID string
}

// Open returns the conversation of o, creating it on first contact as one
// whose channel has given the AI disclosure itself (the engine does not
// repeat it), and brings its channel, address and language up to date:
// texts and calls from one number share a conversation, and the latest
// decides where later messages go.
func (s *Service) Open(ctx context.Context, o Opening) (conversation.Conversation, error) {
	if o.ConversationID == "" || o.Channel == "" {
		return conversation.Conversation{}, errors.New("dialog: open: a conversation id and a channel are required")
	}
	if o.Greeting != "" && o.GreetingID == "" {
		return conversation.Conversation{}, errors.New("dialog: open: a greeting needs a GreetingID")
	}
	conv, err := s.getOrCreate(ctx, conversation.Conversation{
		ID: o.ConversationID, Channel: o.Channel, Address: o.Address, Language: o.Language,
		Status: conversation.StatusBot, Context: conversation.Context{Turns: 1},
	})
	if err != nil {
		return conv, fmt.Errorf("dialog: open: %w", err)
	}
	if conv.Channel != o.Channel || o.Address != "" && conv.Address != o.Address || o.Language != "" && conv.Language != o.Language {
		conv, err = s.store.Update(ctx, conv.ID, func(c *conversation.Conversation) error {
			c.Channel = o.Channel
			if o.Address != "" {
				c.Address = o.Address
			}
			if o.Language != "" {
				c.Language = o.Language
			}
			return nil
		})
		if err != nil {
			return conv, fmt.Errorf("dialog: open: %w", err)
		}
	}
	if o.Greeting != "" {
		if _, _, err := s.store.Append(ctx, conv.ID, conversation.Message{
			Role: conversation.RoleBot, ClientID: o.GreetingID, Text: o.Greeting, Language: o.Language,
		}); err != nil {
			return conv, fmt.Errorf("dialog: open: store greeting: %w", err)
		}
	}
	return conv, nil
}

// Record stores a citizen message the bot does not answer: a keyword the
// channel answers itself (STOP, HELP), a message after an opt-out, one over
// a daily limit. It is cleaned as Handle cleans it (ErrEmptyMessage,
// ErrMessageTooLong: nothing is stored), stored once per ClientID, and
// reported to the observers as received. The conversation is created on
// first contact, as Handle creates it.
func (s *Service) Record(ctx context.Context, in Inbound) (Outcome, error) {
	text, err := s.clean(in.Text)
	if err != nil {
		return Outcome{}, err
	}
	conv, err := s.conversation(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	citizen, dup, err := s.store.Append(ctx, conv.ID, conversation.Message{
		Role: conversation.RoleCitizen, ClientID: in.ClientID, Text: text, Language: in.Language,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("dialog: record citizen message: %w", err)
	}
	if !dup {
		s.received(ctx, conv.Channel)
	}
	return Outcome{Conversation: conv, Citizen: citizen, Duplicate: dup}, nil
}

// Say stores a message the bot sends outside a dialog turn (a link the
// caller asked to get by SMS), once per m.ClientID, and returns it with
// whether it was stored before; the channel delivers it. m.Role is set to
// the bot's.
func (s *Service) Say(ctx context.Context, conversationID string, m conversation.Message) (conversation.Message, bool, error) {
	m.Role = conversation.RoleBot
	stored, dup, err := s.store.Append(ctx, conversationID, m)
	if err != nil {
		return stored, dup, fmt.Errorf("dialog: say: %w", err)
	}
	return stored, dup, nil
}

// Note adds a private note from a channel (author) for the caseworkers: a
// message that was not delivered, a call that was put through. Notes are
// never sent to the citizen.
func (s *Service) Note(ctx context.Context, conversationID, author, text string) error {
	if _, _, err := s.store.Append(ctx, conversationID, conversation.Message{Role: conversation.RoleNote, Author: author, Text: text}); err != nil {
		return fmt.Errorf("dialog: note: %w", err)
	}
	return nil
}

// Ticket records how the citizen can be reached (the number they call
// from) and keeps the conversation as a callback ticket for the
// caseworkers.
func (s *Service) Ticket(ctx context.Context, conversationID string, c conversation.Contact) error {
	if c.Given.IsZero() {
		c.Given = s.now()
	}
	if err := s.desk.Ticket(ctx, conversationID, c); err != nil {
		return fmt.Errorf("dialog: ticket: %w", err)
	}
	return nil
}

// SetOptOut records that the citizen wants no more messages on the
// conversation's channel (SMS STOP), or wants them again (START).
// Deliveries check the flag (Conversation.OptedOut).
func (s *Service) SetOptOut(ctx context.Context, conversationID string, out bool) (conversation.Conversation, error) {
	c, err := s.store.Update(ctx, conversationID, func(c *conversation.Conversation) error {
		c.OptedOut = out
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("dialog: opt-out: %w", err)
	}
	return c, nil
}

// Allowance is what a daily answer limit allows for one more bot answer.
type Allowance int

const (
	// AnswerAllowed: answer as usual.
	AnswerAllowed Allowance = iota
	// AnswerLimitNotice: this answer reaches the limit; say so, once,
	// instead of answering.
	AnswerLimitNotice
	// AnswerOverLimit: the limit was reached before; answer nothing.
	AnswerOverLimit
)

// errQuotaUnchanged aborts the quota update when nothing is counted.
var errQuotaUnchanged = errors.New("dialog: quota unchanged")

// TakeAnswer counts one bot answer against the conversation's limit of
// limit answers in 24 hours from the first (a channel that costs per
// message, such as SMS; limit < 0: no limit). The count lives on the
// conversation record (Conversation.SMSQuota), so every instance sees it,
// and it goes with the conversation.
func (s *Service) TakeAnswer(ctx context.Context, conversationID string, limit int) (Allowance, error) {
	if limit < 0 {
		return AnswerAllowed, nil
	}
	now := s.now().UTC()
	got := AnswerAllowed
	_, err := s.store.Update(ctx, conversationID, func(c *conversation.Conversation) error {
		q := c.SMSQuota
		if q.Since.IsZero() || now.Sub(q.Since) >= 24*time.Hour || now.Before(q.Since) {
			q = conversation.Quota{Since: now}
		}
		switch {
		case q.Count < limit:
			got = AnswerAllowed
		case q.Count == limit:
			got = AnswerLimitNotice
		default:
			got = AnswerOverLimit
			return errQuotaUnchanged
		}
		q.Count++
		c.SMSQuota = q
		return nil
	})
	if err != nil && !errors.Is(err, errQuotaUnchanged) {
		return AnswerAllowed, fmt.Errorf("dialog: count the answer: %w", err)
	}
	return got, nil
}

// getOrCreate returns the conversation c.ID, creating it as c when there
// is none (a concurrent creation wins and is returned).
func (s *Service) getOrCreate(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error) {
	got, err := s.store.Get(ctx, c.ID)
	if err == nil {
		return got, nil
	}
	if !errors.Is(err, conversation.ErrNotFound) {
		return got, fmt.Errorf("get conversation: %w", err)
	}
	got, err = s.store.Create(ctx, c)
	if errors.Is(err, conversation.ErrExists) {
		got, err = s.store.Get(ctx, c.ID)
	}
	if err != nil {
		return got, fmt.Errorf("create conversation: %w", err)
	}
	return got, nil
}

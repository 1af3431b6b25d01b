// Package channels delivers a message to a conversation on its own channel.
//
// A caseworker answers in the console on whichever instance they are
// connected to; the citizen may be on Telegram, SMS or the web. Channels
// that push through a provider's API (Telegram, Twilio) register a Sender
// here. Web chat registers none: its sockets follow the conversation's
// events on the bus, so any instance's append reaches them.
package channels

import (
	"context"
	"errors"
	"fmt"

	"github.com/civibot/civibot/conversation"
)

// ErrNoSender means the conversation's channel cannot be reached by push.
var ErrNoSender = errors.New("channels: no sender for this channel")

// Sender pushes one message to a conversation's address.
type Sender interface {
	Send(ctx context.Context, c conversation.Conversation, m conversation.Message) error
}

// Registry maps channel names to senders. Build it at start-up, then share it;
// it is not changed after Register calls are done.
type Registry struct {
	senders map[string]Sender
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{senders: map[string]Sender{}} }

// Register sets the sender for a channel name (conversation.ChannelTelegram, …).
func (r *Registry) Register(channel string, s Sender) { r.senders[channel] = s }

// Pushes reports whether messages to the channel are pushed by a Sender
// (false for web chat, whose sockets follow events).
func (r *Registry) Pushes(channel string) bool {
	_, ok := r.senders[channel]
	return ok
}

// Deliver pushes m to c on c's channel. Channels that follow events (web
// chat) need no push: Deliver returns nil for them. Private notes are never
// delivered.
func (r *Registry) Deliver(ctx context.Context, c conversation.Conversation, m conversation.Message) error {
	if m.Role == conversation.RoleNote {
		return nil
	}
	s, ok := r.senders[c.Channel]
	if !ok {
		if c.Channel == conversation.ChannelWeb {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrNoSender, c.Channel)
	}
	if err := s.Send(ctx, c, m); err != nil {
		return fmt.Errorf("channels: deliver on %s: %w", c.Channel, err)
	}
	return nil
}

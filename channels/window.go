package channels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/conversation"
)

// ErrWindowClosed: the channel only lets a free-text message through within
// a window after the citizen's last message (WhatsApp's 24-hour
// customer-service window); outside it only an approved template may be
// sent (a caseworker message with conversation.ActionTemplate).
var ErrWindowClosed = errors.New("channels: the channel's reply window is closed")

// Window is where a conversation stands in its channel's reply window.
type Window struct {
	// Open: a free-text message can be sent now.
	Open bool `json:"open"`
	// Closes is when the window closes (or closed); zero when the citizen
	// never wrote.
	Closes time.Time `json:"closes,omitzero"`
	// Template is what the approved template says, when one is
	// configured; empty: nothing can be sent while the window is closed.
	Template string `json:"template,omitempty"`
}

// Windowed is a Sender whose channel has a reply window.
type Windowed interface {
	Window(ctx context.Context, c conversation.Conversation) (Window, error)
}

// Window reports the reply window of c's channel; ok=false when the
// channel has none (free text can always be sent).
func (r *Registry) Window(ctx context.Context, c conversation.Conversation) (w Window, ok bool, err error) {
	s, found := r.senders[c.Channel]
	if !found {
		return Window{}, false, nil
	}
	wd, windowed := s.(Windowed)
	if !windowed {
		return Window{}, false, nil
	}
	w, err = wd.Window(ctx, c)
	if err != nil {
		return w, true, fmt.Errorf("channels: window on %s: %w", c.Channel, err)
	}
	return w, true, nil
}

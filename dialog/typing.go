package dialog

import (
	"context"

	"github.com/civibot/civibot/conversation"
)

// WatchTyping signals while the caseworker who has the conversation is
// typing in the console (conversation.TopicTyping; same semantics as
// Watch). Best effort: a missed signal only hides the indicator.
func (s *Service) WatchTyping(ctx context.Context, conversationID string) (<-chan struct{}, func(), error) {
	return s.watch(ctx, conversation.TopicTyping(conversationID))
}

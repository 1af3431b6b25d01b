package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
)

// A citizen may rate a conversation a person took part in (1 to 5, with an
// optional comment), once it has been claimed; a new rating replaces the
// old one.

// MaxRatingComment bounds the comment of a rating, in characters.
const MaxRatingComment = 500

// ErrNotRateable: the conversation had no person in it (nothing to rate).
var ErrNotRateable = errors.New("dialog: the conversation had no caseworker to rate")

// RatingRecord is a changed rating of a conversation with a person.
type RatingRecord struct {
	ConversationID string
	Channel        string
	// Caseworker is who last claimed the conversation (a username).
	Caseworker string
	// Old and New are 0 (none) or 1 to 5.
	Old, New int
	At       time.Time
}

// RatingObserver is the optional part of an Observer that counts ratings
// of conversations with a person (analytics).
type RatingObserver interface {
	RatedConversation(ctx context.Context, r RatingRecord)
}

// Rate stores the citizen's rating of the conversation with a person.
func (s *Service) Rate(ctx context.Context, conversationID string, value int, comment string) error {
	if value < 1 || value > 5 {
		return fmt.Errorf("dialog: rating must be 1 to 5, got %d: %w", value, conversation.ErrInvalid)
	}
	comment = strings.TrimSpace(strings.ToValidUTF8(comment, ""))
	if utf8.RuneCountInString(comment) > MaxRatingComment {
		return fmt.Errorf("dialog: rating comment longer than %d characters: %w", MaxRatingComment, conversation.ErrInvalid)
	}
	var old int
	var caseworker string
	c, err := s.store.Update(ctx, conversationID, func(c *conversation.Conversation) error {
		if c.Handoff == nil || c.Handoff.Claimed.IsZero() {
			return ErrNotRateable
		}
		for _, a := range c.Handoff.Audit {
			if a.Action == "claimed" || a.Action == "transferred" {
				caseworker = a.Actor
				if a.Action == "transferred" {
					caseworker = strings.TrimPrefix(a.Detail, "to ")
				}
			}
		}
		old = c.Handoff.Rating
		c.Handoff.Rating, c.Handoff.RatingComment = value, comment
		return nil
	})
	if err != nil {
		return fmt.Errorf("dialog: rate: %w", err)
	}
	if old != value {
		r := RatingRecord{ConversationID: conversationID, Channel: c.Channel, Caseworker: caseworker, Old: old, New: value, At: s.now().UTC()}
		for _, o := range s.obs {
			if ro, ok := o.(RatingObserver); ok {
				ro.RatedConversation(ctx, r)
			}
		}
	}
	return nil
}

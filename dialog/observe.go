package dialog

import (
	"context"
	"log/slog"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// Observer learns what the Service did, for metrics and analytics. The
// Service calls it after the fact, synchronously, on the turn's goroutine:
// an Observer must return quickly (hand slow work to a goroutine of its
// own) and cannot fail a turn. Records carry the citizen's text where it is
// needed (TurnRecord.Question): an Observer must not log it, and must strip
// personal data before keeping any of it.
type Observer interface {
	// Received: a citizen message (or a "talk to a person" press) was
	// stored. Duplicates (a resend with the same client id) are not
	// reported.
	Received(ctx context.Context, channel string)
	// Turned: the bot answered a turn.
	Turned(ctx context.Context, t TurnRecord)
	// Rated: a citizen's thumbs up or down on a bot answer changed.
	Rated(ctx context.Context, f FeedbackRecord)
}

// TurnRecord is one answered turn.
type TurnRecord struct {
	// Conversation is the record as it was before the turn (Channel,
	// Created, and Handoff — nil if the conversation was never handed off
	// before).
	Conversation conversation.Conversation
	// Question is the citizen's text; "" for a button press or callback
	// details. Personal data: never log it.
	Question string
	Language string
	Decision conversation.Decision
	Sources  []conversation.Source
	// Handoff: this turn put the conversation in the queue (or made it a
	// callback ticket, then Ticket is set too). A turn of a conversation
	// that already waits does not count.
	Handoff bool
	Ticket  bool
	// Took is the time from receiving the message to storing the answer.
	Took time.Duration
}

// FeedbackRecord is a changed rating of a bot answer.
type FeedbackRecord struct {
	ConversationID string
	// Sources of the rated answer (the page it came from).
	Sources []conversation.Source
	// Old and New are -1, 0 or +1.
	Old, New int
	// At is when the rated answer was given.
	At time.Time
}

// NewObservedEngine is NewEngine with the knowledge base's searches timed:
// retrieval gets the duration of every search (for the retrieval latency
// metric). retrieval must return quickly.
func NewObservedEngine(cfg Config, kb *knowledge.KB, phraser Phraser, log *slog.Logger, retrieval func(time.Duration)) (*Engine, error) {
	if kb == nil {
		return NewEngine(cfg, kb, phraser, log)
	}
	if retrieval == nil {
		return newEngine(cfg, kb, kb.Analyzer(), phraser, log)
	}
	return newEngine(cfg, timedRetriever{kb: kb, observe: retrieval}, kb.Analyzer(), phraser, log)
}

// timedRetriever times Search.
type timedRetriever struct {
	kb      retriever
	observe func(time.Duration)
}

func (t timedRetriever) Search(ctx context.Context, q knowledge.Query) ([]knowledge.Hit, error) {
	began := time.Now()
	hits, err := t.kb.Search(ctx, q)
	t.observe(time.Since(began))
	return hits, err
}

func (t timedRetriever) Page(id string) (*knowledge.Page, bool) { return t.kb.Page(id) }

func (s *Service) received(ctx context.Context, channel string) {
	for _, o := range s.obs {
		o.Received(ctx, channel)
	}
}

func (s *Service) turned(ctx context.Context, t TurnRecord) {
	for _, o := range s.obs {
		o.Turned(ctx, t)
	}
}

func (s *Service) rated(ctx context.Context, f FeedbackRecord) {
	for _, o := range s.obs {
		o.Rated(ctx, f)
	}
}

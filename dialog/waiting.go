package dialog

import (
	"context"
	"strings"

	"github.com/civibot/civibot/conversation"
)

// Citizens who wait for a person ask about the wait ("Wie lange dauert das
// noch?"). The engine would take that for a question about a service and
// answer with a clarifying question; while the conversation waits, such a
// message gets the queue position and the estimated wait instead
// (issue 13.5).

// Phrases that ask about the wait, lower case: one of waitAsks, or a
// "how long" together with a word about waiting ("Wie lange dauert eine
// Ummeldung?" is a question for the engine, "Wie lange dauert das noch?"
// is not).
var (
	waitAsks = []string{
		"wann bin ich dran", "wann komme ich dran", "wann komm ich dran", "wie viele vor mir", "wieviele vor mir",
		"ist jemand da", "noch jemand da", "anyone there", "anybody there", "ahead of me", "my turn", "still waiting",
		"how much longer",
	}
	waitHowLong = []string{"wie lange", "wie lang", "dauert", "how long"}
	waitHints   = []string{" noch", "warte", "dran", "schlange", "jemand", "mitarbeiter", "wait", "queue", "someone", "somebody", "staff"}
)

// asksAboutWait says whether a short message asks about the wait.
func asksAboutWait(text string) bool {
	t := " " + strings.ToLower(text)
	if len([]rune(t)) > 80 {
		return false // a longer message is a question of its own
	}
	has := func(words []string) bool {
		for _, w := range words {
			if strings.Contains(t, w) {
				return true
			}
		}
		return false
	}
	return has(waitAsks) || (has(waitHowLong) && has(waitHints))
}

// queueAnswer answers a question about the wait with the position and the
// estimate; the engine is not asked.
func (s *Service) queueAnswer(ctx context.Context, out Outcome, in Inbound, text string) (Outcome, error) {
	conv := out.Conversation
	lang := s.language(in, conv)
	p := phrasesFor(lang)
	q, err := s.desk.Position(ctx, conv.ID)
	if err != nil {
		return out, err
	}
	msg := p.alreadyQueued(q)
	if q.Wait > 0 {
		msg = strings.TrimSuffix(msg, ".") + " – " + p.waitText(q.Wait) + "."
	}
	reply := Reply{
		Text: msg, Language: lang, Context: conv.Context,
		Decision: conversation.Decision{Kind: KindSmallTalk, Intent: "queue_status", Confidence: 1,
			Reasons: []string{"a question about the wait while waiting for a person"}},
	}
	o, err := s.finish(ctx, out, in, text, reply)
	if err == nil && q.Queued {
		o.Queue = &q
	}
	return o, err
}

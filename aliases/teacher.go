package aliases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// Pages finds the city's pages (dialog.Live).
type Pages interface {
	// Page returns the page named by its id or its address.
	Page(ref string) (knowledge.Page, bool)
}

// Conversations reads what the citizen asked (conversation.Store).
type Conversations interface {
	Get(ctx context.Context, id string) (conversation.Conversation, error)
	Messages(ctx context.Context, id string, after int64, limit int) ([]conversation.Message, error)
}

// Teacher turns what caseworkers do in the console into suggestions.
type Teacher struct {
	store *Store
	pages Pages
	convs Conversations
}

// NewTeacher builds a teacher over the store.
func NewTeacher(store *Store, pages Pages, convs Conversations) *Teacher {
	return &Teacher{store: store, pages: pages, convs: convs}
}

// ErrNoQuestion: the conversation holds no question of the citizen's to
// learn from (they asked for a person at once and said nothing else).
var ErrNoQuestion = errors.New("aliases: no question in the conversation")

// ErrNoPage: the reference names none of the city's pages.
var ErrNoPage = errors.New("aliases: not one of the city's pages")

// linkRE finds addresses in a caseworker's reply.
var linkRE = regexp.MustCompile(`https?://[^\s<>"')\]]+`)

// FromReply suggests the question of conversation id as an alias of the
// first of the city's pages the caseworker's reply links to. It reports
// whether the reply named such a page; a reply without one is not an
// error.
func (t *Teacher) FromReply(ctx context.Context, id, caseworker, reply string) (Suggestion, bool, error) {
	for _, l := range linkRE.FindAllString(reply, 8) {
		l = strings.TrimRight(l, ".,;:!?")
		if p, ok := t.pages.Page(l); ok {
			s, err := t.suggest(ctx, id, caseworker, p, SourceLink)
			if errors.Is(err, ErrNoQuestion) {
				return Suggestion{}, false, nil
			}
			return s, err == nil, err
		}
	}
	return Suggestion{}, false, nil
}

// Mark suggests the question of conversation id as an alias of the page
// ref names (its id or address), as the caseworker marked it.
func (t *Teacher) Mark(ctx context.Context, id, caseworker, ref string) (Suggestion, error) {
	p, ok := t.pages.Page(strings.TrimSpace(ref))
	if !ok {
		return Suggestion{}, fmt.Errorf("%w: %q", ErrNoPage, ref)
	}
	return t.suggest(ctx, id, caseworker, p, SourceMarked)
}

func (t *Teacher) suggest(ctx context.Context, id, caseworker string, p knowledge.Page, source string) (Suggestion, error) {
	c, err := t.convs.Get(ctx, id)
	if err != nil {
		return Suggestion{}, fmt.Errorf("aliases: learn from %s: %w", id, err)
	}
	msgs, err := t.convs.Messages(ctx, id, 0, 500)
	if err != nil {
		return Suggestion{}, fmt.Errorf("aliases: learn from %s: %w", id, err)
	}
	q, lang := Question(msgs)
	if q == "" {
		return Suggestion{}, ErrNoQuestion
	}
	if lang == "" {
		lang = c.Language
	}
	s, _, err := t.store.Suggest(ctx, Suggestion{PageID: p.ID, PageTitle: p.Title, PageURL: p.URL, Text: q, Language: lang, Source: source, Caseworker: caseworker})
	return s, err
}

// Question is the citizen's question a caseworker answered: the last
// message the bot took for a question about the city's services before the
// first caseworker message, else the citizen's first message to the
// caseworker, else their last message before the caseworker's first.
// Button presses do not count.
func Question(msgs []conversation.Message) (text, lang string) {
	var asked, toPerson, last *conversation.Message
	caseworker := false
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case conversation.RoleCaseworker:
			caseworker = true
		case conversation.RoleCitizen:
			if m.Action != "" || strings.TrimSpace(m.Text) == "" {
				continue
			}
			if caseworker {
				continue
			}
			last = m
			if toPerson == nil && handedOff(msgs[:i]) {
				toPerson = m
			}
			if next := botAfter(msgs[i+1:]); next != nil && isQuestion(next.Decision) {
				asked = m
			}
		}
	}
	if asked == nil {
		asked = toPerson
	}
	if asked == nil {
		asked = last
	}
	if asked == nil {
		return "", ""
	}
	return asked.Text, asked.Language
}

// handedOff reports whether the bot handed the conversation off before.
func handedOff(before []conversation.Message) bool {
	for _, m := range before {
		if m.Role == conversation.RoleBot && m.Decision != nil && m.Decision.Kind == dialog.KindHandoff {
			return true
		}
	}
	return false
}

// botAfter is the bot's answer to a citizen's message (nil: none before
// the citizen's next message).
func botAfter(rest []conversation.Message) *conversation.Message {
	for i := range rest {
		switch rest[i].Role {
		case conversation.RoleBot:
			return &rest[i]
		case conversation.RoleCitizen:
			return nil
		}
	}
	return nil
}

// isQuestion: the bot searched the pages for this message (it was not a
// greeting, a request for a person or contact details).
func isQuestion(d *conversation.Decision) bool {
	if d == nil {
		return false
	}
	switch d.Kind {
	case dialog.KindAnswer, dialog.KindClarify, dialog.KindNotCovered:
		return true
	case dialog.KindHandoff:
		return d.Reason == dialog.ReasonLowConfidence || d.Reason == dialog.ReasonNoMatch || d.Reason == dialog.ReasonCaseSpecific
	}
	return false
}

package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
)

// Summary is one line of the console's lists (Waiting, Tickets, Claimed,
// Mine).
type Summary struct {
	ConversationID string              `json:"conversation_id"`
	Status         conversation.Status `json:"status"`
	Channel        string              `json:"channel"`
	Language       string              `json:"language,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	// Since is when the handoff was requested.
	Since    time.Time `json:"since"`
	Claimed  time.Time `json:"claimed,omitzero"`
	Assignee string    `json:"assignee,omitempty"`
	// Position in the line (Waiting only; 1 = next).
	Position int `json:"position,omitempty"`
	// Excerpt is the start of the citizen's last typed message (a pressed
	// "talk to a person" button only when there is nothing else). Personal data:
	// the console may show it; it is never logged.
	Excerpt string `json:"excerpt,omitempty"`
	// LastCitizen is when the citizen last wrote (the console's unread marker).
	LastCitizen time.Time `json:"last_citizen,omitzero"`
	// Contact: callback details (tickets). Personal data, as Excerpt.
	Contact    *conversation.Contact  `json:"contact,omitempty"`
	Candidates []conversation.PageRef `json:"candidates,omitempty"`
}

// excerptChars bounds Summary.Excerpt.
const excerptChars = 140

func (d *Desk) summary(ctx context.Context, c conversation.Conversation) Summary {
	s := Summary{
		ConversationID: c.ID, Status: c.Status, Channel: c.Channel, Language: c.Language,
		Assignee: c.Assignee, Contact: c.Contact,
	}
	if c.Handoff != nil {
		s.Reason, s.Since, s.Claimed, s.Candidates = c.Handoff.Reason, c.Handoff.Requested, c.Handoff.Claimed, c.Handoff.Candidates
	}
	msgs, err := d.store.Messages(ctx, c.ID, max(0, c.LastSeq-30), 0)
	if err != nil {
		return s
	}
	// The citizen's last own words: a pressed "talk to a person" button says
	// nothing about the concern (it is only shown when there is nothing else).
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != conversation.RoleCitizen {
			continue
		}
		if s.LastCitizen.IsZero() {
			s.LastCitizen = msgs[i].At
		}
		if s.Excerpt == "" || msgs[i].Action == "" {
			s.Excerpt = shorten(msgs[i].Text, excerptChars)
		}
		if msgs[i].Action == "" {
			break
		}
	}
	return s
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// collect reads the records of entries, keeps those in status want and
// repairs the index for the others (stale entries).
func (d *Desk) collect(ctx context.Context, op string, es []Entry, keep func(conversation.Conversation) bool) ([]Summary, error) {
	out := []Summary{}
	for _, e := range es {
		id := e.ConversationID
		c, err := d.store.Get(ctx, id)
		if errors.Is(err, conversation.ErrNotFound) {
			if err := d.queue.Drop(ctx, id); err != nil {
				return nil, fmt.Errorf("handoff: %s: %w", op, err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("handoff: %s: %w", op, err)
		}
		if !keep(c) {
			if !d.ahead(c, e) {
				d.reconcile(ctx, c)
			}
			continue
		}
		out = append(out, d.summary(ctx, c))
	}
	return out, nil
}

// Waiting lists the conversations waiting for a caseworker, first first,
// with positions.
func (d *Desk) Waiting(ctx context.Context) ([]Summary, error) {
	es, err := d.queue.Waiting(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: waiting: %w", err)
	}
	out, err := d.collect(ctx, "waiting", es, func(c conversation.Conversation) bool {
		return c.Status == conversation.StatusWaiting
	})
	for i := range out {
		out[i].Position = i + 1
	}
	return out, err
}

// Tickets lists open callback tickets, oldest request first.
func (d *Desk) Tickets(ctx context.Context) ([]Summary, error) {
	es, err := d.queue.Tickets(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: tickets: %w", err)
	}
	return d.collect(ctx, "tickets", es, func(c conversation.Conversation) bool {
		return c.Status == conversation.StatusTicket
	})
}

// Claimed lists every conversation a caseworker holds (for an overview).
func (d *Desk) Claimed(ctx context.Context) ([]Summary, error) {
	return d.claimed(ctx, "")
}

// Mine lists the conversations caseworker holds, oldest claim first.
func (d *Desk) Mine(ctx context.Context, caseworker string) ([]Summary, error) {
	if caseworker == "" {
		return []Summary{}, nil
	}
	return d.claimed(ctx, caseworker)
}

func (d *Desk) claimed(ctx context.Context, caseworker string) ([]Summary, error) {
	m, err := d.queue.Assigned(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: claimed: %w", err)
	}
	var es []Entry
	for id, cw := range m {
		if caseworker == "" || cw == caseworker {
			es = append(es, Entry{ConversationID: id})
		}
	}
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.ConversationID, b.ConversationID) })
	out, err := d.collect(ctx, "claimed", es, func(c conversation.Conversation) bool {
		return c.Status == conversation.StatusClaimed && (caseworker == "" || c.Assignee == caseworker)
	})
	slices.SortStableFunc(out, func(a, b Summary) int { return a.Claimed.Compare(b.Claimed) })
	return out, err
}

// Transcript is a conversation with every message, including private
// notes, status notices and the bot's decisions with their candidate pages.
type Transcript struct {
	Conversation conversation.Conversation `json:"conversation"`
	Messages     []conversation.Message    `json:"messages"`
}

// Transcript returns the full transcript for the console.
func (d *Desk) Transcript(ctx context.Context, id string) (Transcript, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return Transcript{}, fmt.Errorf("handoff: transcript %s: %w", id, err)
	}
	msgs, err := d.store.Messages(ctx, id, 0, 0)
	if err != nil {
		return Transcript{}, fmt.Errorf("handoff: transcript %s: %w", id, err)
	}
	return Transcript{Conversation: c, Messages: msgs}, nil
}

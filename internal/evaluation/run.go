package evaluation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// Engine is what an evaluation asks: one turn, and the pages it quotes.
type Engine interface {
	Respond(ctx context.Context, t dialog.Turn) (dialog.Reply, error)
	Page(id string) (*knowledge.Page, bool)
}

// Result is what the engine did with one case.
type Result struct {
	Case       Case
	Decision   string
	Reason     string // handoff reason, "" when the bot keeps the conversation
	Handoff    bool
	Confidence float64
	Evidence   *dialog.Evidence // nil when no search decided the turn
	// Ranked are the pages the engine considered, best first.
	Ranked []string
	// Source is the page the reply quotes ("" for none).
	Source string
	// Text is what the citizen reads; Quotes are the sentences of Source it
	// shows verbatim.
	Text   string
	Quotes []string
	// Reasons are the decision's human-readable evidence.
	Reasons []string
	// Ungrounded are quotes not found verbatim in Source.
	Ungrounded []string
	// AnswerShare is the share of the case's annotated answer sentences the
	// text shows (nil unless the case is annotated, answerable, and the reply
	// quotes the case's page).
	AnswerShare *float64
	Latency     time.Duration
}

// Rank is the 1-based rank of the first expected page among the ranked
// pages, or 0.
func (r Result) Rank() int {
	for i, id := range r.Ranked {
		for _, want := range r.Case.Expect {
			if id == want {
				return i + 1
			}
		}
	}
	return 0
}

// RightSource reports whether the reply quotes an expected page.
func (r Result) RightSource() bool {
	for _, want := range r.Case.Expect {
		if r.Source == want {
			return true
		}
	}
	return false
}

// Answered reports whether the reply presents a page's text as the answer.
func (r Result) Answered() bool { return r.Decision == dialog.KindAnswer }

// Run asks every case in the engine of its city, in the channel's answer
// style (dialog.StyleFull for web chat, StyleShort for SMS, StyleSpoken
// for voice), and records what happened.
func Run(ctx context.Context, cases []Case, engineOf func(city string) Engine, style dialog.Style) ([]Result, error) {
	results := make([]Result, 0, len(cases))
	for _, c := range cases {
		e := engineOf(c.City)
		if e == nil {
			return nil, fmt.Errorf("case on line %d: no knowledge base for city %q", c.Line, c.City)
		}
		start := time.Now()
		reply, err := e.Respond(ctx, dialog.Turn{Text: c.Q, Language: c.Lang, Style: style, Context: conversation.Context{Turns: 1}})
		elapsed := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("case on line %d: %w", c.Line, err)
		}
		results = append(results, record(c, reply, elapsed, e))
	}
	return results, nil
}

// canonicaler is an engine whose knowledge base searches near-duplicate
// pages as one (knowledge.KB.Canonical): a case expecting a copy is right
// when the page it copies is found.
type canonicaler interface {
	Canonical(id string) string
}

func record(c Case, reply dialog.Reply, elapsed time.Duration, e Engine) Result {
	annotated := c.Expect // the pages whose sentences the case's answers are
	if cn, ok := e.(canonicaler); ok && len(c.Expect) > 0 {
		expect := make([]string, len(c.Expect))
		for i, id := range c.Expect {
			expect[i] = cn.Canonical(id)
		}
		c.Expect = expect
	}
	r := Result{Case: c, Decision: reply.Decision.Kind, Reason: reply.Handoff, Handoff: reply.Handoff != "",
		Confidence: reply.Decision.Confidence, Evidence: reply.Evidence, Latency: elapsed,
		Text: reply.Text, Quotes: reply.Quotes, Reasons: reply.Decision.Reasons}
	for _, p := range reply.Decision.Candidates {
		r.Ranked = append(r.Ranked, p.ID)
	}
	if len(reply.Sources) > 0 {
		r.Source = reply.Sources[0].PageID
	}
	if r.Source != "" && len(r.Quotes) > 0 {
		if page, ok := e.Page(r.Source); ok {
			text := normText(pageText(page))
			for _, q := range r.Quotes {
				if !contains(text, normText(q)) {
					r.Ungrounded = append(r.Ungrounded, q)
				}
			}
		}
	}
	// The share of answer sentences shown is measured on the annotated
	// page only: a copy in other words cannot quote its sentences.
	if c.Annotated() && c.Answerable() && r.RightSource() && slices.Contains(annotated, r.Source) {
		lines := c.AnswerLines()
		if len(lines) > 0 {
			shown := normText(r.Text)
			n := 0
			for _, l := range lines {
				if contains(shown, normText(l)) {
					n++
				}
			}
			s := float64(n) / float64(len(lines))
			r.AnswerShare = &s
		}
	}
	return r
}

// pageText is all the text of a page: title, headings and sections.
func pageText(p *knowledge.Page) string {
	b := []byte(p.Title)
	for _, s := range p.Sections {
		b = append(b, '\n')
		b = append(b, s.Heading...)
		b = append(b, '\n')
		b = append(b, s.Text...)
	}
	return string(b)
}

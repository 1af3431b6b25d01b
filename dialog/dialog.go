// Package dialog decides what the bot says. The Engine handles one turn
// (language, intents, retrieval, confidence, answer composition, decision)
// and knows nothing of storage or channels; the Service is the one entry
// point every channel calls: it keeps the conversation in the store, keeps
// the bot silent while a caseworker has the conversation, and hands
// conversations to the handoff desk.
package dialog

import (
	"errors"

	"github.com/civibot/civibot/conversation"
)

// Input errors. Channels show them to the citizen in their own words.
var (
	ErrEmptyMessage   = errors.New("dialog: empty message")
	ErrMessageTooLong = errors.New("dialog: message too long")
)

// Style is how much text the channel can show.
type Style string

const (
	StyleFull   Style = ""       // web chat, Telegram: a short paragraph with the link
	StyleShort  Style = "short"  // SMS: one or two sentences and the link
	StyleSpoken Style = "spoken" // voice: two or three sentences, no links, no lists
)

// Decision kinds recorded on every bot turn.
const (
	KindAnswer    = "answer"
	KindClarify   = "clarify"
	KindHandoff   = "handoff"
	KindSmallTalk = "smalltalk"
	KindEmergency = "emergency"
	KindContact   = "contact" // callback details collected
	KindError     = "error"
	// KindNotCovered: the best page is about the question's topic but does
	// not say what was asked ("Die Seite nennt keine Gebühr."); the reply
	// says so, links the page and offers a person.
	KindNotCovered = "not_covered"
	// KindScope: the question is outside the city's services (sport,
	// weather, jokes, general knowledge); the reply says what the bot can
	// help with and offers a person, without handing off.
	KindScope = "scope"
)

// Handoff reasons.
const (
	ReasonLowConfidence   = "low_confidence"
	ReasonOutOfScope      = "out_of_scope"
	ReasonHumanRequest    = "human_request"
	ReasonCaseSpecific    = "case_specific"
	ReasonUrgent          = "urgent"
	ReasonPromptInjection = "prompt_injection"
	ReasonButton          = "button"   // the citizen pressed "talk to a person"
	ReasonNoMatch         = "no_match" // voice: repeated misunderstanding
)

// Turn is one citizen message as the engine sees it.
type Turn struct {
	Text string
	// Language is the channel's hint (Telegram language_code, the language
	// chosen on a call); "" means detect it from the text.
	Language string
	// Context is what the conversation remembers from earlier turns.
	Context conversation.Context
	Style   Style
}

// Reply is the engine's answer to one turn, channel-neutral.
type Reply struct {
	Text         string
	Language     string
	Sources      []conversation.Source
	QuickReplies []conversation.QuickReply
	// Handoff is the reason the conversation should go to a person; empty
	// when it should not.
	Handoff  string
	Decision conversation.Decision
	// Quotes are the sentences of the source page the text shows verbatim
	// (extractive answers; empty for fixed texts).
	Quotes []string
	// Evidence is what the confidence was computed from, when the turn
	// searched the knowledge base (nil for intents and follow-ups); civibot
	// eval --fit-calibration fits the Calibration on it.
	Evidence *Evidence
	// Context is the conversation context after this turn.
	Context conversation.Context
}

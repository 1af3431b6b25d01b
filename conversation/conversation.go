// Package conversation is the one home of conversation state: the
// conversation record, its ordered messages, the events that tell other
// instances about changes, and idempotency keys for channels whose providers
// retry (Telegram update_id, Twilio MessageSid).
//
// Two backends implement Store, Bus and Idempotency with the same behaviour:
// an in-memory one for a single instance (NewMemory) and Redis for several
// instances behind a load balancer (NewRedis). One contract test suite
// (contract_test.go) runs against both.
//
// Consumers (dialog, handoff, channels, web) declare the small interfaces
// they need; the Store interface here exists for the contract suite and for
// wiring in cmd/civibot.
package conversation

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	ErrNotFound    = errors.New("conversation: not found")
	ErrExists      = errors.New("conversation: already exists")
	ErrConflict    = errors.New("conversation: concurrent update, try again")
	ErrUnavailable = errors.New("conversation: store unavailable")
	// ErrInvalid: the arguments cannot be stored (empty id, unknown role,
	// feedback value out of range). Retrying does not help.
	ErrInvalid = errors.New("conversation: invalid argument")
)

// Channel names. A conversation lives on exactly one channel.
const (
	ChannelWeb      = "web"
	ChannelTelegram = "telegram"
	ChannelSMS      = "sms"
	ChannelVoice    = "voice"
	ChannelEmail    = "email"
	// ChannelWhatsApp: WhatsApp through Twilio; the address is
	// "whatsapp:+E.164".
	ChannelWhatsApp = "whatsapp"
)

// Status is where a conversation stands in the handoff flow.
type Status string

const (
	// StatusBot: the bot answers.
	StatusBot Status = "bot"
	// StatusWaiting: a handoff was requested; the conversation is in the
	// queue. The bot may still answer general questions.
	StatusWaiting Status = "waiting"
	// StatusClaimed: a caseworker has it; the bot stays silent.
	StatusClaimed Status = "claimed"
	// StatusTicket: no caseworker was available; the citizen was offered (or
	// left) a callback ticket which stays for the next shift.
	StatusTicket Status = "ticket"
	// StatusClosed: a caseworker closed it with an outcome. A new citizen
	// message re-opens it with the bot.
	StatusClosed Status = "closed"
)

// Roles of a message's author.
const (
	RoleCitizen    = "citizen"
	RoleBot        = "bot"
	RoleCaseworker = "caseworker"
	RoleSystem     = "system" // status notices shown to the citizen ("a caseworker joined")
	// RoleNote is a private caseworker note, never delivered to the citizen.
	// Notes are stored in the transcript and published as EventMessage like
	// every other message (the console shows them live), so every channel
	// adapter must skip messages with RoleNote when delivering events or
	// catching up from Messages.
	RoleNote = "note"
)

// Conversation is the record of one citizen's conversation on one channel.
type Conversation struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	// Address is where the channel delivers: a Telegram chat id, a phone
	// number in E.164. Empty for web chat (delivery follows the socket).
	// It is personal data: never log it.
	Address  string   `json:"address,omitempty"`
	Language string   `json:"language,omitempty"`
	Status   Status   `json:"status"`
	Assignee string   `json:"assignee,omitempty"`
	Handoff  *Handoff `json:"handoff,omitempty"`
	Contact  *Contact `json:"contact,omitempty"`
	// OptedOut: the citizen sent STOP by SMS. Nothing is sent to Address
	// until they send START. The flag lives (and expires) with the
	// conversation.
	OptedOut bool `json:"opted_out,omitempty"`
	// SMSQuota counts the bot's SMS answers to Address in the current
	// window (the SMS channel's daily limit per number); on a WhatsApp
	// conversation it counts WhatsApp answers.
	SMSQuota Quota `json:"sms_quota,omitzero"`
	// Thread is an e-mail conversation's thread: what a reply needs to be
	// shown in the citizen's thread (nil on other channels).
	Thread  *Thread   `json:"thread,omitempty"`
	Context Context   `json:"context"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// LastSeq is the sequence number of the newest message.
	LastSeq int64 `json:"last_seq"`
}

// Thread is the e-mail thread of a conversation: the subject and the
// message ids a reply refers to (In-Reply-To, References).
type Thread struct {
	Subject string `json:"subject,omitempty"`
	// Last is the Message-ID of the citizen's latest e-mail (the one a reply
	// answers), without angle brackets.
	Last string `json:"last,omitempty"`
	// References are the thread's message ids, oldest first (bounded).
	References []string `json:"references,omitempty"`
}

// Quota counts what was sent in a window that began at Since.
type Quota struct {
	Since time.Time `json:"since"`
	Count int       `json:"count"`
}

// Context is what the dialog engine remembers between turns to resolve
// follow-ups ("und was kostet das?").
type Context struct {
	LastPageID   string   `json:"last_page_id,omitempty"`
	LastQuestion string   `json:"last_question,omitempty"`
	LastTopic    string   `json:"last_topic,omitempty"`
	Candidates   []string `json:"candidates,omitempty"` // page ids offered in a clarifying question
	// HandedOffFor is the normalised question that last caused a handoff, so
	// that giving a conversation back does not loop into the same handoff.
	HandedOffFor string `json:"handed_off_for,omitempty"`
	Turns        int    `json:"turns,omitempty"`
	// Misunderstood counts consecutive turns the bot could not use (voice
	// no-match, silence); reset by an understood turn.
	Misunderstood int `json:"misunderstood,omitempty"`
	// AwaitingContact is set while the bot is asking for callback details.
	AwaitingContact bool `json:"awaiting_contact,omitempty"`
}

// Handoff describes the current (or last) request for a person.
type Handoff struct {
	Reason     string       `json:"reason"` // low_confidence, human_request, case_specific, urgent, prompt_injection, out_of_scope, button, no_match
	Requested  time.Time    `json:"requested"`
	Claimed    time.Time    `json:"claimed,omitzero"`
	Candidates []PageRef    `json:"candidates,omitempty"`
	Outcome    string       `json:"outcome,omitempty"`
	Audit      []AuditEntry `json:"audit,omitempty"`
	// Rating is the citizen's rating of the conversation with a person
	// (1 to 5; 0: none), RatingComment what they added (personal data:
	// shown in the console, never logged or counted).
	Rating        int    `json:"rating,omitempty"`
	RatingComment string `json:"rating_comment,omitempty"`
}

// PageRef names a knowledge page the bot considered.
type PageRef struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	URL   string  `json:"url,omitempty"`
	Score float64 `json:"score,omitempty"`
}

// AuditEntry records who did what to a handed-off conversation, and when.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // caseworker username, "bot" or "system"
	Action string    `json:"action"` // requested, claimed, replied, transferred, gave_back, closed, ticket, noted
	Detail string    `json:"detail,omitempty"`
}

// Contact holds callback details the citizen chose to give.
type Contact struct {
	Name  string    `json:"name,omitempty"`
	Phone string    `json:"phone,omitempty"`
	Email string    `json:"email,omitempty"`
	Note  string    `json:"note,omitempty"`
	Given time.Time `json:"given"`
}

// Message is one entry of a conversation's transcript.
type Message struct {
	// Seq orders messages in a conversation (1, 2, 3 …); assigned by Append.
	Seq int64 `json:"seq"`
	// ID is the server message id, unique across conversations; assigned by
	// Append as "<conversation id>-<seq>".
	ID string `json:"id"`
	// ClientID is the sender's id for idempotency: Append with a ClientID
	// already stored returns the stored message and duplicate=true.
	ClientID     string       `json:"client_id,omitempty"`
	Role         string       `json:"role"`
	Author       string       `json:"author,omitempty"` // caseworker username for RoleCaseworker and RoleNote
	Text         string       `json:"text"`
	Language     string       `json:"language,omitempty"`
	Sources      []Source     `json:"sources,omitempty"`
	QuickReplies []QuickReply `json:"quick_replies,omitempty"`
	Decision     *Decision    `json:"decision,omitempty"` // bot turns only
	Feedback     int          `json:"feedback,omitempty"` // -1, 0, +1 (bot turns)
	At           time.Time    `json:"at"`
	// Action is set on a citizen message that records something the
	// citizen did rather than typed (ActionPerson); its Text is a
	// description in the citizen's language.
	Action string `json:"action,omitempty"`
}

// ActionPerson: the citizen asked for a person with a button, /human or a
// key press.
const ActionPerson = "person"

// ActionTemplate marks a caseworker message sent as an approved message
// template (WhatsApp outside the 24-hour customer-service window); its Text
// is what the template says.
const ActionTemplate = "template"

// Source is a link to the page an answer came from.
type Source struct {
	PageID string `json:"page_id"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
}

// QuickReply is a suggested answer the citizen can pick. Payload is the text
// sent when picked (it may equal Label).
type QuickReply struct {
	Label   string `json:"label"`
	Payload string `json:"payload"`
}

// Decision is what the dialog engine decided on a turn and why. It is kept
// with the bot's message for the console, analytics and evaluation.
type Decision struct {
	Kind       string    `json:"kind"` // answer, clarify, handoff, smalltalk, emergency, silent, error
	Intent     string    `json:"intent,omitempty"`
	Reason     string    `json:"reason,omitempty"` // handoff reason
	Confidence float64   `json:"confidence"`
	Reasons    []string  `json:"reasons,omitempty"` // human-readable evidence
	Candidates []PageRef `json:"candidates,omitempty"`
}

// EventType says what changed.
type EventType string

const (
	EventMessage EventType = "message" // a message was appended (Message set)
	EventStatus  EventType = "status"  // the record changed (Conversation set)
	EventDeleted EventType = "deleted" // the conversation was deleted
	// EventFeedback: the feedback of a stored message changed (Message set,
	// carrying the updated message). It is not a new message: channels must
	// not deliver it again.
	EventFeedback EventType = "feedback"
)

// Event tells subscribers about a change to one conversation.
type Event struct {
	Type           EventType     `json:"type"`
	ConversationID string        `json:"conversation_id"`
	Message        *Message      `json:"message,omitempty"`
	Conversation   *Conversation `json:"conversation,omitempty"`
}

// Options configure a backend (NewMemory, NewRedis). The zero value is
// usable: every field has a default.
type Options struct {
	// Prefix starts every Redis key and pub/sub channel (default
	// DefaultPrefix). It must not contain '{' or '}' (hash tags). Unused by
	// the memory backend.
	Prefix string
	// Retention is how long a conversation is kept after its last write
	// (default DefaultRetention). Redis keys carry it as TTL; the memory
	// backend treats older conversations as gone.
	Retention time.Duration
	// BotRetention is how long a conversation that never reached a person
	// (no Handoff) is kept after its last write (default
	// DefaultBotRetention, at most Retention): most chats are a question
	// and an answer, and keeping them for Retention lets one client fill
	// the store. Once a handoff is recorded, Retention applies.
	BotRetention time.Duration
	// Now is the clock (default time.Now). Stored timestamps (Created,
	// Updated, Message.At) come from it, in UTC.
	Now func() time.Time
	// WaitReplicas (Redis only): an Append is acknowledged only once this
	// many replicas have it (Redis WAIT, at most WaitTimeout); otherwise it
	// fails with ErrUnavailable and the sender retries (the client id
	// makes the retry count once). 0: acknowledged once the master has it
	// (a failover may lose the last writes).
	WaitReplicas int
	// WaitTimeout bounds the wait for replicas (default 1s).
	WaitTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultPrefix    = "civibot:"
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultBotRetention keeps bot-only conversations two days.
	DefaultBotRetention = 48 * time.Hour
	// DefaultWaitTimeout bounds the wait for replicas (Options.WaitReplicas).
	DefaultWaitTimeout = time.Second
)

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.BotRetention <= 0 {
		o.BotRetention = DefaultBotRetention
	}
	o.BotRetention = min(o.BotRetention, o.Retention)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WaitReplicas > 0 && o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	return o
}

// Topic returns the bus topic for one conversation's events.
func Topic(conversationID string) string { return "conv:" + conversationID }

// TopicTyping returns the bus topic on which the console says that the
// caseworker is typing in a conversation (no payload; best effort).
func TopicTyping(conversationID string) string { return "typing:" + conversationID }

// TopicQueue is the bus topic on which the handoff desk announces that the
// queue changed (a request, a claim, a give-back, a close): consoles refresh
// their list and citizens' channels refresh their queue position.
const TopicQueue = "queue"

// TopicPresence is the bus topic on which caseworker presence changes.
const TopicPresence = "presence"

// Store keeps conversations and their transcripts. Every mutating call
// publishes an Event on Topic(id) through the backend's Bus, so a socket held
// by another instance learns about it. Events of one conversation are
// published in the order of the writes; a failed publish never fails a
// write. Values passed in and returned are copies: changing them does not
// change what is stored.
//
// Every write (Create, Update, Append, SetFeedback) sets Updated; a
// conversation is deleted Options.Retention after its last write
// (Options.BotRetention while it has no Handoff). Failures
// of the storage itself wrap ErrUnavailable.
type Store interface {
	// Create stores a new conversation (ID must be set). ErrExists if taken.
	// Created and Updated are set to now, LastSeq to 0, an empty Status to
	// StatusBot. ErrInvalid for an id that is empty, longer than 200 bytes
	// or contains '{', '}', spaces or control characters.
	Create(ctx context.Context, c Conversation) (Conversation, error)
	// Get returns the conversation or ErrNotFound.
	Get(ctx context.Context, id string) (Conversation, error)
	// Update applies fn atomically (optimistic retry on the Redis backend;
	// fn may run more than once and must not have side effects; on the
	// memory backend it runs under the store's lock and must not call the
	// store). Returning an error from fn aborts the update and returns that
	// error. ID, Created and LastSeq keep their values whatever fn does.
	// ErrConflict if other writers won every retry.
	Update(ctx context.Context, id string, fn func(*Conversation) error) (Conversation, error)
	// Append adds a message, assigning Seq, ID and At (if zero), and moves
	// the record's LastSeq and Updated. If m.ClientID is set and already
	// stored for this conversation, it stores (and publishes) nothing and
	// returns the earlier message with duplicate=true. Seq has no gaps and
	// no duplicates, whatever the number of concurrent writers. ErrInvalid
	// for an unknown role or a feedback value out of range.
	Append(ctx context.Context, id string, m Message) (stored Message, duplicate bool, err error)
	// Messages returns messages with Seq > after, oldest first, at most limit
	// (limit <= 0: all).
	Messages(ctx context.Context, id string, after int64, limit int) ([]Message, error)
	// SetFeedback records a citizen's thumbs up (+1) or down (-1) on a bot
	// message (0 clears it) and publishes EventFeedback. ErrNotFound if
	// there is no such message, ErrInvalid for another value or a message
	// that is not RoleBot.
	SetFeedback(ctx context.Context, id string, seq int64, value int) error
	// Delete removes the conversation and everything stored with it (GDPR).
	// ErrNotFound if there is none.
	Delete(ctx context.Context, id string) error
	// List returns conversations updated at or after since, newest first, at
	// most limit (limit <= 0: all). For the console, analytics and purge.
	List(ctx context.Context, since time.Time, limit int) ([]Conversation, error)
	// Purge deletes conversations last updated before cutoff, publishing
	// EventDeleted for each, and returns how many it deleted.
	Purge(ctx context.Context, cutoff time.Time) (int, error)
}

// Bus delivers events to every instance. Delivery is at-most-once (Redis
// pub/sub): a subscriber that may have missed events re-reads Messages after
// its last seen Seq.
type Bus interface {
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe delivers payloads published on topic until ctx ends or the
	// returned cancel func is called. The channel is closed then. An empty
	// (zero-length) payload means "the connection to the bus was re-made:
	// you may have missed events, catch up from the store".
	Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error)
}

// Idempotency remembers keys of work already done, for providers that retry
// (Telegram update_id, Twilio MessageSid).
type Idempotency interface {
	// Begin reserves key for lease. It returns false if the key is done or
	// another worker holds an unexpired lease.
	Begin(ctx context.Context, key string, lease time.Duration) (bool, error)
	// Done marks key finished for keep.
	Done(ctx context.Context, key string, keep time.Duration) error
	// Abandon releases a lease so a retry can do the work. A key that is
	// done stays done. Leases carry no owner: a worker whose lease expired
	// must not Abandon (it would release the next worker's lease).
	Abandon(ctx context.Context, key string) error
	// Finished reports whether key is done — not merely leased by a worker
	// that may still fail or die.
	Finished(ctx context.Context, key string) (bool, error)
}

// HandoffRequest asks the handoff desk to give a conversation to a person.
type HandoffRequest struct {
	Reason     string    `json:"reason"`
	Language   string    `json:"language"`
	Channel    string    `json:"channel"`
	Question   string    `json:"question,omitempty"` // the citizen's message that led to it
	Candidates []PageRef `json:"candidates,omitempty"`
}

// QueueStatus tells a citizen where their handoff stands.
type QueueStatus struct {
	// Queued: the conversation waits for a caseworker.
	Queued bool `json:"queued"`
	// Position in the queue, 1 = next; 0 when not queued.
	Position int `json:"position,omitempty"`
	// Wait is the estimated wait; 0 when unknown.
	Wait time.Duration `json:"wait,omitempty"`
	// Ticket: no caseworker is available now (outside office hours, or
	// nobody online); the citizen is offered a callback instead.
	Ticket bool `json:"ticket,omitempty"`
	// NextOpen is when caseworkers are next expected (zero: unknown).
	NextOpen time.Time `json:"next_open,omitzero"`
}

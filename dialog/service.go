package dialog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
)

// Responder answers one turn; *Engine (and *Live, which reloads it) is
// the production one.
type Responder interface {
	Respond(ctx context.Context, t Turn) (Reply, error)
}

// Store is what the Service needs of conversation.Store.
type Store interface {
	Create(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error)
	Get(ctx context.Context, id string) (conversation.Conversation, error)
	Update(ctx context.Context, id string, fn func(*conversation.Conversation) error) (conversation.Conversation, error)
	Append(ctx context.Context, id string, m conversation.Message) (conversation.Message, bool, error)
	Messages(ctx context.Context, id string, after int64, limit int) ([]conversation.Message, error)
	SetFeedback(ctx context.Context, id string, seq int64, value int) error
	Delete(ctx context.Context, id string) error
}

// Desk is what the Service needs of the handoff desk.
type Desk interface {
	// Request queues the conversation for a caseworker, or opens a callback
	// ticket when nobody can come. It updates the conversation's status.
	Request(ctx context.Context, conversationID string, r conversation.HandoffRequest) (conversation.QueueStatus, error)
	// Position tells where a waiting conversation stands.
	Position(ctx context.Context, conversationID string) (conversation.QueueStatus, error)
	// Ticket stores callback details the citizen gave.
	Ticket(ctx context.Context, conversationID string, c conversation.Contact) error
	// Forget deletes the conversation and its queue, ticket and assignment
	// entries (the citizen's right to erasure).
	Forget(ctx context.Context, conversationID string) error
}

// ServiceConfig limits what the Service accepts.
type ServiceConfig struct {
	// MaxMessageChars is the longest citizen message accepted (characters).
	MaxMessageChars int
	// DefaultLanguage for conversations whose language is not known yet.
	DefaultLanguage string
}

// DefaultMaxMessageChars is the default MaxMessageChars.
const DefaultMaxMessageChars = 2000

// Inbound is one citizen message (or action) from a channel.
type Inbound struct {
	// ConversationID is derived by the channel (conversation.WebID, …).
	ConversationID string
	Channel        string
	// Address is where the channel delivers (chat id, phone number); it is
	// stored with a new conversation. Personal data: never logged.
	Address string
	// ClientID makes the message idempotent: a resend with the same
	// ClientID is stored and answered once.
	ClientID string
	Text     string
	// Language hint from the channel; "" = detect.
	Language string
	Style    Style
}

// Outcome is what happened to one Inbound.
type Outcome struct {
	Conversation conversation.Conversation
	// Citizen is the stored citizen message.
	Citizen conversation.Message
	// Replies are the stored bot messages answering it (none while a
	// caseworker has the conversation). For a duplicate, the replies given
	// the first time (possibly none yet, if it is still being answered).
	Replies   []conversation.Message
	Duplicate bool
	// Queue is set when this message led to a handoff (or one is pending).
	Queue *conversation.QueueStatus

	began time.Time // when the message arrived (for observers)
}

// Service is the conversation flow every channel calls.
type Service struct {
	engine Responder
	store  Store
	bus    conversation.Bus
	desk   Desk
	log    *slog.Logger
	cfg    ServiceConfig
	now    func() time.Time
	obs    []Observer
	// turns bounds how many engine turns compute at once; a turn waiting
	// on a remote embedder or the LLM gives its slot up (slot.go).
	turns slots
}

// ServiceOptions are the Service's collaborators. Engine, Store, Bus and
// Desk are required.
type ServiceOptions struct {
	Engine Responder
	Store  Store
	// Bus carries the conversation's events (usually the store too).
	Bus  conversation.Bus
	Desk Desk
	Log  *slog.Logger // nil: discarded
	// Observers are told about every turn, rating and handoff (metrics,
	// analytics); nil entries are skipped.
	Observers []Observer
	// Now is the clock (default time.Now): when callback details were
	// given, the window of a daily answer limit.
	Now func() time.Time
}

// NewService wires the engine, the store, the event bus and the handoff desk.
func NewService(cfg ServiceConfig, o ServiceOptions) (*Service, error) {
	engine, st, bus, desk, log := o.Engine, o.Store, o.Bus, o.Desk, o.Log
	if engine == nil || st == nil || bus == nil || desk == nil {
		return nil, errors.New("dialog: new service: engine, store, bus and desk are required")
	}
	if cfg.MaxMessageChars <= 0 {
		cfg.MaxMessageChars = DefaultMaxMessageChars
	}
	if cfg.DefaultLanguage == "" {
		cfg.DefaultLanguage = "de"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{engine: engine, store: st, bus: bus, desk: desk, log: log, cfg: cfg, now: time.Now,
		turns: make(slots, runtime.GOMAXPROCS(0))}
	for _, ob := range o.Observers {
		if ob != nil {
			s.obs = append(s.obs, ob)
		}
	}
	if o.Now != nil {
		s.now = o.Now
	}
	return s, nil
}

// Handle stores a citizen message and answers it, unless a caseworker has
// the conversation. Errors: ErrEmptyMessage, ErrMessageTooLong (nothing
// stored), or a store error (wrapping conversation.ErrUnavailable when the
// store is down; nothing was answered, the channel should ask the citizen to
// resend — a resend with the same ClientID is answered once).
func (s *Service) Handle(ctx context.Context, in Inbound) (Outcome, error) {
	began := time.Now()
	text, err := s.clean(in.Text)
	if err != nil {
		return Outcome{}, err
	}
	conv, err := s.conversation(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	citizen, dup, err := s.store.Append(ctx, conv.ID, conversation.Message{
		Role: conversation.RoleCitizen, ClientID: in.ClientID, Text: text, Language: in.Language,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("dialog: store citizen message: %w", err)
	}
	if dup {
		return s.duplicate(ctx, conv, citizen)
	}
	s.received(ctx, conv.Channel)
	out := Outcome{Conversation: conv, Citizen: citizen, began: began}

	switch conv.Status {
	case conversation.StatusClaimed:
		// The caseworker answers; the bot stays silent.
		return out, nil
	case conversation.StatusWaiting:
		if asksAboutWait(text) {
			return s.queueAnswer(ctx, out, in, text)
		}
	case conversation.StatusClosed:
		conv, err = s.store.Update(ctx, conv.ID, func(c *conversation.Conversation) error {
			if c.Status == conversation.StatusClosed {
				c.Status = conversation.StatusBot
				c.Assignee = ""
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("dialog: reopen: %w", err)
		}
		out.Conversation = conv
	}

	if conv.Context.AwaitingContact {
		if done, o, err := s.contact(ctx, conv, out, text); done || err != nil {
			return o, err
		}
		// Not callback details: stop asking, answer it as a question.
		conv.Context.AwaitingContact = false
		out.Conversation = conv
	}

	reply, err := s.respond(ctx, Turn{Text: text, Language: s.language(in, conv), Context: conv.Context, Style: in.Style})
	if err != nil {
		s.log.ErrorContext(ctx, "dialog turn failed", "conversation_id", conv.ID, "channel", conv.Channel, "error", err)
		reply = s.errorReply(conv, in)
	}
	return s.finish(ctx, out, in, text, reply)
}

// respond runs one engine turn when a CPU is free for it; the turn gives
// the CPU up while it waits on the network.
func (s *Service) respond(ctx context.Context, t Turn) (Reply, error) {
	slot, err := s.turns.take(ctx)
	if err != nil {
		return Reply{}, err
	}
	defer slot.release()
	return s.engine.Respond(withSlot(ctx, slot), t)
}

// RequestPerson hands the conversation to a person because the citizen
// pressed "talk to a person" (or sent /human, or pressed 0 on a call). It is
// idempotent on in.ClientID.
func (s *Service) RequestPerson(ctx context.Context, in Inbound) (Outcome, error) {
	began := time.Now()
	conv, err := s.conversation(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	lang := s.language(in, conv)
	citizen, dup, err := s.store.Append(ctx, conv.ID, conversation.Message{
		Role: conversation.RoleCitizen, ClientID: in.ClientID, Text: phrasesFor(lang).PersonButton, Language: lang,
		Action: conversation.ActionPerson,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("dialog: store handoff request: %w", err)
	}
	if dup {
		return s.duplicate(ctx, conv, citizen)
	}
	s.received(ctx, conv.Channel)
	out := Outcome{Conversation: conv, Citizen: citizen, began: began}
	if conv.Status == conversation.StatusClaimed {
		return out, nil
	}
	ctxt := conv.Context
	ctxt.Turns++
	reply := Reply{
		Language: lang,
		Handoff:  ReasonButton,
		Decision: conversation.Decision{Kind: KindHandoff, Intent: "human_request", Reason: ReasonButton, Confidence: 1},
		Context:  ctxt,
	}
	return s.finish(ctx, out, in, "", reply)
}

// finish applies a reply: hands off if asked, stores the bot message, and
// updates the conversation's context and language.
func (s *Service) finish(ctx context.Context, out Outcome, in Inbound, question string, reply Reply) (Outcome, error) {
	conv := out.Conversation
	p := phrasesFor(reply.Language)
	reply.Context.Turns = conv.Context.Turns + 1
	var requested, ticket bool
	if reply.Handoff != "" {
		var q conversation.QueueStatus
		var err error
		switch {
		case conv.Status == conversation.StatusTicket && (reply.Handoff == ReasonHumanRequest || reply.Handoff == ReasonButton):
			// A callback ticket whose citizen asks for a person again: if a
			// caseworker has come online since, the conversation joins the
			// live line; if not, the ticket stays.
			q, err = s.desk.Request(ctx, conv.ID, conversation.HandoffRequest{
				Reason: reply.Handoff, Language: reply.Language, Channel: conv.Channel,
				Question: question, Candidates: reply.Decision.Candidates,
			})
			if err == nil {
				if q.Queued {
					requested = true
					reply.Context.AwaitingContact = false
					reply.Text = joinText(reply.Text, p.queued(q, in.Style))
				} else {
					reply.Text = joinText(reply.Text, p.alreadyQueued(q))
				}
			}
		case conv.Status == conversation.StatusWaiting || conv.Status == conversation.StatusTicket:
			// Already with the desk: no second queue entry.
			q, err = s.desk.Position(ctx, conv.ID)
			if err == nil {
				reply.Text = joinText(reply.Text, p.alreadyQueued(q))
			}
		case reply.Handoff == ReasonLowConfidence && question != "" && conversation.NormalizeQuestion(question) == conv.Context.HandedOffFor:
			// Given back after a handoff for this very question: don't loop.
			reply.Handoff = ""
			reply.Decision.Kind = KindAnswer
			reply.Decision.Reasons = append(reply.Decision.Reasons, "same question was already handed off; not handing off again")
			reply.Text = p.NoAnswerAfterGiveBack
			reply.QuickReplies = []conversation.QuickReply{{Label: p.PersonButton, Payload: p.PersonButton}}
		default:
			q, err = s.desk.Request(ctx, conv.ID, conversation.HandoffRequest{
				Reason: reply.Handoff, Language: reply.Language, Channel: conv.Channel,
				Question: question, Candidates: reply.Decision.Candidates,
			})
			if err == nil {
				requested, ticket = true, q.Ticket
				// The desk recorded the question in Context.HandedOffFor.
				reply.Context.HandedOffFor = ""
				if q.Ticket && in.Style != StyleMail {
					// By e-mail the sender's address is the contact.
					reply.Context.AwaitingContact = true
				}
				reply.Text = joinText(reply.Text, p.queued(q, in.Style))
			}
		}
		if err != nil {
			s.log.ErrorContext(ctx, "handoff request failed", "conversation_id", conv.ID, "channel", conv.Channel, "error", err)
			reply.Text = joinText(reply.Text, p.HandoffFailed)
			reply.Decision.Reasons = append(reply.Decision.Reasons, "handoff desk unavailable")
		} else if reply.Handoff != "" {
			out.Queue = &q
		}
	}

	updated, err := s.store.Update(ctx, conv.ID, func(c *conversation.Conversation) error {
		// Only the context and language change here: the desk owns the
		// status, which it may have just set.
		handedOffFor := c.Context.HandedOffFor
		c.Context = reply.Context
		if c.Context.HandedOffFor == "" {
			c.Context.HandedOffFor = handedOffFor
		}
		if reply.Language != "" {
			c.Language = reply.Language
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("dialog: update context: %w", err)
	}
	out.Conversation = updated

	decision := reply.Decision
	bot, _, err := s.store.Append(ctx, conv.ID, conversation.Message{
		Role: conversation.RoleBot, Text: reply.Text, Language: reply.Language,
		Sources: reply.Sources, QuickReplies: reply.QuickReplies, Decision: &decision,
	})
	if err != nil {
		return out, fmt.Errorf("dialog: store reply: %w", err)
	}
	out.Replies = []conversation.Message{bot}
	s.log.InfoContext(ctx, "dialog turn", "conversation_id", conv.ID, "channel", conv.Channel,
		"decision", decision.Kind, "reason", decision.Reason, "confidence", round2(decision.Confidence), "language", reply.Language)
	if len(s.obs) > 0 {
		s.turned(ctx, TurnRecord{
			Conversation: conv, Question: question, Language: reply.Language, Decision: decision,
			Sources: reply.Sources, Handoff: requested, Ticket: ticket, Took: time.Since(out.began),
		})
	}
	return out, nil
}

// contact handles a message while the bot waits for callback details. It
// returns done=false when the message is not contact details, so it is
// answered as a question.
func (s *Service) contact(ctx context.Context, conv conversation.Conversation, out Outcome, text string) (bool, Outcome, error) {
	lang := conv.Language
	if lang == "" {
		lang = s.cfg.DefaultLanguage
	}
	p := phrasesFor(lang)
	c, ok := parseContact(text)
	ctxt := conv.Context
	ctxt.AwaitingContact = false
	var reply Reply
	switch {
	case ok:
		c.Given = s.now()
		if err := s.desk.Ticket(ctx, conv.ID, c); err != nil {
			return true, out, fmt.Errorf("dialog: store callback details: %w", err)
		}
		reply = Reply{Text: p.ContactSaved, Language: lang, Context: ctxt,
			Decision: conversation.Decision{Kind: KindContact, Confidence: 1, Reasons: []string{"callback details given"}}}
	case isDecline(text):
		reply = Reply{Text: p.ContactDeclined, Language: lang, Context: ctxt,
			Decision: conversation.Decision{Kind: KindSmallTalk, Intent: "decline_contact", Confidence: 1}}
	default:
		return false, out, nil
	}
	reply.Context.Turns = conv.Context.Turns
	o, err := s.finish(ctx, out, Inbound{}, "", reply)
	return true, o, err
}

// duplicate answers a resent message with what was answered the first time.
func (s *Service) duplicate(ctx context.Context, conv conversation.Conversation, citizen conversation.Message) (Outcome, error) {
	msgs, err := s.store.Messages(ctx, conv.ID, citizen.Seq, 0)
	if err != nil {
		return Outcome{}, fmt.Errorf("dialog: replies to duplicate: %w", err)
	}
	out := Outcome{Conversation: conv, Citizen: citizen, Duplicate: true}
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen {
			break
		}
		if m.Role == conversation.RoleBot {
			out.Replies = append(out.Replies, m)
		}
	}
	return out, nil
}

// conversation returns the conversation, creating it on first contact.
func (s *Service) conversation(ctx context.Context, in Inbound) (conversation.Conversation, error) {
	if in.ConversationID == "" || in.Channel == "" {
		return conversation.Conversation{}, errors.New("dialog: inbound needs a conversation id and a channel")
	}
	c, err := s.getOrCreate(ctx, conversation.Conversation{
		ID: in.ConversationID, Channel: in.Channel, Address: in.Address,
		Language: in.Language, Status: conversation.StatusBot,
	})
	if err != nil {
		return c, fmt.Errorf("dialog: %w", err)
	}
	return c, nil
}

// Messages returns the transcript a citizen may see (no private notes),
// after the given sequence number.
func (s *Service) Messages(ctx context.Context, conversationID string, after int64) ([]conversation.Message, error) {
	msgs, err := s.store.Messages(ctx, conversationID, after, 0)
	if err != nil {
		return nil, fmt.Errorf("dialog: messages: %w", err)
	}
	visible := msgs[:0]
	for _, m := range msgs {
		if m.Role != conversation.RoleNote {
			visible = append(visible, m)
		}
	}
	return visible, nil
}

// Conversation returns the conversation record (conversation.ErrNotFound if
// there is none yet).
func (s *Service) Conversation(ctx context.Context, conversationID string) (conversation.Conversation, error) {
	c, err := s.store.Get(ctx, conversationID)
	if err != nil {
		return c, fmt.Errorf("dialog: conversation: %w", err)
	}
	return c, nil
}

// Watch signals on the returned channel whenever the conversation may have
// changed (a message, a status change, or a bus reconnect); the caller then
// reads Messages after its last seen Seq. Signals coalesce: a burst of
// events while the caller is busy leaves one pending signal, so it reads
// once. The channel is closed when ctx ends or stop is called.
func (s *Service) Watch(ctx context.Context, conversationID string) (<-chan struct{}, func(), error) {
	return s.watch(ctx, conversation.Topic(conversationID))
}

// WatchQueue signals whenever the handoff queue changed, so a channel can
// refresh the queue positions it shows. Same semantics as Watch.
func (s *Service) WatchQueue(ctx context.Context) (<-chan struct{}, func(), error) {
	return s.watch(ctx, conversation.TopicQueue)
}

func (s *Service) watch(ctx context.Context, topic string) (<-chan struct{}, func(), error) {
	events, stop, err := s.bus.Subscribe(ctx, topic)
	if err != nil {
		return nil, nil, fmt.Errorf("dialog: watch: %w", err)
	}
	nudges := make(chan struct{}, 1)
	go func() {
		defer close(nudges)
		for range events {
			select {
			case nudges <- struct{}{}:
			default: // a nudge is already pending; it covers this event too
			}
		}
	}()
	return nudges, stop, nil
}

// QueueStatus tells where the conversation's handoff stands.
func (s *Service) QueueStatus(ctx context.Context, conversationID string) (conversation.QueueStatus, error) {
	q, err := s.desk.Position(ctx, conversationID)
	if err != nil {
		return q, fmt.Errorf("dialog: queue status: %w", err)
	}
	return q, nil
}

// Feedback records a citizen's thumbs up (+1) or down (-1) on a bot answer.
func (s *Service) Feedback(ctx context.Context, conversationID string, seq int64, value int) error {
	if value != 1 && value != -1 {
		return fmt.Errorf("dialog: feedback must be +1 or -1, got %d", value)
	}
	msgs, err := s.store.Messages(ctx, conversationID, seq-1, 1)
	if err != nil {
		return fmt.Errorf("dialog: feedback: %w", err)
	}
	if len(msgs) == 0 || msgs[0].Seq != seq || msgs[0].Role != conversation.RoleBot {
		return fmt.Errorf("dialog: feedback on message %d: %w", seq, conversation.ErrNotFound)
	}
	if err := s.store.SetFeedback(ctx, conversationID, seq, value); err != nil {
		return fmt.Errorf("dialog: feedback: %w", err)
	}
	if msgs[0].Feedback != value {
		s.rated(ctx, FeedbackRecord{ConversationID: conversationID, Sources: msgs[0].Sources, Old: msgs[0].Feedback, New: value, At: msgs[0].At})
	}
	return nil
}

// Forget deletes the conversation and everything stored with it (the
// citizen's right to erasure: /delete on Telegram, "delete my chat" on the web).
func (s *Service) Forget(ctx context.Context, conversationID string) error {
	if err := s.desk.Forget(ctx, conversationID); err != nil && !errors.Is(err, conversation.ErrNotFound) {
		return fmt.Errorf("dialog: forget: %w", err)
	}
	return nil
}

func (s *Service) clean(text string) (string, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if text == "" {
		return "", ErrEmptyMessage
	}
	if utf8.RuneCountInString(text) > s.cfg.MaxMessageChars {
		return "", fmt.Errorf("%w (%d characters at most)", ErrMessageTooLong, s.cfg.MaxMessageChars)
	}
	return text, nil
}

func (s *Service) language(in Inbound, conv conversation.Conversation) string {
	switch {
	case in.Language != "":
		return in.Language
	case conv.Language != "":
		return conv.Language
	}
	return ""
}

func (s *Service) errorReply(conv conversation.Conversation, in Inbound) Reply {
	lang := s.language(in, conv)
	if lang == "" {
		lang = s.cfg.DefaultLanguage
	}
	return Reply{
		Text:     phrasesFor(lang).TurnFailed,
		Language: lang,
		Context:  conv.Context,
		Decision: conversation.Decision{Kind: KindError},
	}
}

func joinText(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

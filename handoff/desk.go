package handoff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
)

// ConversationStore is what the desk needs of conversation.Store.
type ConversationStore interface {
	Get(ctx context.Context, id string) (conversation.Conversation, error)
	Update(ctx context.Context, id string, fn func(*conversation.Conversation) error) (conversation.Conversation, error)
	Append(ctx context.Context, id string, m conversation.Message) (conversation.Message, bool, error)
	Messages(ctx context.Context, id string, after int64, limit int) ([]conversation.Message, error)
	Delete(ctx context.Context, id string) error
	Purge(ctx context.Context, cutoff time.Time) (int, error)
}

// Directory finds caseworker accounts; *accounts.Store is one.
type Directory interface {
	User(ctx context.Context, name string) (accounts.User, error)
}

// Desk is the handoff desk. It implements dialog.Desk (Request, Position,
// Ticket) for the dialog service and the caseworker operations the console
// calls. All methods are safe for concurrent use, also by several
// instances sharing one Redis. Run must be running in each instance.
type Desk struct {
	cfg      Config
	hours    *Schedule
	store    ConversationStore
	queue    Queue
	bus      conversation.Bus
	registry *channels.Registry
	users    Directory
	log      *slog.Logger
	now      func() time.Time
	consumer string
	idem     conversation.Idempotency

	mu    sync.Mutex
	owned map[string]Entry // stream entries this instance watches, by conversation id
}

// Option configures a Desk.
type Option func(*Desk)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(d *Desk) { d.now = now } }

// WithIdempotency remembers which caseworker replies went out on Telegram
// or SMS, so a repeated reply request (ReplyOnce) does not push twice.
// Without it a repeated request is stored once but pushed again.
func WithIdempotency(idem conversation.Idempotency) Option { return func(d *Desk) { d.idem = idem } }

// WithConsumer names this instance in the stream's consumer group (default
// host-pid-random). Entries a previous process with the same name owned are
// picked up again by Run.
func WithConsumer(name string) Option { return func(d *Desk) { d.consumer = name } }

// New builds the desk. cfg is validated (defaults applied); log may be nil.
func New(cfg Config, store ConversationStore, queue Queue, bus conversation.Bus, registry *channels.Registry, users Directory, log *slog.Logger, opts ...Option) (*Desk, error) {
	if store == nil || queue == nil || bus == nil || registry == nil || users == nil {
		return nil, errors.New("handoff: new desk: store, queue, bus, registry and users are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("handoff: new desk: %w", err)
	}
	cfg = cfg.withDefaults()
	hours, err := cfg.OfficeHours.Compile()
	if err != nil {
		return nil, fmt.Errorf("handoff: new desk: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Desk{
		cfg: cfg, hours: hours, store: store, queue: queue, bus: bus, registry: registry, users: users,
		log: log, now: time.Now, owned: map[string]Entry{},
	}
	for _, o := range opts {
		o(d)
	}
	if d.consumer == "" {
		d.consumer = defaultConsumer()
	}
	return d, nil
}

func defaultConsumer() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "civibot"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}

// Consumer is this instance's name in the stream's consumer group.
func (d *Desk) Consumer() string { return d.consumer }

// QueueEvent is the payload published on conversation.TopicQueue whenever
// the queue, the tickets or an assignment changed. Consoles refresh their
// lists; citizens' channels refresh the position they show.
type QueueEvent struct {
	// Type is the audit action (requested, ticket, claimed, replied, noted,
	// transferred, gave_back, closed) or "deleted".
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id,omitempty"`
	// Actor is the caseworker who acted ("" for the citizen or the system).
	Actor string `json:"actor,omitempty"`
}

// PresenceEvent is the payload published on conversation.TopicPresence.
type PresenceEvent struct {
	Type       string `json:"type"` // online, offline
	Caseworker string `json:"caseworker"`
}

// EventDeleted is the QueueEvent type for a conversation deleted through
// the desk (Forget).
const EventDeleted = "deleted"

func (d *Desk) announce(ctx context.Context, e QueueEvent) {
	b, _ := json.Marshal(e)
	if err := d.bus.Publish(ctx, conversation.TopicQueue, b); err != nil {
		d.log.WarnContext(ctx, "handoff: announce queue change failed", "type", e.Type, "conversation_id", e.ConversationID, "error", err)
	}
}

func (d *Desk) announcePresence(ctx context.Context, typ, caseworker string) {
	b, _ := json.Marshal(PresenceEvent{Type: typ, Caseworker: caseworker})
	if err := d.bus.Publish(ctx, conversation.TopicPresence, b); err != nil {
		d.log.WarnContext(ctx, "handoff: announce presence failed", "type", typ, "error", err)
	}
}

// errSkip aborts an Update that turned out to be unnecessary.
var errSkip = errors.New("handoff: nothing to do")

func audit(c *conversation.Conversation, e conversation.AuditEntry) {
	if c.Handoff == nil {
		c.Handoff = &conversation.Handoff{Reason: "unknown", Requested: e.At}
	}
	c.Handoff.Audit = append(c.Handoff.Audit, e)
}

// unstaffed says whether a request now becomes a ticket: outside office
// hours, or nobody online within OfflineAfter. nextOpen is set when
// closed.
func (d *Desk) unstaffed(ctx context.Context, now time.Time) (bool, time.Time, error) {
	if !d.hours.Open(now) {
		return true, d.hours.NextOpen(now), nil
	}
	last, err := d.queue.LastSeen(ctx)
	if err != nil {
		return false, time.Time{}, err
	}
	return last.IsZero() || now.Sub(last) >= d.cfg.OfflineAfter, time.Time{}, nil
}

func (d *Desk) nextOpen(now time.Time) time.Time {
	if d.hours.Open(now) {
		return time.Time{}
	}
	return d.hours.NextOpen(now)
}

// Request queues the conversation for a caseworker (StatusWaiting), or,
// outside office hours or with nobody online for OfflineAfter, makes it a
// callback ticket (StatusTicket) that stays for the next shift. A
// conversation already waiting or claimed is not queued again; its current
// status is returned. Implements dialog.Desk.
func (d *Desk) Request(ctx context.Context, id string, r conversation.HandoffRequest) (conversation.QueueStatus, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	switch c.Status {
	case conversation.StatusWaiting, conversation.StatusClaimed:
		return d.position(ctx, c)
	}
	now := d.now().UTC()
	ticket, nextOpen, err := d.unstaffed(ctx, now)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	if c.Status == conversation.StatusTicket && ticket {
		// Still nobody to come: the ticket stays as it is.
		return d.position(ctx, c)
	}
	// A ticket whose citizen asks again while a caseworker is online joins
	// the live line (the callback details stay on the record).
	// The index entry first: if the record update then fails, a stale entry
	// is dropped when seen; the other way round a waiting conversation could
	// be missing from the queue.
	if ticket {
		err = d.queue.AddTicket(ctx, id, now)
	} else {
		_, err = d.queue.Enqueue(ctx, id, now)
	}
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	reason := r.Reason
	if reason == "" {
		reason = "unknown"
	}
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if c.Status == conversation.StatusWaiting || c.Status == conversation.StatusClaimed {
			return errSkip // a concurrent request or claim got there first
		}
		var trail []conversation.AuditEntry
		if c.Handoff != nil {
			trail = c.Handoff.Audit
		}
		c.Handoff = &conversation.Handoff{Reason: reason, Requested: now, Candidates: r.Candidates, Audit: trail}
		audit(c, conversation.AuditEntry{At: now, Actor: "bot", Action: ActionRequested, Detail: reason})
		c.Status, c.Assignee = conversation.StatusWaiting, ""
		if ticket {
			c.Status = conversation.StatusTicket
			detail := "nobody online"
			if !nextOpen.IsZero() {
				detail = "outside office hours"
			}
			audit(c, conversation.AuditEntry{At: now, Actor: "system", Action: ActionTicket, Detail: detail})
		}
		if c.Language == "" {
			c.Language = r.Language
		}
		if q := conversation.NormalizeQuestion(r.Question); q != "" {
			c.Context.HandedOffFor = q
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		cur, err := d.store.Get(ctx, id)
		if err != nil {
			return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
		}
		d.reconcile(ctx, cur)
		return d.position(ctx, cur)
	}
	if err != nil {
		d.reconcile(ctx, c) // put the index back as the record still is
		return conversation.QueueStatus{}, fmt.Errorf("handoff: request %s: %w", id, err)
	}
	typ := ActionRequested
	if ticket {
		typ = ActionTicket
	}
	d.announce(ctx, QueueEvent{Type: typ, ConversationID: id})
	d.log.InfoContext(ctx, "handoff requested", "conversation_id", id, "channel", updated.Channel, "reason", reason, "ticket", ticket)
	if ticket {
		return conversation.QueueStatus{Ticket: true, NextOpen: nextOpen}, nil
	}
	return d.position(ctx, updated)
}

// Position tells where the conversation's handoff stands: its place in the
// line and a wait estimate while waiting; Ticket (and NextOpen when the
// office is closed) for a ticket; the zero status otherwise. Implements
// dialog.Desk.
func (d *Desk) Position(ctx context.Context, id string) (conversation.QueueStatus, error) {
	c, err := d.store.Get(ctx, id)
	if err != nil {
		return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", id, err)
	}
	return d.position(ctx, c)
}

func (d *Desk) position(ctx context.Context, c conversation.Conversation) (conversation.QueueStatus, error) {
	switch c.Status {
	case conversation.StatusWaiting:
		pos, err := d.queue.Position(ctx, c.ID)
		if err != nil {
			return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", c.ID, err)
		}
		if pos == 0 {
			// The record waits but the line lost it (a crash between the
			// two writes): put it back, at its request time.
			d.reconcile(ctx, c)
			if pos, err = d.queue.Position(ctx, c.ID); err != nil {
				return conversation.QueueStatus{}, fmt.Errorf("handoff: position %s: %w", c.ID, err)
			}
		}
		return conversation.QueueStatus{Queued: true, Position: pos, Wait: d.estimate(ctx, pos)}, nil
	case conversation.StatusTicket:
		return conversation.QueueStatus{Ticket: true, NextOpen: d.nextOpen(d.now())}, nil
	}
	return conversation.QueueStatus{}, nil
}

// estimate is the median of recent claim waits × position / online
// caseworkers; 0 when there are no samples.
func (d *Desk) estimate(ctx context.Context, pos int) time.Duration {
	waits, err := d.queue.Waits(ctx)
	if err != nil || len(waits) == 0 || pos < 1 {
		return 0
	}
	slices.Sort(waits)
	median := waits[len(waits)/2]
	if len(waits)%2 == 0 {
		median = (waits[len(waits)/2-1] + waits[len(waits)/2]) / 2
	}
	online := 0
	if ps, err := d.Online(ctx); err == nil {
		online = len(ps)
	}
	return (median * time.Duration(pos) / time.Duration(max(1, online))).Round(time.Second)
}

// reconcile makes the queue's indexes agree with the record (the truth).
// Failures are logged: the next look at the entry repairs it again.
func (d *Desk) reconcile(ctx context.Context, c conversation.Conversation) {
	var err error
	requested := d.now()
	if c.Handoff != nil && !c.Handoff.Requested.IsZero() {
		requested = c.Handoff.Requested
	}
	switch c.Status {
	case conversation.StatusWaiting:
		_, err = d.queue.Enqueue(ctx, c.ID, requested)
	case conversation.StatusTicket:
		err = d.queue.AddTicket(ctx, c.ID, requested)
	case conversation.StatusClaimed:
		err = d.queue.Assign(ctx, c.ID, c.Assignee)
	default:
		err = d.queue.Drop(ctx, c.ID)
	}
	if err != nil {
		d.log.WarnContext(ctx, "handoff: repair queue entry failed", "conversation_id", c.ID, "status", string(c.Status), "error", err)
	}
}

// Ticket stores callback details the citizen gave and keeps the
// conversation as a ticket for the next shift (unless a caseworker already
// holds it). Implements dialog.Desk.
func (d *Desk) Ticket(ctx context.Context, id string, contact conversation.Contact) error {
	now := d.now().UTC()
	if contact.Given.IsZero() {
		contact.Given = now
	}
	var given []string
	for _, f := range []struct{ name, v string }{{"name", contact.Name}, {"phone", contact.Phone}, {"email", contact.Email}, {"note", contact.Note}} {
		if f.v != "" {
			given = append(given, f.name)
		}
	}
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		cc := contact
		c.Contact = &cc
		c.Context.AwaitingContact = false
		if c.Handoff == nil {
			c.Handoff = &conversation.Handoff{Reason: "callback", Requested: now}
		}
		audit(c, conversation.AuditEntry{At: now, Actor: "citizen", Action: ActionTicket, Detail: "contact: " + strings.Join(given, ", ")})
		if c.Status != conversation.StatusClaimed {
			c.Status, c.Assignee = conversation.StatusTicket, ""
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("handoff: ticket %s: %w", id, err)
	}
	if updated.Status == conversation.StatusTicket {
		if err := d.queue.AddTicket(ctx, id, updated.Handoff.Requested); err != nil {
			return fmt.Errorf("handoff: ticket %s: %w", id, err)
		}
	}
	d.announce(ctx, QueueEvent{Type: ActionTicket, ConversationID: id})
	d.log.InfoContext(ctx, "handoff ticket", "conversation_id", id, "channel", updated.Channel)
	return nil
}

// tell appends a status notice for the citizen and pushes it on their
// channel. Failures are logged; the operation that caused it stands.
func (d *Desk) tell(ctx context.Context, c conversation.Conversation, n notice) {
	m, _, err := d.store.Append(ctx, c.ID, conversation.Message{Role: conversation.RoleSystem, Text: n.in(c.Language), Language: c.Language})
	if err != nil {
		d.log.WarnContext(ctx, "handoff: store status notice failed", "conversation_id", c.ID, "error", err)
		return
	}
	if err := d.registry.Deliver(ctx, c, m); err != nil {
		d.log.WarnContext(ctx, "handoff: deliver status notice failed", "conversation_id", c.ID, "channel", c.Channel, "error", err)
	}
}

// Claim gives a waiting conversation (or a ticket) to caseworker. Exactly
// one caseworker wins, across instances: the others get ErrAlreadyClaimed.
// Claiming again what one already holds is not an error. A conversation
// that is not handed off gives ErrNotWaiting.
func (d *Desk) Claim(ctx context.Context, id, caseworker string) (conversation.Conversation, error) {
	if caseworker == "" {
		return conversation.Conversation{}, fmt.Errorf("handoff: claim %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	var wasTicket bool
	var requested time.Time
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		switch c.Status {
		case conversation.StatusClaimed:
			if c.Assignee == caseworker {
				return errSkip
			}
			return ErrAlreadyClaimed
		case conversation.StatusWaiting, conversation.StatusTicket:
		default:
			return ErrNotWaiting
		}
		wasTicket = c.Status == conversation.StatusTicket
		c.Status, c.Assignee = conversation.StatusClaimed, caseworker
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClaimed})
		c.Handoff.Claimed = now
		requested = c.Handoff.Requested
		return nil
	})
	if errors.Is(err, errSkip) {
		c, err := d.store.Get(ctx, id)
		if err != nil {
			return c, fmt.Errorf("handoff: claim %s: %w", id, err)
		}
		return c, nil
	}
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: claim %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	if !wasTicket && !requested.IsZero() {
		if err := d.queue.RecordWait(ctx, now.Sub(requested), d.cfg.WaitSamples); err != nil {
			d.log.WarnContext(ctx, "handoff: record wait failed", "error", err)
		}
	}
	d.tell(ctx, updated, noticeClaimed)
	d.announce(ctx, QueueEvent{Type: ActionClaimed, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff claimed", "conversation_id", id, "channel", updated.Channel, "from_ticket", wasTicket)
	return updated, nil
}

func (d *Desk) text(op, id, text string) (string, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if text == "" {
		return "", fmt.Errorf("handoff: %s %s: %w: empty text", op, id, ErrInvalid)
	}
	if n := utf8.RuneCountInString(text); n > d.cfg.MaxTextChars {
		return "", fmt.Errorf("handoff: %s %s: %w: text has %d characters, at most %d", op, id, ErrInvalid, n, d.cfg.MaxTextChars)
	}
	return text, nil
}

// holds checks, inside an Update, that caseworker holds the conversation.
func holds(c *conversation.Conversation, caseworker string) error {
	if c.Status != conversation.StatusClaimed || c.Assignee != caseworker || caseworker == "" {
		return ErrNotAssignee
	}
	return nil
}

// Reply sends the caseworker's answer: stored as a RoleCaseworker message
// (the web chat follows it through events) and pushed on Telegram or SMS.
// Only the assignee may reply (ErrNotAssignee). If the push fails the
// message stays stored and the error wraps ErrNotDelivered.
func (d *Desk) Reply(ctx context.Context, id, caseworker, text string) (conversation.Message, error) {
	return d.ReplyOnce(ctx, id, caseworker, "", text)
}

// deliveryLease bounds one push of a caseworker's reply; deliveryKeep is how
// long a delivered reply is remembered for retries of the same request.
const (
	deliveryLease = 2 * time.Minute
	deliveryKeep  = 48 * time.Hour
)

// ReplyOnce is Reply with the console's id for this reply (clientID, may be
// empty). A request repeated with the same clientID — the caseworker's
// browser lost the answer and sends again — stores nothing new and returns
// the stored message; with WithIdempotency it is pushed on Telegram or SMS
// again only if no earlier attempt got it out.
func (d *Desk) ReplyOnce(ctx context.Context, id, caseworker, clientID, text string) (conversation.Message, error) {
	text, err := d.text("reply", id, text)
	if err != nil {
		return conversation.Message{}, err
	}
	if clientID != "" {
		clientID = "console:" + clientID
	}
	now := d.now().UTC()
	c, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, caseworker); err != nil {
			return err
		}
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionReplied})
		return nil
	})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: reply %s: %w", id, err)
	}
	m, dup, err := d.store.Append(ctx, id, conversation.Message{Role: conversation.RoleCaseworker, Author: caseworker, Text: text, Language: c.Language, ClientID: clientID})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: reply %s: %w", id, err)
	}
	if !dup {
		d.announce(ctx, QueueEvent{Type: ActionReplied, ConversationID: id, Actor: caseworker})
	}
	if err := d.deliverOnce(ctx, c, m, clientID != ""); err != nil {
		d.log.WarnContext(ctx, "handoff: reply not delivered", "conversation_id", id, "channel", c.Channel, "error", err)
		return m, fmt.Errorf("handoff: reply %s: %w: %w", id, ErrNotDelivered, err)
	}
	return m, nil
}

// deliverOnce pushes m on c's channel. With an idempotency store and a
// message that a retry may bring again (keyed), a push that went out is
// remembered, and a failed one is released for the retry.
func (d *Desk) deliverOnce(ctx context.Context, c conversation.Conversation, m conversation.Message, keyed bool) error {
	if d.idem == nil || !keyed || !d.registry.Pushes(c.Channel) {
		return d.registry.Deliver(ctx, c, m)
	}
	// The message id alone repeats when a deleted conversation starts
	// again under the same id; with the console's random client id it
	// does not.
	sum := sha256.Sum256([]byte(m.ID + "\x00" + m.ClientID))
	key := "deliver:" + hex.EncodeToString(sum[:16])
	lease := conversation.Lease{Idempotency: d.idem, Hold: deliveryLease, Keep: deliveryKeep, Log: d.log}
	// Not ran (and no error): delivered by an earlier attempt, or being
	// delivered by one now. A failed push is released for the retry.
	_, err := lease.Do(ctx, key, func(ctx context.Context) error { return d.registry.Deliver(ctx, c, m) })
	return err
}

// Note adds a private note (RoleNote) to the transcript. Any caseworker may
// add one; it is never delivered to the citizen.
func (d *Desk) Note(ctx context.Context, id, caseworker, text string) (conversation.Message, error) {
	text, err := d.text("note", id, text)
	if err != nil {
		return conversation.Message{}, err
	}
	if caseworker == "" {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	if _, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionNoted})
		return nil
	}); err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w", id, err)
	}
	m, _, err := d.store.Append(ctx, id, conversation.Message{Role: conversation.RoleNote, Author: caseworker, Text: text})
	if err != nil {
		return conversation.Message{}, fmt.Errorf("handoff: note %s: %w", id, err)
	}
	d.announce(ctx, QueueEvent{Type: ActionNoted, ConversationID: id, Actor: caseworker})
	return m, nil
}

// Transfer passes a conversation the caseworker from holds to another
// existing, enabled caseworker (ErrUnknownCaseworker otherwise).
func (d *Desk) Transfer(ctx context.Context, id, from, to string) (conversation.Conversation, error) {
	if to == "" || to == from {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w: choose another caseworker", id, ErrInvalid)
	}
	u, err := d.users.User(ctx, to)
	if errors.Is(err, accounts.ErrUserNotFound) || err == nil && u.Disabled {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w: %q", id, ErrUnknownCaseworker, to)
	}
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w", id, err)
	}
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, from); err != nil {
			return err
		}
		c.Assignee = to
		audit(c, conversation.AuditEntry{At: now, Actor: from, Action: ActionTransferred, Detail: "to " + to})
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: transfer %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeTransferred)
	d.announce(ctx, QueueEvent{Type: ActionTransferred, ConversationID: id, Actor: from})
	d.log.InfoContext(ctx, "handoff transferred", "conversation_id", id)
	return updated, nil
}

// GiveBack returns the conversation to the bot (StatusBot). The question
// that caused the handoff stays in Context.HandedOffFor, so the bot does
// not hand the same question off again.
func (d *Desk) GiveBack(ctx context.Context, id, caseworker string) (conversation.Conversation, error) {
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		if err := holds(c, caseworker); err != nil {
			return err
		}
		c.Status, c.Assignee = conversation.StatusBot, ""
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionGaveBack})
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: give back %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeGaveBack)
	d.announce(ctx, QueueEvent{Type: ActionGaveBack, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff given back", "conversation_id", id)
	return updated, nil
}

// Close ends the handoff with an outcome (Outcomes). The assignee closes a
// claimed conversation; any caseworker may close a waiting one or a ticket
// (spam, a callback done from the ticket list). A new citizen message
// re-opens a closed conversation with the bot. Who gave a conversation
// back to the bot may still record its outcome; it stays with the bot.
func (d *Desk) Close(ctx context.Context, id, caseworker, outcome string) (conversation.Conversation, error) {
	if !slices.Contains(Outcomes(), outcome) {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w: outcome %q is not one of %s", id, ErrInvalid, outcome, strings.Join(Outcomes(), ", "))
	}
	if caseworker == "" {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w: no caseworker", id, ErrInvalid)
	}
	now := d.now().UTC()
	updated, err := d.store.Update(ctx, id, func(c *conversation.Conversation) error {
		switch c.Status {
		case conversation.StatusClaimed:
			if err := holds(c, caseworker); err != nil {
				return err
			}
		case conversation.StatusWaiting, conversation.StatusTicket:
		case conversation.StatusBot:
			if !gaveBackBy(c, caseworker) {
				return ErrNotWaiting
			}
			audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClosed, Detail: outcome})
			c.Handoff.Outcome = outcome
			return nil
		default:
			return ErrNotWaiting
		}
		c.Status, c.Assignee = conversation.StatusClosed, ""
		c.Context.AwaitingContact = false
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionClosed, Detail: outcome})
		c.Handoff.Outcome = outcome
		return nil
	})
	if err != nil {
		return conversation.Conversation{}, fmt.Errorf("handoff: close %s: %w", id, err)
	}
	d.reconcile(ctx, updated)
	d.tell(ctx, updated, noticeClosed)
	d.announce(ctx, QueueEvent{Type: ActionClosed, ConversationID: id, Actor: caseworker})
	d.log.InfoContext(ctx, "handoff closed", "conversation_id", id, "outcome", outcome)
	return updated, nil
}

// gaveBackBy says whether the handoff's last step was caseworker giving
// the conversation back, with no outcome recorded yet.
func gaveBackBy(c *conversation.Conversation, caseworker string) bool {
	if c.Handoff == nil || c.Handoff.Outcome != "" || len(c.Handoff.Audit) == 0 {
		return false
	}
	last := c.Handoff.Audit[len(c.Handoff.Audit)-1]
	return last.Action == ActionGaveBack && last.Actor == caseworker
}

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
func (d *Desk) collect(ctx context.Context, op string, ids []string, keep func(conversation.Conversation) bool) ([]Summary, error) {
	out := []Summary{}
	for _, id := range ids {
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
			d.reconcile(ctx, c)
			continue
		}
		out = append(out, d.summary(ctx, c))
	}
	return out, nil
}

func entryList(es []Entry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ConversationID
	}
	return ids
}

// Waiting lists the conversations waiting for a caseworker, first first,
// with positions.
func (d *Desk) Waiting(ctx context.Context) ([]Summary, error) {
	es, err := d.queue.Waiting(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: waiting: %w", err)
	}
	out, err := d.collect(ctx, "waiting", entryList(es), func(c conversation.Conversation) bool {
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
	return d.collect(ctx, "tickets", entryList(es), func(c conversation.Conversation) bool {
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
	var ids []string
	for id, cw := range m {
		if caseworker == "" || cw == caseworker {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out, err := d.collect(ctx, "claimed", ids, func(c conversation.Conversation) bool {
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

// Heartbeat records that caseworker has the console open (call it every
// ~20 s). Coming online is announced on conversation.TopicPresence.
func (d *Desk) Heartbeat(ctx context.Context, caseworker string) error {
	if caseworker == "" {
		return fmt.Errorf("handoff: heartbeat: %w: no caseworker", ErrInvalid)
	}
	now := d.now()
	came, err := d.queue.Heartbeat(ctx, caseworker, now, now.Add(-d.cfg.PresenceTimeout))
	if err != nil {
		return fmt.Errorf("handoff: heartbeat: %w", err)
	}
	if came {
		d.announcePresence(ctx, "online", caseworker)
	}
	return nil
}

// Leave marks caseworker offline at once (logout).
func (d *Desk) Leave(ctx context.Context, caseworker string) error {
	left, err := d.queue.Leave(ctx, caseworker)
	if err != nil {
		return fmt.Errorf("handoff: leave: %w", err)
	}
	if left {
		d.announcePresence(ctx, "offline", caseworker)
	}
	return nil
}

// Online lists caseworkers with a heartbeat within PresenceTimeout, longest
// silent first.
func (d *Desk) Online(ctx context.Context) ([]Presence, error) {
	ps, err := d.queue.Presence(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: online: %w", err)
	}
	since := d.now().Add(-d.cfg.PresenceTimeout)
	out := []Presence{}
	for _, p := range ps {
		if !p.Seen.Before(since) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Forget deletes a conversation and everything stored with it, and removes
// it from the queue, the tickets and the assignments (the right to
// erasure). A conversation already gone is not an error.
func (d *Desk) Forget(ctx context.Context, id string) error {
	if err := d.store.Delete(ctx, id); err != nil && !errors.Is(err, conversation.ErrNotFound) {
		return fmt.Errorf("handoff: forget %s: %w", id, err)
	}
	if err := d.queue.Drop(ctx, id); err != nil {
		return fmt.Errorf("handoff: forget %s: %w", id, err)
	}
	d.announce(ctx, QueueEvent{Type: EventDeleted, ConversationID: id})
	d.log.InfoContext(ctx, "conversation deleted", "conversation_id", id)
	return nil
}

// Purge deletes conversations last updated more than olderThan ago and
// drops queue, ticket and assignment entries whose conversation is gone.
// It returns how many conversations it deleted.
func (d *Desk) Purge(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("handoff: purge: %w: the age must be positive, got %v", ErrInvalid, olderThan)
	}
	n, err := d.store.Purge(ctx, d.now().Add(-olderThan))
	if err != nil {
		return n, fmt.Errorf("handoff: purge: %w", err)
	}
	if err := d.Prune(ctx); err != nil {
		return n, err
	}
	if n > 0 {
		d.announce(ctx, QueueEvent{Type: EventDeleted})
	}
	d.log.InfoContext(ctx, "conversations purged", "count", n, "older_than", olderThan.String())
	return n, nil
}

// Prune checks every queue, ticket and assignment entry against its
// conversation and drops or repairs those that disagree.
func (d *Desk) Prune(ctx context.Context) error {
	if _, err := d.Waiting(ctx); err != nil {
		return err
	}
	if _, err := d.Tickets(ctx); err != nil {
		return err
	}
	_, err := d.Claimed(ctx)
	return err
}

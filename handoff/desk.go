package handoff

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

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
//
// Its methods are in files by resource: requests.go (a citizen's request,
// position, callback tickets), casework.go (claim, reply, note, transfer,
// give back, close), lists.go (the console's lists and transcripts),
// presence.go (caseworkers online), retention.go (erasure and purging),
// watch.go (reclaiming and nudging).
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

// State is the conversation backend the desk works on, passed once for
// its three roles: the conversations, the event bus, and the idempotency
// keys that push a caseworker's reply once (conversation.Memory and
// conversation.Redis are each all three).
type State interface {
	ConversationStore
	conversation.Bus
	conversation.Idempotency
}

// Options are what a Desk works with besides its Config.
type Options struct {
	State    State              // required
	Queue    Queue              // required
	Registry *channels.Registry // required: delivers to the citizens' channels
	Users    Directory          // required: who may take a transfer
	Log      *slog.Logger       // nil: discarded
	Now      func() time.Time   // the clock; nil: time.Now
	// Consumer names this instance in the stream's consumer group
	// (default: host name and process id).
	Consumer string
}

// New builds the desk. cfg is validated (defaults applied).
func New(cfg Config, o Options) (*Desk, error) {
	if o.State == nil || o.Queue == nil || o.Registry == nil || o.Users == nil {
		return nil, errors.New("handoff: new desk: Options.State, Queue, Registry and Users are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("handoff: new desk: %w", err)
	}
	cfg = cfg.withDefaults()
	hours, err := cfg.OfficeHours.Compile()
	if err != nil {
		return nil, fmt.Errorf("handoff: new desk: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Consumer == "" {
		o.Consumer = defaultConsumer()
	}
	return &Desk{
		cfg: cfg, hours: hours, store: o.State, queue: o.Queue, bus: o.State, idem: o.State, registry: o.Registry,
		users: o.Users, log: o.Log, now: o.Now, consumer: o.Consumer, owned: map[string]Entry{},
	}, nil
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

// EventDeleted is the QueueEvent type for a conversation deleted through
// the desk (Forget).
const EventDeleted = "deleted"

func (d *Desk) announce(ctx context.Context, e QueueEvent) {
	b, _ := json.Marshal(e)
	if err := d.bus.Publish(ctx, conversation.TopicQueue, b); err != nil {
		d.log.WarnContext(ctx, "handoff: announce queue change failed", "type", e.Type, "conversation_id", e.ConversationID, "error", err)
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
